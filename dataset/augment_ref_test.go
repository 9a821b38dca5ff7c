package dataset

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// applyRef is Apply as it was written first, pixel by pixel in float64
// where it could be: the reference the faster Apply is held to
// (TestApplyMatchesItsReference).
func (a Augment) applyRef(base RGB, dst []float32, r *rand.Rand, flip bool) {
	w, h := a.size()
	ox := float64(base.W-w) / 2
	oy := float64(base.H-h) / 2
	angle := 0.0
	bright, contrast, sat := 1.0, 1.0, 1.0
	if r != nil {
		ox = float64(r.IntN(base.W - w + 1))
		oy = float64(r.IntN(base.H - h + 1))
		if a.Flip && r.IntN(2) == 1 {
			flip = !flip
		}
		if a.Rotate > 0 {
			angle = (r.Float64()*2 - 1) * a.Rotate * math.Pi / 180
		}
		if a.Jitter > 0 {
			bright = 1 + (r.Float64()*2-1)*a.Jitter
			contrast = 1 + (r.Float64()*2-1)*a.Jitter
			sat = 1 + (r.Float64()*2-1)*a.Jitter
		}
	}
	var mean, inv [3]float32
	for c := range 3 {
		mean[c] = a.Mean[c]
		s := a.Std[c]
		if s == 0 {
			s = 1
		}
		inv[c] = 1 / s
	}
	plane := w * h
	cos, sin := math.Cos(angle), math.Sin(angle)
	cx, cy := float64(w-1)/2, float64(h-1)/2
	jitter := bright != 1 || contrast != 1 || sat != 1
	// Contrast pivots on the mean grey of the crop centre region; using a
	// fixed 0.5 keeps it cheap and deterministic.
	const pivot = 0.5
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			xs := x
			if flip {
				xs = w - 1 - x
			}
			var rgb [3]float32
			if angle == 0 {
				o := 3 * ((int(oy)+y)*base.W + int(ox) + xs)
				rgb = [3]float32{float32(base.Pix[o]), float32(base.Pix[o+1]), float32(base.Pix[o+2])}
			} else {
				dx, dy := float64(xs)-cx, float64(y)-cy
				sx := cos*dx + sin*dy + cx + ox
				sy := -sin*dx + cos*dy + cy + oy
				rgb = bilinearRef(base, sx, sy)
			}
			for c := range 3 {
				rgb[c] /= 255
			}
			if jitter {
				for c := range 3 {
					rgb[c] = float32((float64(rgb[c])*bright-pivot)*contrast + pivot)
				}
				g := 0.299*rgb[0] + 0.587*rgb[1] + 0.114*rgb[2]
				for c := range 3 {
					v := g + (rgb[c]-g)*float32(sat)
					rgb[c] = min(max(v, 0), 1)
				}
			}
			i := y*w + x
			dst[i] = (rgb[0] - mean[0]) * inv[0]
			dst[plane+i] = (rgb[1] - mean[1]) * inv[1]
			dst[2*plane+i] = (rgb[2] - mean[2]) * inv[2]
		}
	}
	// Drawn last, and only when set, so that a run without erasing gets
	// the same crops, flips and colours as before it existed.
	if r != nil && a.Erase > 0 && r.Float64() < a.Erase {
		erase(dst, w, h, r)
	}
}

// bilinearRef is the reference's bilinear sample of b at (x, y).
func bilinearRef(b RGB, x, y float64) [3]float32 {
	x = min(max(x, 0), float64(b.W-1))
	y = min(max(y, 0), float64(b.H-1))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, b.W-1), min(y0+1, b.H-1)
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	var out [3]float32
	for c := range 3 {
		p00 := float32(b.Pix[3*(y0*b.W+x0)+c])
		p01 := float32(b.Pix[3*(y0*b.W+x1)+c])
		p10 := float32(b.Pix[3*(y1*b.W+x0)+c])
		p11 := float32(b.Pix[3*(y1*b.W+x1)+c])
		out[c] = (p00*(1-fx)+p01*fx)*(1-fy) + (p10*(1-fx)+p11*fx)*fy
	}
	return out
}

