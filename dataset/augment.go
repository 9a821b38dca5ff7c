package dataset

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
)

// Augment describes how an image becomes a float32 CHW tensor. Resizing
// happens once per image (the result is what the Loader caches); the random
// parts run every epoch on the small cached image.
type Augment struct {
	// W, H are the output size. Zero means 64×64.
	W, H int
	// CropW, CropH centre-crop the source image first (in source pixels), as
	// the baseline's CenterCrop((320, 256)); zero means no crop.
	CropW, CropH int
	// Pad is how much larger than W×H the cached image is, as a fraction
	// (0.125 caches 72×72 for a 64×64 output). Training takes a random W×H
	// crop of it, evaluation the centre.
	Pad float64
	// Flip mirrors half of the training images horizontally.
	Flip bool
	// Jitter scales brightness, contrast and saturation by a random factor
	// in [1-Jitter, 1+Jitter] (training only).
	Jitter float64
	// Rotate turns training images by a random angle in ±Rotate degrees.
	Rotate float64
	// Erase is the chance that a training image loses a random box to
	// the mean colour (random erasing, erase.go); 0: never.
	Erase float64
	// Mean and Std normalise each channel of values in [0, 1]. A zero Std
	// means 1.
	Mean, Std [3]float32
}

// DefaultAugment is the training recipe of the user's report at small size:
// random crop, flip, colour jitter 0.1 and rotation ±10°.
func DefaultAugment(w, h int) Augment {
	return Augment{W: w, H: h, Pad: 0.125, Flip: true, Jitter: 0.1, Rotate: 10,
		Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.2, 0.2, 0.2}}
}

func (a Augment) size() (int, int) {
	w, h := a.W, a.H
	if w <= 0 {
		w = 64
	}
	if h <= 0 {
		h = 64
	}
	return w, h
}

// PrepareKey is what Prepare makes of an image depends on: loaders whose
// augmentations have the same key prepare every image alike, so they may
// share one Cache of prepared images (the runs of an ensemble trained at
// one size decode each image once, not once a run).
type PrepareKey struct{ BaseW, BaseH, CropW, CropH int }

// PrepareKey returns a's.
func (a Augment) PrepareKey() PrepareKey {
	w, h := a.BaseSize()
	return PrepareKey{BaseW: w, BaseH: h, CropW: a.CropW, CropH: a.CropH}
}

// BaseSize is the size of the cached image.
func (a Augment) BaseSize() (int, int) {
	w, h := a.size()
	return w + int(math.Round(float64(w)*a.Pad)), h + int(math.Round(float64(h)*a.Pad))
}

// RGB is a packed 8-bit RGB image.
type RGB struct {
	W, H int
	Pix  []uint8 // 3 bytes a pixel, row by row
}

// toRGB converts any image to packed RGB, with fast paths for the types
// the decoders return.
func toRGB(img image.Image) RGB {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := RGB{W: w, H: h, Pix: make([]uint8, 3*w*h)}
	p := out.Pix
	switch m := img.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				yi := m.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := m.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bb := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				o := 3 * (y*w + x)
				p[o], p[o+1], p[o+2] = r, g, bb
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := m.Pix[(y)*m.Stride:]
			for x := 0; x < w; x++ {
				v := row[x]
				o := 3 * (y*w + x)
				p[o], p[o+1], p[o+2] = v, v, v
			}
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < w; x++ {
				o := 3 * (y*w + x)
				p[o], p[o+1], p[o+2] = row[4*x], row[4*x+1], row[4*x+2]
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < w; x++ {
				o := 3 * (y*w + x)
				p[o], p[o+1], p[o+2] = row[4*x], row[4*x+1], row[4*x+2]
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				r, g, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				o := 3 * (y*w + x)
				p[o], p[o+1], p[o+2] = uint8(r>>8), uint8(g>>8), uint8(bb>>8)
			}
		}
	}
	return out
}

// Prepare centre-crops and resizes a decoded image to the cached base size,
// averaging source pixels over each output pixel's area (so large
// reductions do not alias).
func (a Augment) Prepare(img image.Image) RGB {
	if yc, ok := img.(*image.YCbCr); ok {
		if out, ok := a.prepareYCbCr(yc); ok {
			return out
		}
	}
	src := toRGB(img)
	x0, y0, cw, ch := a.CropRect(src.W, src.H)
	bw, bh := a.BaseSize()
	return resizeArea(src, x0, y0, cw, ch, bw, bh)
}

