package training

import (
	"slices"
	"strings"
	"testing"
)

// TestAugmentationSetting: --augmentation strong reaches the loader's
// transform, the header and the runs table; off is --no-augment (so a
// sweep's grid can try it), default is no setting; a recipe beside
// --no-augment, or one that does not parse, is refused in a sentence.
func TestAugmentationSetting(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	cfg.Augmentation, cfg.Epochs = "strong", 1
	tr, _, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tr.aug.Jitter != 0.3 || tr.aug.Rotate != 20 || !tr.aug.Flip {
		t.Errorf("--augmentation strong: the transform %+v", tr.aug)
	}
	tricksShown(t, tr, "augmentation strong")

	off := Config{Augmentation: AugmentOff}
	off.Defaults()
	if !off.NoAugment || off.Augmentation != "" {
		t.Errorf("--augmentation off: NoAugment %v, recipe %q", off.NoAugment, off.Augmentation)
	}
	if got := (RunHeader{Augmentation: augmentationShown(off.Augmentation, off.NoAugment)}).Tricks(); !slices.Equal(got, []string{"augmentation off"}) {
		t.Errorf("--augmentation off in the header: %q", got)
	}
	def := Config{Augmentation: "default"}
	def.Defaults()
	if def.Augmentation != "" || def.NoAugment {
		t.Errorf("--augmentation default: %q, NoAugment %v", def.Augmentation, def.NoAugment)
	}
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Augmentation: "light", NoAugment: true}, "--augmentation light sets how training images vary, and --no-augment turns augmentation off"},
		{Config{Augmentation: "rotate=400"}, `--augmentation "rotate=400": rotate=400 is out of range`},
	} {
		bad := tinyConfig(t, t.TempDir())
		bad.Augmentation, bad.NoAugment = c.cfg.Augmentation, c.cfg.NoAugment
		if err := bad.Check(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.cfg.Augmentation, err, c.want)
		}
	}
}

// TestCropLargerThanTheImagesIsSaid: a --crop longer than the images on a
// side says at start what it crops instead (the tiny set's images are
// 48×64); one that fits says nothing.
func TestCropLargerThanTheImagesIsSaid(t *testing.T) {
	warned := func(w, h int) string {
		hub := NewHub()
		cfg := tinyConfig(t, t.TempDir())
		cfg.CropW, cfg.CropH = w, h
		testTrainer(t, cfg, hub)
		_, evs := hub.Subscribe(0)
		for _, e := range evs {
			if e.Kind == KindError && strings.Contains(e.Msg, "--crop") {
				return e.Msg
			}
		}
		return ""
	}
	want := "--crop 40x80 is larger than the images (the first is 48x64): a side the crop is longer than stays whole, so it crops 40x64 at (4, 0)"
	if got := warned(40, 80); got != want {
		t.Errorf("--crop 40x80: %q, want %q", got, want)
	}
	if got := warned(40, 60); got != "" {
		t.Errorf("--crop 40x60 fits 48x64: %q", got)
	}
}
