package dataset

import (
	"image"
	"math"
	"math/rand/v2"
)

// rgbf is a colour with float channels in [0, 255].
type rgbf [3]float64

func (c rgbf) scale(f float64) rgbf { return rgbf{c[0] * f, c[1] * f, c[2] * f} }

func mix(a, b rgbf, t float64) rgbf {
	return rgbf{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t, a[2] + (b[2]-a[2])*t}
}

func clamp8(v float64) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v)
}

// canvas draws filled shapes on an RGBA image with a linear light gradient.
type canvas struct {
	img   *image.RGBA
	w, h  int
	shade []float64 // light falloff per column
}

// newCanvas sets up a canvas with a horizontal light gradient (light in
// [-1, 1]) and an exposure gain.
func newCanvas(img *image.RGBA, light, gain float64) *canvas {
	b := img.Bounds()
	c := &canvas{img: img, w: b.Dx(), h: b.Dy(), shade: make([]float64, b.Dx())}
	for x := range c.shade {
		c.shade[x] = gain * (1 + light*(float64(x)/float64(c.w)-0.5)*0.6)
	}
	return c
}

func (c *canvas) put(x, y int, col rgbf, alpha float64) {
	if x < 0 || y < 0 || x >= c.w || y >= c.h {
		return
	}
	o := y*c.img.Stride + 4*x
	p := c.img.Pix[o : o+3 : o+3]
	s := c.shade[x]
	if alpha >= 1 {
		p[0], p[1], p[2] = clamp8(col[0]*s), clamp8(col[1]*s), clamp8(col[2]*s)
		return
	}
	for k := range 3 {
		p[k] = clamp8(float64(p[k])*(1-alpha) + col[k]*s*alpha)
	}
}

// ellipse fills the ellipse centred on (cx, cy) with radii rx, ry, limited
// to rows y0..y1 (use -inf/+inf for all).
func (c *canvas) ellipse(cx, cy, rx, ry float64, col rgbf, alpha, y0, y1 float64) {
	top := int(math.Max(cy-ry, math.Max(y0, 0)))
	bot := int(math.Min(cy+ry, math.Min(y1, float64(c.h-1))))
	for y := top; y <= bot; y++ {
		dy := (float64(y) - cy) / ry
		if dy*dy > 1 {
			continue
		}
		half := rx * math.Sqrt(1-dy*dy)
		xa := max(int(cx-half), 0)
		xb := min(int(cx+half), c.w-1)
		for x := xa; x <= xb; x++ {
			c.put(x, y, col, alpha)
		}
	}
}

// rect fills an axis-aligned rectangle.
func (c *canvas) rect(x0, y0, x1, y1 float64, col rgbf, alpha float64) {
	for y := max(int(y0), 0); y <= min(int(y1), c.h-1); y++ {
		for x := max(int(x0), 0); x <= min(int(x1), c.w-1); x++ {
			c.put(x, y, col, alpha)
		}
	}
}

// line draws a thick line from (x0, y0) to (x1, y1).
func (c *canvas) line(x0, y0, x1, y1, thick float64, col rgbf, alpha float64) {
	n := int(math.Max(math.Abs(x1-x0), math.Abs(y1-y0))) + 1
	r := int(thick / 2)
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(n)
		x, y := int(x0+(x1-x0)*t), int(y0+(y1-y0)*t)
		for dy := -r; dy <= r; dy++ {
			for dx := -r; dx <= r; dx++ {
				c.put(x+dx, y+dy, col, alpha)
			}
		}
	}
}

// background fills a vertical two-colour gradient.
func (c *canvas) background(top, bot rgbf) {
	for y := 0; y < c.h; y++ {
		col := mix(top, bot, float64(y)/float64(c.h))
		r, g, b := clamp8(col[0]), clamp8(col[1]), clamp8(col[2])
		row := c.img.Pix[y*c.img.Stride:]
		for x := 0; x < c.w; x++ {
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = r, g, b, 255
		}
	}
}