// fastJPEG is a scaled JPEG decoder (set by the turbojpeg build): it
// returns the image decoded at a reduced size of at least need(w, h), and
// the full size.
var fastJPEG func(b []byte, need func(w, h int) (int, int)) (img RGB, fullW, fullH int, ok bool)

func isJPEGName(p string) bool {
	e := strings.ToLower(filepath.Ext(p))
	return e == ".jpg" || e == ".jpeg"
}

// prepareScaled crops and resizes an image decoded at reduced size from a
// fullW×fullH original: the crop is computed in original pixels.
func (a Augment) prepareScaled(src RGB, fullW, fullH int) RGB {
	x0, y0, cw, ch := a.CropRect(fullW, fullH)
	sx, sy := float64(src.W)/float64(fullW), float64(src.H)/float64(fullH)
	X0, Y0 := int(float64(x0)*sx), int(float64(y0)*sy)
	CW, CH := max(int(float64(cw)*sx), 1), max(int(float64(ch)*sy), 1)
	bw, bh := a.BaseSize()
	return resizeArea(src, X0, Y0, min(CW, src.W-X0), min(CH, src.H-Y0), bw, bh)
}

// CropRect is the centre-crop rectangle of a w×h source: CropW×CropH
// centred, a side that is 0 or longer than the source's kept whole.
func (a Augment) CropRect(w, h int) (x0, y0, cw, ch int) {
	cw, ch = w, h
	if a.CropW > 0 && a.CropW < w {
		cw = a.CropW
		x0 = (w - cw) / 2
	}
	if a.CropH > 0 && a.CropH < h {
		ch = a.CropH
		y0 = (h - ch) / 2
	}
	return
}

// prepareYCbCr resizes a decoded JPEG by averaging Y, Cb and Cr over each
// output pixel's area and converting only the averages to RGB (the
// conversion is affine, so this equals converting first, up to clamping):
// a few thousand conversions instead of one per source pixel.
//
// ok is false for a subsampling ratio chromaShifts does not know or an
// image placed at negative coordinates (no decoded JPEG is either):
// Prepare then converts the image to RGB first.
func (a Augment) prepareYCbCr(m *image.YCbCr) (_ RGB, ok bool) {
	b := m.Bounds()
	hx, hy, ok := chromaShifts(m.SubsampleRatio)
	if !ok || b.Min.X < 0 || b.Min.Y < 0 {
		return RGB{}, false
	}
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
				// The chroma sample of (xx, yy) is the one its
				// subsampling puts it in (image.YCbCr.COffset's, as shifts).
				crow := ((b.Min.Y+yy)>>hy-b.Min.Y>>hy)*m.CStride - b.Min.X>>hx
				for xx := xa; xx < xb; xx++ {
					sY += int(yrow[xx])
					ci := crow + (b.Min.X+xx)>>hx
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
	return out, true
}

// chromaShifts are how far right a pixel's x and y shift to reach its
// chroma sample under subsampling ratio r (4:2:0: 1 and 1); ok is false
// for a ratio this does not know.
func chromaShifts(r image.YCbCrSubsampleRatio) (hx, hy uint, ok bool) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 0, 0, true
	case image.YCbCrSubsampleRatio422:
		return 1, 0, true
	case image.YCbCrSubsampleRatio420:
		return 1, 1, true
	case image.YCbCrSubsampleRatio440:
		return 0, 1, true
	case image.YCbCrSubsampleRatio411:
		return 2, 0, true
	case image.YCbCrSubsampleRatio410:
		return 2, 1, true
	}
	return 0, 0, false
}

