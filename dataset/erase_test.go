package dataset

import (
	"image"
	"math"
	"testing"
)

// TestEraseBoxFollowsTheRanges draws many boxes and checks each against the
// paper's ranges (area 2–33% of the image, height:width 0.3 to 1/0.3), and
// that the draws cover those ranges rather than one corner of them.
func TestEraseBoxFollowsTheRanges(t *testing.T) {
	const w, h = 64, 48
	var minA, maxA, minR, maxR = 1.0, 0.0, 100.0, 0.0
	var left, right int
	for i := range 2000 {
		x0, y0, bw, bh, ok := eraseBox(w, h, SampleRand(3, 0, i))
		if !ok {
			continue
		}
		if x0 < 0 || y0 < 0 || x0+bw > w || y0+bh > h {
			t.Fatalf("box %d,%d %dx%d leaves the %dx%d image", x0, y0, bw, bh, w, h)
		}
		a := float64(bw*bh) / (w * h)
		// Rounding the sides moves the area a little past the bounds on
		// small boxes.
		if a < EraseMinArea*0.7 || a > EraseMaxArea*1.1 {
			t.Errorf("box %dx%d covers %.3f of the image", bw, bh, a)
		}
		ratio := float64(bh) / float64(bw)
		minA, maxA, minR, maxR = math.Min(minA, a), math.Max(maxA, a), math.Min(minR, ratio), math.Max(maxR, ratio)
		if x0+bw/2 < w/2 {
			left++
		} else {
			right++
		}
	}
	if minA > 0.04 || maxA < 0.28 || minR > 0.45 || maxR < 2.5 {
		t.Errorf("areas %.3f–%.3f, ratios %.2f–%.2f: the draws do not span the ranges", minA, maxA, minR, maxR)
	}
	if left < 700 || right < 700 {
		t.Errorf("%d boxes left of the centre, %d right: not spread over the image", left, right)
	}
}

// TestEraseSetsOneBoxToTheMean: with Erase 1 every training image has one
// rectangle of zeros (the mean after normalisation) in all three planes,
// and everything outside it is the image without erasing; the evaluation
// transform never erases; Erase 0 draws nothing more from the random
// source, so a run without it augments exactly as before.
func TestEraseSetsOneBoxToTheMean(t *testing.T) {
	const w, h = 32, 24
	img := image.NewRGBA(image.Rect(0, 0, 50, 40))
	for i := range img.Pix {
		img.Pix[i] = uint8(17 + i*7%200)
	}
	plain := DefaultAugment(w, h)
	plain.Mean = [3]float32{0.01, 0.02, 0.03} // no pixel normalises to 0 by chance
	erased := plain
	erased.Erase = 1
	base := plain.Prepare(img)
	for i := range 50 {
		x := make([]float32, 3*w*h)
		y := make([]float32, 3*w*h)
		plain.Apply(base, x, SampleRand(5, 1, i), false)
		erased.Apply(base, y, SampleRand(5, 1, i), false)
		minX, minY, maxX, maxY := w, h, -1, -1
		n := 0
		for p := range w * h {
			z := y[p] == 0 && y[w*h+p] == 0 && y[2*w*h+p] == 0
			if !z {
				for c := range 3 {
					if y[c*w*h+p] != x[c*w*h+p] {
						t.Fatalf("image %d: pixel %d outside the box changed", i, p)
					}
				}
				continue
			}
			n++
			px, py := p%w, p/w
			minX, minY, maxX, maxY = min(minX, px), min(minY, py), max(maxX, px), max(maxY, py)
		}
		if n == 0 {
			t.Fatalf("image %d: nothing erased with Erase 1", i)
		}
		if box := (maxX - minX + 1) * (maxY - minY + 1); box != n {
			t.Fatalf("image %d: %d pixels erased, not a rectangle (its bounds hold %d)", i, n, box)
		}
	}
	e1 := make([]float32, 3*w*h)
	e2 := make([]float32, 3*w*h)
	plain.Apply(base, e1, nil, false)
	erased.Apply(base, e2, nil, false)
	if !equalF(e1, e2) {
		t.Error("the evaluation transform erased")
	}
	// Erase 0 leaves the random source where the plain transform does.
	r1, r2 := SampleRand(9, 0, 0), SampleRand(9, 0, 0)
	off := plain
	off.Erase = 0
	plain.Apply(base, e1, r1, false)
	off.Apply(base, e2, r2, false)
	if r1.Uint64() != r2.Uint64() {
		t.Error("Erase 0 drew from the random source")
	}
}