// noise adds uniform noise of the given amplitude with a cheap generator.
func (c *canvas) noise(amp float64, seed uint64) {
	if amp <= 0 {
		return
	}
	s := seed | 1
	a := int(amp)
	if a <= 0 {
		return
	}
	span := uint64(2*a + 1)
	for y := 0; y < c.h; y++ {
		row := c.img.Pix[y*c.img.Stride : y*c.img.Stride+4*c.w]
		for i := 0; i < len(row); i += 4 {
			s ^= s << 13
			s ^= s >> 7
			s ^= s << 17
			d := int((s>>32)*span>>32) - a
			for k := range 3 {
				v := int(row[i+k]) + d
				row[i+k] = uint8(min(max(v, 0), 255))
			}
		}
	}
}

// person holds what stays the same across one profile's seven photos.
type person struct {
	gender, age         int
	skin, hair, clothes rgbf
	longHair, beard     bool
	gray                float64 // 0 dark hair … 1 white hair
	wrinkles            int
	faceW, faceH        float64 // face radii as a fraction of the image width/height
	bgTop, bgBot        rgbf
	eyeGap, mouthW      float64
	glasses             bool
}

func newPerson(r *rand.Rand, gender, age int) person {
	p := person{gender: gender, age: age}
	tone := 150 + r.Float64()*90
	p.skin = rgbf{tone, tone * (0.72 + r.Float64()*0.1), tone * (0.55 + r.Float64()*0.12)}
	// Gender cues: long hair (mostly women), beard shadow (some men), face
	// width; each noisy so that gender is harder than mask state.
	if gender == GenderFemale {
		p.longHair = r.Float64() < 0.75
		p.faceW, p.faceH = 0.25+r.Float64()*0.04, 0.27+r.Float64()*0.04
	} else {
		p.longHair = r.Float64() < 0.12
		p.beard = r.Float64() < 0.35
		p.faceW, p.faceH = 0.27+r.Float64()*0.05, 0.28+r.Float64()*0.04
	}
	// Age cues: grey hair and wrinkles grow with age, with wide noise.
	p.gray = math.Min(1, math.Max(0, (float64(age)-38)/28+r.NormFloat64()*0.18))
	p.wrinkles = max(0, int((float64(age)-28)/9+r.NormFloat64()*1.2))
	dark := rgbf{25 + r.Float64()*50, 18 + r.Float64()*35, 12 + r.Float64()*25}
	p.hair = mix(dark, rgbf{205, 205, 210}, p.gray)
	p.clothes = rgbf{r.Float64() * 255, r.Float64() * 255, r.Float64() * 255}
	p.bgTop = rgbf{120 + r.Float64()*135, 120 + r.Float64()*135, 120 + r.Float64()*135}
	p.bgBot = p.bgTop.scale(0.6 + r.Float64()*0.3)
	p.eyeGap = 0.36 + r.Float64()*0.08
	p.mouthW = 0.3 + r.Float64()*0.15
	p.glasses = r.Float64() < 0.15
	return p
}

var maskColours = []rgbf{{240, 240, 245}, {90, 140, 220}, {30, 30, 35}, {220, 170, 190}, {150, 200, 170}}

