package training

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/maskdash/maskdash/dataset"
)

// Tricks are the header's settings that only some runs have, as a
// dashboard's header and headless's first line show them: "task age",
// "training ages
// 30,58", "skips ages 27-29,57-59", "pseudo-labels teacher.csv" (the
// file's name), "cutmix 0.3 half", "mixup 0.2 alpha=0.2", "mixing
// within class", "erasing 0.5", "freeze-epochs 2"; none when the
// run has none.
func (h RunHeader) Tricks() []string {
	var t []string
	for _, s := range []struct{ name, value string }{
		{"task", h.Task},
		{"training ages", h.TrainAgeBins},
		{"skips ages", h.SkipTrainAges},
		{"pseudo-labels", baseName(h.PseudoLabels)},
		{"pretrained", baseName(h.Pretrained)},
		{"cutmix", h.CutMix},
		{"mixup", h.Mixup},
		{"mixing within", h.MixPairs},
		{"erasing", h.Erase},
		{"val-train", h.ValTrain},
		{"freeze-epochs", h.Freeze},
		{"from-lr-scale", h.FromLR},
		{"frozen layers", h.FreezeLayers},
		{"schedule", h.Schedule},
		{"clip-grad", h.ClipGrad},
		{"ema", h.EMA},
		{"la τ", h.LATau},
		{"focal γ", h.FocalGamma},
		{"smoothing", h.Smoothing},
		{"class weights", h.ClassWeights},
		{"augmentation", h.Augmentation},
	} {
		if s.value != "" {
			t = append(t, s.name+" "+s.value)
		}
	}
	if h.FreshHead {
		t = append(t, "fresh head")
	}
	return t
}

// scheduleShown is the header's form of cfg's learning-rate schedule:
// the name and what it lowers by and when (a zero setting its default,
// as in a run.json written before the setting was), and the warm-up; ""
// for a constant rate without one.
func scheduleShown(cfg Config) string {
	defNum(&cfg.LRStep, DefaultLRStep)
	defNum(&cfg.LRPatience, DefaultLRPatience)
	defNum(&cfg.LRGamma, DefaultLRGamma)
	var s string
	switch cfg.Schedule {
	case ScheduleStep:
		s = fmt.Sprintf("step %d ×%g", cfg.LRStep, cfg.LRGamma)
	case SchedulePlateau:
		s = fmt.Sprintf("plateau %d ×%g", cfg.LRPatience, cfg.LRGamma)
	case ScheduleCosine:
		s = ScheduleCosine
	}
	if cfg.Warmup > 0 {
		s = strings.TrimSpace(s + fmt.Sprintf(" warm-up %d", cfg.Warmup))
	}
	return s
}

// emaShown is the header's form of Config.EMA and EMAEvery: the decay,
// and how often the average is updated when not every step; "" without
// a moving average.
func emaShown(decay float64, every int) string {
	s := shownIfSet(decay)
	if s != "" && every > 1 {
		s += fmt.Sprintf(" every %d", every)
	}
	return s
}

// LossShown is a loss spec as a run's header gives it: with la's τ,
// focal's γ and smooth's s where the run set them (LATau, FocalGamma,
// Smoothing) and the loss has that term, such as "focal γ 1.5" or
// "0.5la+0.5f1 τ 0.5"; the spec alone else.
func (h RunHeader) LossShown(spec string) string {
	l, err := ParseLoss(spec)
	if err != nil {
		return spec
	}
	s := spec
	for _, p := range []struct{ term, name, value string }{
		{"la", "τ", h.LATau}, {"focal", "γ", h.FocalGamma}, {"smooth", "s", h.Smoothing},
	} {
		if p.value != "" && l.Uses(p.term) {
			s += " " + p.name + " " + p.value
		}
	}
	return s
}

// unlessDefault is the header's form of a loss's setting (--la-tau,
// --focal-gamma, --smoothing): "" for the default d (and unset), else
// the value.
func unlessDefault(v, d float64) string {
	if v == d {
		return ""
	}
	return shownIfSet(v)
}

// augmentationShown is the header's form of --augmentation and
// --no-augment: the recipe, "off", or "" for the default.
func augmentationShown(recipe string, off bool) string {
	if off {
		return AugmentOff
	}
	return recipe
}

// baseName is a path's last element; "" stays "".
func baseName(path string) string {
	if path == "" {
		return ""
	}
	return filepath.Base(path)
}

// shownIfSet is the header's form of a setting whose 0 is off (--erase's
// chance, --clip-grad's norm): the number, "" when it is off.
func shownIfSet(v float64) string {
	if v <= 0 {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// ConfigTricks are the settings a run's header lists (Tricks), read from
// its run.json config (Config's JSON form, as runs.Info.Config holds
// it): what the runs table shows of each run, in the header's words. The
// mixing settings are those the run started with.
func ConfigTricks(cfg map[string]any) []string {
	str := func(k string) string {
		v, _ := cfg[k].(string)
		if v == NoneSetting {
			return ""
		}
		return v
	}
	num := func(k string) float64 {
		v, _ := cfg[k].(float64)
		return v
	}
	m := &batchMixer{sameClass: str("mix_pairs") == MixPairsClass}
	if err := m.set(num("cutmix"), dataset.CutMixBox(str("cutmix_box")), num("mixup"), num("mixup_alpha")); err != nil {
		m.cutChance, m.mixupChance = 0, 0 // a config no run could have started with
	}
	h := RunHeader{Task: str("task"), TrainAgeBins: str("train_age_bins"), SkipTrainAges: str("skip_train_ages"),
		PseudoLabels: str("pseudo_labels"), Pretrained: str("pretrained"), CutMix: m.cutMixShown(), Mixup: m.mixupShown(), MixPairs: m.pairsShown(),
		Erase: shownIfSet(num("erase")), ValTrain: valTrainShown(Config{ValTrain: int(num("val_train")), Epochs: int(num("epochs"))}),
		Freeze: freezeShown(int(num("freeze_epochs"))), FromLR: fromLRShown(num("from_lr_scale")), FreshHead: cfg["fresh_head"] == true,
		FreezeLayers: str("freeze_layers"), ClipGrad: shownIfSet(num("clip_grad")), EMA: emaShown(num("ema"), int(num("ema_every"))), LATau: unlessDefault(num("la_tau"), DefaultLATau),
		FocalGamma: unlessDefault(num("focal_gamma"), DefaultFocalGamma), Smoothing: unlessDefault(num("smoothing"), DefaultSmoothing),
		ClassWeights: str("class_weights"), Augmentation: augmentationShown(str("augmentation"), cfg["augment"] == false),
		Schedule: scheduleShown(Config{Schedule: str("schedule"), LRStep: int(num("lr_step")), LRPatience: int(num("lr_patience")),
			LRGamma: num("lr_gamma"), Warmup: int(num("warmup"))})}
	return h.Tricks()
}
