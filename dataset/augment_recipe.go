package dataset

import (
	"fmt"
	"strconv"
	"strings"
)

// Augmentation recipes (--augment): how much training images vary beyond
// the random crop, which every recipe keeps. The student's report found
// that more augmentation made its scores worse; a recipe a run, and a
// sweep over them, measures it.
const (
	AugmentLight   = "light"   // flips only
	AugmentDefault = "default" // DefaultAugment's: flips, colour jitter 0.1, rotation ±10°
	AugmentStrong  = "strong"  // flips, colour jitter 0.3, rotation ±20°
)

// AugmentRecipes lists the named recipes.
var AugmentRecipes = []string{AugmentLight, AugmentDefault, AugmentStrong}

// Bounds of a recipe's settings: a turn past a quarter is another image,
// and a jitter of 1 can turn an image black.
const (
	maxRotate = 90.0
	maxJitter = 0.9
)

// WithRecipe returns a with the training transforms of recipe: one of
// AugmentRecipes, or settings separated by commas that change the
// default recipe's (flip=0|1, rotate=DEG up to 90, jitter=F below 1),
// such as "rotate=0,jitter=0.2". "" keeps a as it is. The crop, the size,
// erasing and normalisation are a's: a recipe changes only what varies
// from one epoch to the next, so evaluation sees the same images
// whatever recipe trained.
func (a Augment) WithRecipe(recipe string) (Augment, error) {
	switch recipe {
	case "":
		return a, nil
	case AugmentLight:
		a.Flip, a.Jitter, a.Rotate = true, 0, 0
		return a, nil
	case AugmentDefault:
		d := DefaultAugment(a.W, a.H)
		a.Flip, a.Jitter, a.Rotate = d.Flip, d.Jitter, d.Rotate
		return a, nil
	case AugmentStrong:
		a.Flip, a.Jitter, a.Rotate = true, 0.3, 20
		return a, nil
	}
	a, err := a.WithRecipe(AugmentDefault)
	if err != nil {
		return a, err
	}
	for _, part := range strings.Split(recipe, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		v, perr := strconv.ParseFloat(val, 64)
		switch {
		case !ok || perr != nil:
			return a, fmt.Errorf("augmentation %q: %q is not a recipe (%s) nor a setting such as rotate=5 (flip=0|1, rotate=DEG, jitter=F)", recipe, part, strings.Join(AugmentRecipes, ", "))
		case key == "flip" && (v == 0 || v == 1):
			a.Flip = v == 1
		case key == "rotate" && v >= 0 && v <= maxRotate:
			a.Rotate = v
		case key == "jitter" && v >= 0 && v <= maxJitter:
			a.Jitter = v
		case key == "flip" || key == "rotate" || key == "jitter":
			return a, fmt.Errorf("augmentation %q: %s=%s is out of range: flip is 0 or 1, rotate 0 to %g degrees, jitter 0 to %g", recipe, key, val, maxRotate, maxJitter)
		default:
			return a, fmt.Errorf("augmentation %q: %q is not a setting; use flip, rotate or jitter", recipe, key)
		}
	}
	return a, nil
}
