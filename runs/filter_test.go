package runs

import (
	"strings"
	"testing"
)

// TestMatches: the filter's words all must match; k=v by a setting,
// including a value the setting was changed to while training; other
// words as text, the note and the changed values included.
func TestMatches(t *testing.T) {
	i := Info{ID: "20261205-021811-vgg-s-ce", Status: StatusDone, Model: "vgg-s", Loss: "ce", Optim: "adam", LR: 1e-3,
		Note: "Tried the balance sampler", Config: map[string]any{"seed": 2, "sampler": "balance", "val_train": 3},
		Changes: []Change{{Step: 275, Setting: "loss", Value: "focal"}, {Step: 969, Setting: "lr", Value: "0.0005"}}}
	for filter, want := range map[string]bool{
		"":                        true,
		"vgg":                     true,
		"loss=ce":                 true,
		"loss=focal":              true, // switched to it at step 275
		"loss=smooth":             false,
		"lr=0.001 lr=0.0005":      true,
		"seed=2 sampler=BALANCE":  true,
		"seed=3":                  false,
		"balance sampler":         true, // the note
		"focal vgg":               true,
		"focal cnn":               false,
		"note=tried the":          false, // a key=value word is one word: the whole note
		"unknown-key=x":           false,
		"status=done model=vgg-s": true,
		"val_train=3":             true,
		"val-train=3":             true, // as the flag spells it
		"val-train=1":             false,
	} {
		if got := Matches(i, filter); got != want {
			t.Errorf("Matches(%q) = %v, want %v", filter, got, want)
		}
	}
}

// FuzzMatches: any filter, on a run with or without settings, answers
// without a panic, and the empty filter keeps every run.
func FuzzMatches(f *testing.F) {
	f.Add("loss=focal vgg")
	f.Add("==  =x x= \x00")
	f.Fuzz(func(t *testing.T, filter string) {
		full := Info{ID: "r", Loss: "ce", Note: "n", Config: map[string]any{"seed": 2, "x": nil}, Changes: []Change{{Setting: "loss", Value: "focal"}}}
		_ = Matches(full, filter)
		_ = Matches(Info{}, filter)
		if strings.TrimSpace(filter) == "" && !Matches(Info{}, filter) {
			t.Errorf("the empty filter %q dropped a run", filter)
		}
	})
}
