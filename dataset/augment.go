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
		return a.prepareYCbCr(yc)
	}
	src := toRGB(img)
	x0, y0, cw, ch := a.crop(src.W, src.H)
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
	x0, y0, cw, ch := a.crop(fullW, fullH)
	sx, sy := float64(src.W)/float64(fullW), float64(src.H)/float64(fullH)
	X0, Y0 := int(float64(x0)*sx), int(float64(y0)*sy)
	CW, CH := max(int(float64(cw)*sx), 1), max(int(float64(ch)*sy), 1)
	bw, bh := a.BaseSize()
	return resizeArea(src, X0, Y0, min(CW, src.W-X0), min(CH, src.H-Y0), bw, bh)
}

// crop returns the centre-crop rectangle of a w×h source.
func (a Augment) crop(w, h int) (x0, y0, cw, ch int) {
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
func (a Augment) prepareYCbCr(m *image.YCbCr) RGB {
	b := m.Bounds()
	x0, y0, cw, ch := a.crop(b.Dx(), b.Dy())
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
				rgb = bilinear(base, sx, sy)
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

func bilinear(b RGB, x, y float64) [3]float32 {
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