func resizeArea(src RGB, x0, y0, cw, ch, w, h int) RGB {
	out := RGB{W: w, H: h, Pix: make([]uint8, 3*w*h)}
	sx := float64(cw) / float64(w)
	sy := float64(ch) / float64(h)
	for y := 0; y < h; y++ {
		ya := y0 + int(float64(y)*sy)
		yb := max(ya+1, y0+int(float64(y+1)*sy))
		for x := 0; x < w; x++ {
			xa := x0 + int(float64(x)*sx)
			xb := max(xa+1, x0+int(float64(x+1)*sx))
			var r, g, b, n int
			for yy := ya; yy < yb && yy < src.H; yy++ {
				row := src.Pix[3*(yy*src.W):]
				for xx := xa; xx < xb && xx < src.W; xx++ {
					r += int(row[3*xx])
					g += int(row[3*xx+1])
					b += int(row[3*xx+2])
					n++
				}
			}
			if n == 0 {
				n = 1
			}
			o := 3 * (y*w + x)
			out.Pix[o], out.Pix[o+1], out.Pix[o+2] = uint8(r/n), uint8(g/n), uint8(b/n)
		}
	}
	return out
}

// SampleRand returns the random source for (seed, epoch, index), so that
// augmentation is the same whichever worker runs it.
func SampleRand(seed uint64, epoch, index int) *rand.Rand {
	return rand.New(rand.NewPCG(seed+uint64(epoch)*0x9e3779b97f4a7c15, uint64(index)*0xbf58476d1ce4e5b9+1))
}

// Apply writes the augmented, normalised image into dst (3·H·W floats, CHW).
// With r == nil it is the evaluation transform: centre crop, no randomness.
// flip mirrors the image (test-time augmentation uses it with r == nil).
//
// Each output value is the source byte through a per-channel transform:
// normalisation alone folds into one multiply-add (k, m below); colour
// jitter into an affine map, a pull towards the grey and a clamp, all in
// float32. It draws from r exactly as it always did (crop, flip, angle,
// jitter, then erasing), so a seed gives the same crops as before; the
// values agree with the first, float64 form within float32 rounding
// (TestApplyMatchesItsReference), at 3× its speed (BenchmarkAugmentApply).
func (a Augment) Apply(base RGB, dst []float32, r *rand.Rand, flip bool) {
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
	t := newPixelMap(a.Mean, a.Std, bright, contrast, sat)
	plane := w * h
	dst = dst[:3*plane]
	// Each row's source values (bytes as float32, 0–255) go to the
	// output row by row: first gathered, then mapped in one loop.
	for y := range h {
		out := y * w
		rr, gg, bb := dst[out:out+w], dst[plane+out:plane+out+w], dst[2*plane+out:2*plane+out+w]
		if angle == 0 {
			row := base.Pix[3*((int(oy)+y)*base.W+int(ox)):]
			row = row[:3*w]
			for x := range w {
				xs := x
				if flip {
					xs = w - 1 - x
				}
				p := row[3*xs : 3*xs+3]
				rr[x], gg[x], bb[x] = float32(p[0]), float32(p[1]), float32(p[2])
			}
		} else {
			rotatedRow(base, rr, gg, bb, y, w, h, ox, oy, angle, flip)
		}
		t.row(rr, gg, bb)
	}
	// Drawn last, and only when set, so that a run without erasing gets
	// the same crops, flips and colours as before it existed.
	if r != nil && a.Erase > 0 && r.Float64() < a.Erase {
		erase(dst, w, h, r)
	}
}

// pixelMap takes a source pixel's three bytes (as float32, 0–255) to its
// normalised values: (v − mean)/std of v = the byte/255, after colour
// jitter when there is any (brightness and contrast about 0.5 as one
// affine map, saturation as a pull towards the pixel's grey, then a clamp
// to [0, 1]).
type pixelMap struct {
	jitter     bool
	k, m       [3]float32 // without jitter: byte·k + m
	scale, off float32    // jitter: byte·scale + off, brightness and contrast on [0, 1]
	sat        float32
	mean, inv  [3]float32
}

func newPixelMap(mean, std [3]float32, bright, contrast, sat float64) pixelMap {
	const pivot = 0.5 // contrast pivots on a fixed grey: cheap and deterministic
	t := pixelMap{jitter: bright != 1 || contrast != 1 || sat != 1, sat: float32(sat),
		scale: float32(bright * contrast / 255), off: float32(pivot * (1 - contrast))}
	for c := range 3 {
		s := std[c]
		if s == 0 {
			s = 1
		}
		t.mean[c], t.inv[c] = mean[c], 1/s
		t.k[c], t.m[c] = t.inv[c]/255, -mean[c]*t.inv[c]
	}
	return t
}

