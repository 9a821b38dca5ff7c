package runs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// OffsetsFile is the file in a run's folder that holds the class offsets
// `maskdash calibrate` fitted on one checkpoint's validation predictions.
const OffsetsFile = "class-offsets.json"

// ClassOffsets is a run's class-offsets.json: an offset per class added
// to its log-probability before the argmax, which checkpoint it was
// fitted for (its epoch and step: the validation predictions of that
// epoch are of those weights), and what it is worth.
type ClassOffsets struct {
	Epoch int `json:"epoch"`
	Step  int `json:"step"`
	// TTA: fitted on predictions averaged with the mirror image
	// (calibrate --tta), for predict --tta.
	TTA bool `json:"tta,omitempty"`
	// Averaged: fitted for the average of these epochs' weights
	// (maskdash average), not the checkpoint of Epoch alone.
	Averaged []int     `json:"averaged,omitempty"`
	Classes  []string  `json:"classes"`
	Offsets  []float64 `json:"offsets"`
	Images   int       `json:"images"` // validation images fitted on
	// Macro F1 on those images without and with the offsets (the second
	// is optimistic: they were fitted there).
	MacroF1        float64 `json:"val_macro_f1"`
	MacroF1Offsets float64 `json:"val_macro_f1_with_offsets"`
	// The gain on held-out halves of the validation images: what to
	// expect on new ones.
	HeldOutGain     float64   `json:"held_out_gain"`
	HeldOutSD       float64   `json:"held_out_gain_sd"`
	HeldOutHalves   int       `json:"held_out_halves"`
	HeldOutImproved int       `json:"held_out_halves_improved"`
	Fitted          time.Time `json:"fitted"`
}

// ErrNoOffsets is returned by ReadClassOffsets for a run that has none.
var ErrNoOffsets = errors.New("no class offsets")

// ReadClassOffsets reads a run's class offsets.
func ReadClassOffsets(dir string) (ClassOffsets, error) {
	p := filepath.Join(dir, OffsetsFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return ClassOffsets{}, fmt.Errorf("run %s has %w", filepath.Base(dir), ErrNoOffsets)
	}
	if err != nil {
		return ClassOffsets{}, err
	}
	var o ClassOffsets
	if err := json.Unmarshal(b, &o); err != nil {
		return ClassOffsets{}, fmt.Errorf("%s is corrupt: %v", p, err)
	}
	if len(o.Offsets) == 0 || len(o.Offsets) != len(o.Classes) {
		return ClassOffsets{}, fmt.Errorf("%s is corrupt: %d offsets for %d classes", p, len(o.Offsets), len(o.Classes))
	}
	return o, nil
}

// WriteClassOffsets writes a run's class offsets, atomically.
func WriteClassOffsets(dir string, o ClassOffsets) error {
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(filepath.Join(dir, OffsetsFile), append(b, '\n')); err != nil {
		return fmt.Errorf("class offsets: %w", err)
	}
	return nil
}
