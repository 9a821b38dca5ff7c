package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// CutMixBox is the kind of region of each image that CutMix replaces with
// the same region of another image of the batch (the training package
// mixes the labels and decides which batches).
type CutMixBox string

const (
	// CutMixHalf is the right half of the image: the box of the
	// competition's 2022 winners (README, "CutMix"). Each label then
	// weighs one half.
	CutMixHalf CutMixBox = "half"
	// CutMixRandom is Yun et al.'s box (CutMix, 2019): λ drawn uniformly
	// from [0, 1), a box of area 1−λ at a uniform centre, clipped at the
	// image's edges; the labels weigh by the area each shows.
	CutMixRandom CutMixBox = "random"
)

// CutMixBoxes lists the boxes --cutmix-box takes.
var CutMixBoxes = []CutMixBox{CutMixHalf, CutMixRandom}

// ParseCutMixBox reads a box's name.
func ParseCutMixBox(s string) (CutMixBox, error) {
	if slices.Contains(CutMixBoxes, CutMixBox(s)) {
		return CutMixBox(s), nil
	}
	return "", fmt.Errorf("box %q is unknown; use half or random", s)
}

// Box is a rectangle of a w×h image: columns [X0, X1), rows [Y0, Y1).
type Box struct{ X0, X1, Y0, Y1 int }

// Area is the box's pixels (0 when it is empty).
func (b Box) Area() int { return max(b.X1-b.X0, 0) * max(b.Y1-b.Y0, 0) }

// Draw draws a box of this kind in a w×h image (the half box draws
// nothing from rng).
func (k CutMixBox) Draw(w, h int, rng *rand.Rand) Box {
	if k == CutMixHalf {
		return Box{w / 2, w, 0, h}
	}
	cut := math.Sqrt(1 - rng.Float64())
	cw, ch := int(float64(w)*cut), int(float64(h)*cut)
	cx, cy := rng.IntN(w), rng.IntN(h)
	return Box{max(cx-cw/2, 0), min(cx+cw/2, w), max(cy-ch/2, 0), min(cy+ch/2, h)}
}

// PasteBoxes writes into box b of each image i of batch x (CHW images of
// w×h, len(from) of them) the same box of image from[i], as the batch was
// before. src is scratch space for that copy, grown when short; it is
// returned for the next call.
func PasteBoxes(x []float32, w, h int, b Box, from []int, src []float32) []float32 {
	per := 3 * w * h
	n := len(from)
	if len(src) < n*per {
		src = make([]float32, n*per)
	}
	copy(src, x[:n*per])
	for i, o := range from {
		for ch := range 3 {
			for y := b.Y0; y < b.Y1; y++ {
				at := ch*w*h + y*w
				copy(x[i*per+at+b.X0:i*per+at+b.X1], src[o*per+at+b.X0:o*per+at+b.X1])
			}
		}
	}
	return src
}
