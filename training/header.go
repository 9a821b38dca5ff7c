package training

import (
	"path/filepath"
	"strconv"
)

// Tricks are the header's settings that only some runs have, as a
// dashboard's header and headless's first line show them: "task age",
// "training ages
// 30,58", "skips ages 27-29,57-59", "pseudo-labels teacher.csv" (the
// file's name), "cutmix 0.3 half", "mixup 0.2 alpha=0.2", "mixing
// within class", "erasing 0.5"; none when the
// run has none.
func (h RunHeader) Tricks() []string {
	var t []string
	for _, s := range []struct{ name, value string }{
		{"task", h.Task},
		{"training ages", h.TrainAgeBins},
		{"skips ages", h.SkipTrainAges},
		{"pseudo-labels", baseName(h.PseudoLabels)},
		{"cutmix", h.CutMix},
		{"mixup", h.Mixup},
		{"mixing within", h.MixPairs},
		{"erasing", h.Erase},
		{"val-train", h.ValTrain},
	} {
		if s.value != "" {
			t = append(t, s.name+" "+s.value)
		}
	}
	return t
}

// baseName is a path's last element; "" stays "".
func baseName(path string) string {
	if path == "" {
		return ""
	}
	return filepath.Base(path)
}

// eraseShown is the header's form of Config.Erase: the chance, "" when
// images are not erased.
func eraseShown(chance float64) string {
	if chance <= 0 {
		return ""
	}
	return strconv.FormatFloat(chance, 'g', -1, 64)
}
