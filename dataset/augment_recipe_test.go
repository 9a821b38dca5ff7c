package dataset

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestAugmentRecipes: the named recipes and settings that change the
// default's set flips, colour jitter and rotation, and nothing else: the
// evaluation transform is the same whatever the recipe, and a training
// transform without any of them is a plain crop of the cached image.
// Settings out of range, or unknown, are refused naming them.
func TestAugmentRecipes(t *testing.T) {
	base := DefaultAugment(16, 16)
	base.Erase = 0.25
	for _, c := range []struct {
		recipe         string
		flip           bool
		jitter, rotate float64
	}{
		{"", true, 0.1, 10}, {AugmentDefault, true, 0.1, 10}, {AugmentLight, true, 0, 0}, {AugmentStrong, true, 0.3, 20},
		{"rotate=0,jitter=0.2", true, 0.2, 0}, {"flip=0", false, 0.1, 10}, {" jitter=0.5 , rotate=45", true, 0.5, 45},
	} {
		a, err := base.WithRecipe(c.recipe)
		if err != nil {
			t.Fatalf("%q: %v", c.recipe, err)
		}
		if a.Flip != c.flip || a.Jitter != c.jitter || a.Rotate != c.rotate || a.Erase != 0.25 || a.W != 16 || a.Pad != base.Pad {
			t.Errorf("%q: %+v", c.recipe, a)
		}
	}
	for recipe, want := range map[string]string{
		"huge": `"huge" is not a recipe`, "rotate=120": "rotate=120 is out of range", "jitter=1": "jitter=1 is out of range",
		"flip=2": "flip=2 is out of range", "spin=3": `"spin" is not a setting`, "rotate": `"rotate" is not a recipe`,
	} {
		if _, err := base.WithRecipe(recipe); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", recipe, err, want)
		}
	}

	// The cached image: random bytes at the padded size.
	w, h := base.size()
	pw, ph := base.BaseSize()
	src := RGB{W: pw, H: ph, Pix: make([]uint8, 3*pw*ph)}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range src.Pix {
		src.Pix[i] = uint8(r.IntN(256))
	}
	eval := make([]float32, 3*w*h)
	base.Apply(src, eval, nil, false)
	for _, recipe := range AugmentRecipes {
		a, _ := base.WithRecipe(recipe)
		got := make([]float32, 3*w*h)
		a.Apply(src, got, nil, false)
		if !slices.Equal(got, eval) {
			t.Errorf("%s: the evaluation transform differs from the default's", recipe)
		}
	}
	plain, _ := base.WithRecipe("flip=0,rotate=0,jitter=0")
	plain.Erase = 0
	got := make([]float32, 3*w*h)
	plain.Apply(src, got, rand.New(rand.NewPCG(3, 4)), false)
	found := false
	for oy := 0; oy <= ph-h && !found; oy++ {
		for ox := 0; ox <= pw-w && !found; ox++ {
			crop := RGB{W: w, H: h, Pix: make([]uint8, 3*w*h)}
			for y := range h {
				copy(crop.Pix[3*y*w:3*(y+1)*w], src.Pix[3*((oy+y)*pw+ox):3*((oy+y)*pw+ox+w)])
			}
			want := make([]float32, 3*w*h)
			plain.Apply(crop, want, nil, false)
			found = slices.Equal(got, want)
		}
	}
	if !found {
		t.Errorf("flip=0,rotate=0,jitter=0 trains on something other than a crop of the cached image")
	}
}