// drawFace draws one photo of p with the given mask state.
func drawFace(img *image.RGBA, r *rand.Rand, p person, mask int) {
	b := img.Bounds()
	w, h := float64(b.Dx()), float64(b.Dy())
	c := newCanvas(img, r.Float64()*2-1, 0.75+r.Float64()*0.4)
	c.background(p.bgTop, p.bgBot)
	// Pose and scale vary per photo.
	sc := 0.85 + r.Float64()*0.3
	cx := w*0.5 + (r.Float64()-0.5)*w*0.16
	cy := h*0.45 + (r.Float64()-0.5)*h*0.1
	fw, fh := p.faceW*w*sc, p.faceH*h*sc
	// Shoulders.
	c.ellipse(cx, cy+fh*2.2, fw*2.2, fh*1.3, p.clothes, 1, -1, h)
	// Long hair behind the face.
	if p.longHair {
		c.ellipse(cx, cy+fh*0.35, fw*1.3, fh*1.35, p.hair, 1, -1, h)
	}
	// Neck and face.
	c.rect(cx-fw*0.35, cy+fh*0.7, cx+fw*0.35, cy+fh*1.4, p.skin.scale(0.9), 1)
	c.ellipse(cx, cy, fw, fh, p.skin, 1, -1, h)
	// Hair cap.
	c.ellipse(cx, cy-fh*0.55, fw*1.05, fh*0.55, p.hair, 1, -1, cy-fh*0.45)
	// Wrinkles on the forehead and beside the eyes.
	for i := range p.wrinkles {
		y := cy - fh*0.35 + float64(i%4)*fh*0.06
		c.line(cx-fw*0.4, y, cx+fw*0.4, y+fh*0.01, 2, p.skin.scale(0.6), 0.55)
		if i >= 4 {
			c.line(cx-fw*0.75, cy-fh*0.05+float64(i-4)*5, cx-fw*0.6, cy, 2, p.skin.scale(0.6), 0.5)
			c.line(cx+fw*0.75, cy-fh*0.05+float64(i-4)*5, cx+fw*0.6, cy, 2, p.skin.scale(0.6), 0.5)
		}
	}
	// Eyes and brows.
	ex := fw * p.eyeGap
	ey := cy - fh*0.12
	for _, s := range []float64{-1, 1} {
		c.ellipse(cx+s*ex, ey, fw*0.14, fh*0.06, rgbf{245, 245, 245}, 1, -1, h)
		c.ellipse(cx+s*ex, ey, fw*0.06, fh*0.05, rgbf{40, 30, 25}, 1, -1, h)
		c.line(cx+s*ex-fw*0.15, ey-fh*0.12, cx+s*ex+fw*0.15, ey-fh*0.13, 4, p.hair.scale(0.8), 1)
		if p.glasses {
			c.line(cx+s*ex-fw*0.2, ey-fh*0.08, cx+s*ex+fw*0.2, ey-fh*0.08, 3, rgbf{20, 20, 20}, 1)
			c.line(cx+s*ex-fw*0.2, ey+fh*0.08, cx+s*ex+fw*0.2, ey+fh*0.08, 3, rgbf{20, 20, 20}, 1)
		}
	}
	// Nose, mouth, beard.
	ny := cy + fh*0.2
	c.ellipse(cx, ny, fw*0.1, fh*0.07, p.skin.scale(0.8), 1, -1, h)
	my := cy + fh*0.5
	c.ellipse(cx, my, fw*p.mouthW, fh*0.05, rgbf{170, 70, 70}, 1, -1, h)
	if p.beard {
		c.ellipse(cx, cy+fh*0.6, fw*0.8, fh*0.4, p.hair.scale(0.7), 0.45, cy+fh*0.35, h)
	}
	// The mask: worn over nose and mouth, worn incorrectly below the nose,
	// or absent.
	if mask != MaskNotWear {
		mc := maskColours[r.IntN(len(maskColours))]
		top := cy + fh*0.05
		if mask == MaskIncorrect {
			top = cy + fh*(0.36+r.Float64()*0.12)
		}
		c.ellipse(cx, cy+fh*0.55, fw*0.98, fh*0.55, mc, 1, top, h)
		c.line(cx-fw*0.95, top+fh*0.08, cx-fw*1.05, ey, 3, mc.scale(0.8), 1)
		c.line(cx+fw*0.95, top+fh*0.08, cx+fw*1.05, ey, 3, mc.scale(0.8), 1)
	}
	c.noise(6+r.Float64()*10, r.Uint64())
}
