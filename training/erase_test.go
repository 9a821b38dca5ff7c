package training

import (
	"strings"
	"testing"
)

// TestEraseTrains: a run that erases every training image trains (finite
// losses that are not the plain run's: trainMixed checks both), says so in
// its header and keeps it in run.json; --erase with --no-augment, and a
// chance past 1, are refused in a sentence.
func TestEraseTrains(t *testing.T) {
	cfg, tr := trainMixed(t, func(c *Config) { c.Erase = 1 })
	if got := tr.Header().Erase; got != "1" {
		t.Errorf("header's erase %q, want \"1\"", got)
	}
	if got := tr.Header().Tricks(); len(got) != 1 || got[0] != "erasing 1" {
		t.Errorf("header's tricks %q", got)
	}
	if got := runConfig(t, cfg, tr); got.Erase != 1 {
		t.Errorf("run.json: erase %v", got.Erase)
	}
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Erase: 0.5, NoAugment: true}, "--erase 0.5 erases boxes of augmented training images, and --no-augment turns augmentation off"},
		{Config{Erase: 1.5}, "erase 1.5 is invalid"},
	} {
		if err := c.cfg.Check(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v", c.cfg, err)
		}
	}
}