// TestApplyMatchesItsReference: Apply, rewritten for speed, gives what
// its first form gave within float32 rounding, for the training draws
// (crops, flips, rotations, jitter, erasing) and the evaluation transform
// with and without its mirror, on a base image of every byte value; and
// it draws from the random source as much as before (the next draw
// after it is the same), so a seed's crops are unchanged.
func TestApplyMatchesItsReference(t *testing.T) {
	for _, a := range []Augment{DefaultAugment(64, 64), DefaultAugment(20, 28), {W: 16, H: 16, Pad: 0.125, Flip: true, Mean: [3]float32{0.4, 0.5, 0.6}, Std: [3]float32{0.2, 0.3, 0.25}, Erase: 0.5}} {
		bw, bh := a.BaseSize()
		base := RGB{W: bw, H: bh, Pix: make([]uint8, 3*bw*bh)}
		for i := range base.Pix {
			base.Pix[i] = uint8(i*97 + i/7)
		}
		n := 3 * a.W * a.H
		got, want := make([]float32, n), make([]float32, n)
		worst := 0.0
		for k := range 200 {
			r1, r2 := SampleRand(3, 1, k), SampleRand(3, 1, k)
			a.Apply(base, got, r1, false)
			a.applyRef(base, want, r2, false)
			if r1.Uint64() != r2.Uint64() {
				t.Fatalf("%dx%d, sample %d: Apply drew otherwise than its reference", a.W, a.H, k)
			}
			for i := range got {
				worst = max(worst, math.Abs(float64(got[i]-want[i])))
			}
		}
		for _, flip := range []bool{false, true} {
			a.Apply(base, got, nil, flip)
			a.applyRef(base, want, nil, flip)
			for i := range got {
				worst = max(worst, math.Abs(float64(got[i]-want[i])))
			}
		}
		t.Logf("%dx%d: worst %.3g", a.W, a.H, worst)
		if worst > 2e-5 {
			t.Errorf("%dx%d: Apply is %.3g from its reference at worst", a.W, a.H, worst)
		}
	}
}

// prepareYCbCrAny is prepareYCbCr as first written, through
// image.YCbCr.COffset a pixel: the reference the shifts are held to.
func (a Augment) prepareYCbCrAny(m *image.YCbCr) RGB {
	b := m.Bounds()
	x0, y0, cw, ch := a.CropRect(b.Dx(), b.Dy())
	w, h := a.BaseSize()
	out := RGB{W: w, H: h, Pix: make([]uint8, 3*w*h)}
	sx := float64(cw) / float64(w)
	sy := float64(ch) / float64(h)
	for y := 0; y < h; y++ {
		ya := y0 + int(float64(y)*sy)
		yb := min(max(ya+1, y0+int(float64(y+1)*sy)), b.Dy())
		for x := 0; x < w; x++ {
			xa := x0 + int(float64(x)*sx)
			xb := min(max(xa+1, x0+int(float64(x+1)*sx)), b.Dx())
			var sY, sCb, sCr, n int
			for yy := ya; yy < yb; yy++ {
				yrow := m.Y[m.YOffset(b.Min.X, b.Min.Y+yy):]
				for xx := xa; xx < xb; xx++ {
					sY += int(yrow[xx])
					ci := m.COffset(b.Min.X+xx, b.Min.Y+yy)
					sCb += int(m.Cb[ci])
					sCr += int(m.Cr[ci])
					n++
				}
			}
			if n == 0 {
				n = 1
			}
			r, g, bb := color.YCbCrToRGB(uint8(sY/n), uint8(sCb/n), uint8(sCr/n))
			o := 3 * (y*w + x)
			out.Pix[o], out.Pix[o+1], out.Pix[o+2] = r, g, bb
		}
	}
	return out
}

// TestPrepareYCbCrMatchesCOffset: the resize of a decoded JPEG, which
// finds each pixel's chroma sample by shifts, gives the same bytes as
// finding it through image.YCbCr.COffset, for every subsampling ratio,
// odd sizes, an image not at the origin and a centre crop.
func TestPrepareYCbCrMatchesCOffset(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ratios := []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410}
	for _, ratio := range ratios {
		for _, rect := range []image.Rectangle{image.Rect(0, 0, 101, 77), image.Rect(3, 5, 130, 171)} {
			m := image.NewYCbCr(rect, ratio)
			for _, p := range [][]uint8{m.Y, m.Cb, m.Cr} {
				for i := range p {
					p[i] = uint8(r.IntN(256))
				}
			}
			for _, a := range []Augment{DefaultAugment(24, 20), {W: 16, H: 16, Pad: 0.125, CropW: 60, CropH: 50}} {
				got, ok := a.prepareYCbCr(m)
				want := a.prepareYCbCrAny(m)
				if !ok || got.W != want.W || got.H != want.H || !slices.Equal(got.Pix, want.Pix) {
					t.Errorf("ratio %v, %v, %dx%d: the shifts' resize differs from COffset's", ratio, rect, a.W, a.H)
				}
			}
		}
	}
	// An image at negative coordinates goes through RGB instead.
	m := image.NewYCbCr(image.Rect(-3, -5, 60, 70), image.YCbCrSubsampleRatio420)
	a := DefaultAugment(16, 16)
	if _, ok := a.prepareYCbCr(m); ok {
		t.Error("an image at negative coordinates took the shifts")
	}
	if bw, bh := a.BaseSize(); a.Prepare(m).W != bw || a.Prepare(m).H != bh {
		t.Errorf("Prepare of an image at negative coordinates: %dx%d", a.Prepare(m).W, a.Prepare(m).H)
	}
}
