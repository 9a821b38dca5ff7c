package runs

import (
	"strings"
	"testing"
	"time"
)

// TestMatches: the filter's words all must match; k=v by a setting,
// including a value the setting was changed to while training; other
// words as text, the note and the changed values included.
func TestMatches(t *testing.T) {
	i := Info{ID: "20261205-021811-vgg-s-ce", Status: StatusDone, Model: "vgg-s", Loss: "ce", Optim: "adam", LR: 1e-3,
		Note: "Tried the balance sampler", Config: map[string]any{"seed": 2, "sampler": "balance", "val_train": 3},
		Changes: []Change{{Step: 275, Setting: "loss", Value: "focal"}, {Step: 969, Setting: "lr", Value: "0.0005"}}}
	for filter, want := range map[string]bool{
		"":                                 true,
		"vgg":                              true,
		"loss=ce":                          true,
		"loss=focal":                       true, // switched to it at step 275
		"loss=smooth":                      false,
		"lr=0.001 lr=0.0005":               true,
		"seed=2 sampler=BALANCE":           true,
		"seed=3":                           false,
		"balance sampler":                  true, // the note
		"focal vgg":                        true,
		"focal cnn":                        false,
		"note=tried the":                   false, // a key=value word is one word: the whole note
		`note="tried the balance sampler"`: true,  // quoted: one word with its spaces
		`"the balance"`:                    true,  // text with a space
		`"the sampler"`:                    false,
		"unknown-key=x":                    false,
		"status=done model=vgg-s":          true,
		"val_train=3":                      true,
		"val-train=3":                      true, // as the flag spells it
		"val-train=1":                      false,
	} {
		if got := Matches(i, filter); got != want {
			t.Errorf("Matches(%q) = %v, want %v", filter, got, want)
		}
	}
}

// TestFilterComparisons: a word key OP value compares a setting or a
// figure (FilterFigures) by number where both sides are numbers; a
// setting by every value it had (the rate cut to 0.0005 while training is
// below 1e-3), != by none; a run without a figure matches no comparison
// with it.
func TestFilterComparisons(t *testing.T) {
	public := 0.7123
	start := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	i := Info{ID: "20261206-040000-vgg-s-focal", Status: StatusDone, Model: "vgg-s", Loss: "ce", LR: 1e-3, EpochsDone: 12, Epochs: 20,
		Start: start, End: start.Add(90 * time.Minute), IPS: 341,
		Best:   Best{MacroF1: 0.4012, Accuracy: 0.71, Epoch: 9, Tasks: map[string]float64{"mask": 0.93, "gender": 0.88, "age": 0.52}},
		LastF1: 0.39, Public: &public, Config: map[string]any{"seed": 2, "batch": 64, "sampler": "balance", "epochs": 20},
		Changes: []Change{{Step: 275, Setting: "loss", Value: "focal"}, {Step: 969, Setting: "lr", Value: "0.0005"}}}
	fresh := Info{ID: "20261206-050000-cnn-s-ce", Status: StatusRunning, Model: "cnn-s", Loss: "ce", LR: 3e-3, Config: map[string]any{"seed": 1}}
	for filter, want := range map[string][2]bool{ // i, fresh
		"f1>0.4":              {true, false}, // fresh has no validated epoch
		"f1>0.41":             {false, false},
		"f1>=0.4012":          {true, false},
		"f1<0.5":              {true, false},
		"acc>0.7 last-f1<0.4": {true, false},
		"age-f1<0.6":          {true, false},
		"mask-f1>0.95":        {false, false},
		"public>=0.7":         {true, false},
		"public<1":            {true, false}, // fresh has no score: no comparison holds
		"epochs-done>=12":     {true, false},
		"epochs-done<1":       {false, true},
		"epochs>15":           {true, false}, // the setting: to train 20
		"ips>300":             {true, false},
		"minutes>=90":         {true, false},
		"minutes>91":          {false, false},
		"lr<1e-3":             {true, false}, // cut to 0.0005 while training
		"lr>1e-3":             {false, true},
		"lr=1e-3":             {true, false}, // as a number: 0.001
		"lr!=1e-3":            {false, true},
		"loss!=focal":         {false, true},
		"loss!=ce":            {false, false},
		"seed>1 batch>=64":    {true, false},
		"seed<=1":             {false, true},
		"sampler!=balance":    {false, true},
		"F1>0.4 vgg":          {true, false}, // keys without case
		"nothere>1":           {false, false},
	} {
		f, err := ParseFilter(filter)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", filter, err)
			continue
		}
		if got := [2]bool{f.Matches(i), f.Matches(fresh)}; got != want {
			t.Errorf("%q matches %v, want %v", filter, got, want)
		}
	}
	for _, bad := range []string{"f1>", "f1>abc", "lr<=x seed=2"} {
		_, err := ParseFilter(bad)
		if err == nil || !strings.Contains(err.Error(), "not a number") {
			t.Errorf("ParseFilter(%q) = %v, want the word named as not a number", bad, err)
		}
		if Matches(i, bad) {
			t.Errorf("the filter %q that does not parse matched", bad)
		}
	}
	// Text words with the comparisons' marks in them stay text, and so
	// does a quoted word that would compare.
	if f, err := ParseFilter(`<30 a!b "age<30"`); err != nil || !f.Matches(Info{Note: "ages <30 in a!b, age<30"}) || f.Matches(Info{Note: "ages <30 in a!b"}) {
		t.Errorf("text words with < and !: %v", err)
	}
	if _, err := ParseFilter(`note="open`); err == nil || !strings.Contains(err.Error(), "opens a quote it does not close") {
		t.Errorf("an open quote: %v", err)
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

// TestDifferingSettingsLeaveOutTheName: runs differ by their settings,
// not by their names (a sweep's trials are t000, t001…; the id says it).
func TestDifferingSettingsLeaveOutTheName(t *testing.T) {
	a := Info{Config: map[string]any{"name": "t000", "lr": 0.001, "seed": 1}}
	b := Info{Config: map[string]any{"name": "t001", "lr": 0.0003, "seed": 1}}
	if got := DifferingSettings([]Info{a, b}); len(got) != 1 || got[0] != "lr" {
		t.Errorf("DifferingSettings = %v, want [lr]", got)
	}
}
