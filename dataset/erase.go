package dataset

import (
	"math"
	"math/rand/v2"
)

// Random erasing (Zhong et al., "Random Erasing Data Augmentation", 2017;
// torchvision's RandomErasing; the competition's "cutout" and RandErase):
// a training image loses a box of random size and shape, so the net learns
// from the rest of the face (a mask covers the mouth; hair can hide the
// eyes). The box's ranges are the paper's and torchvision's defaults.
const (
	// EraseMinArea and EraseMaxArea bound the box's share of the image.
	EraseMinArea = 0.02
	EraseMaxArea = 0.33
	// EraseMinAspect is the narrowest height:width ratio of the box; its
	// reciprocal the widest.
	EraseMinAspect = 0.3
	// eraseTries is how many boxes are drawn before giving up on an image
	// whose draws all fall outside it (as torchvision, 10).
	eraseTries = 10
)

// eraseBox draws the box to erase in a w×h image: its corner and size. ok
// is false when no draw of eraseTries fitted (the image stays whole).
func eraseBox(w, h int, r *rand.Rand) (x0, y0, bw, bh int, ok bool) {
	area := float64(w * h)
	logLo, logHi := math.Log(EraseMinAspect), math.Log(1/EraseMinAspect)
	for range eraseTries {
		target := area * (EraseMinArea + r.Float64()*(EraseMaxArea-EraseMinArea))
		aspect := math.Exp(logLo + r.Float64()*(logHi-logLo))
		bh = int(math.Round(math.Sqrt(target * aspect)))
		bw = int(math.Round(math.Sqrt(target / aspect)))
		if bw < 1 || bh < 1 || bw > w || bh > h {
			continue
		}
		return r.IntN(w - bw + 1), r.IntN(h - bh + 1), bw, bh, true
	}
	return 0, 0, 0, 0, false
}

// erase sets a box of the normalised CHW image dst (3 planes of w×h) to 0,
// the training images' mean colour, as torchvision's RandomErasing with its
// default value 0 after Normalize.
func erase(dst []float32, w, h int, r *rand.Rand) {
	x0, y0, bw, bh, ok := eraseBox(w, h, r)
	if !ok {
		return
	}
	plane := w * h
	for c := range 3 {
		for y := y0; y < y0+bh; y++ {
			row := dst[c*plane+y*w+x0:]
			clear(row[:bw])
		}
	}
}