// row maps a row of source values (0–255 in each channel) in place to
// their normalised values.
func (t *pixelMap) row(r, g, b []float32) {
	g, b = g[:len(r)], b[:len(r)]
	if !t.jitter {
		for i := range r {
			r[i] = r[i]*t.k[0] + t.m[0]
			g[i] = g[i]*t.k[1] + t.m[1]
			b[i] = b[i]*t.k[2] + t.m[2]
		}
		return
	}
	for i := range r {
		vr, vg, vb := r[i]*t.scale+t.off, g[i]*t.scale+t.off, b[i]*t.scale+t.off
		grey := 0.299*vr + 0.587*vg + 0.114*vb
		r[i] = (clampTo(grey+(vr-grey)*t.sat, 1) - t.mean[0]) * t.inv[0]
		g[i] = (clampTo(grey+(vg-grey)*t.sat, 1) - t.mean[1]) * t.inv[1]
		b[i] = (clampTo(grey+(vb-grey)*t.sat, 1) - t.mean[2]) * t.inv[2]
	}
}

// rotatedRow gathers output row y of a w×h crop at (ox, oy) of base,
// turned by angle about its centre (and mirrored with flip), by bilinear
// samples: 0–255 values per channel into r, g and b. Along the row the
// sample point moves by a fixed step.
func rotatedRow(base RGB, r, g, b []float32, y, w, h int, ox, oy, angle float64, flip bool) {
	cos, sin := math.Cos(angle), math.Sin(angle)
	cx, cy := float64(w-1)/2, float64(h-1)/2
	maxX, maxY := float64(base.W-1), float64(base.H-1)
	dy := float64(y) - cy
	dx, step := -cx, 1.0 // the first output pixel's offset from the centre, and the next's
	if flip {
		dx, step = cx, -1
	}
	sx, sy := cos*dx+sin*dy+cx+ox, -sin*dx+cos*dy+cy+oy
	stepX, stepY := cos*step, -sin*step
	pix, bw := base.Pix, base.W
	g, b = g[:len(r)], b[:len(r)]
	for x := range r {
		px, py := clampTo(sx, maxX), clampTo(sy, maxY)
		sx, sy = sx+stepX, sy+stepY
		x0, y0 := int(px), int(py)
		x1, y1 := min(x0+1, bw-1), min(y0+1, base.H-1)
		fx, fy := float32(px-float64(x0)), float32(py-float64(y0))
		w00, w01, w10, w11 := (1-fx)*(1-fy), fx*(1-fy), (1-fx)*fy, fx*fy
		q00 := pix[3*(y0*bw+x0):][:3]
		q01 := pix[3*(y0*bw+x1):][:3]
		q10 := pix[3*(y1*bw+x0):][:3]
		q11 := pix[3*(y1*bw+x1):][:3]
		r[x] = float32(q00[0])*w00 + float32(q01[0])*w01 + float32(q10[0])*w10 + float32(q11[0])*w11
		g[x] = float32(q00[1])*w00 + float32(q01[1])*w01 + float32(q10[1])*w10 + float32(q11[1])*w11
		b[x] = float32(q00[2])*w00 + float32(q01[2])*w01 + float32(q10[2])*w10 + float32(q11[2])*w11
	}
}

// clampTo clamps v to [0, hi] by plain comparisons: min and max order
// NaNs and signed zeros, which costs in loops like these.
func clampTo[F float32 | float64](v, hi F) F {
	if v < 0 {
		return 0
	}
	if v > hi {
		return hi
	}
	return v
}

// MeanStd computes per-channel mean and standard deviation (values in
// [0, 1]) over prepared images: sqrt(E[x²] − E[x]²), the real standard
// deviation, not the baseline's RMS.
func MeanStd(imgs []RGB) (mean, std [3]float32) {
	var s, s2 [3]float64
	var n float64
	for _, im := range imgs {
		for i := 0; i < len(im.Pix); i += 3 {
			for c := range 3 {
				v := float64(im.Pix[i+c]) / 255
				s[c] += v
				s2[c] += v * v
			}
			n++
		}
	}
	if n == 0 {
		return [3]float32{0.5, 0.5, 0.5}, [3]float32{1, 1, 1}
	}
	for c := range 3 {
		m := s[c] / n
		mean[c] = float32(m)
		std[c] = float32(math.Sqrt(math.Max(s2[c]/n-m*m, 1e-12)))
	}
	return mean, std
}
