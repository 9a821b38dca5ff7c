package jpegscale

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// picture is a test image of w×h: smooth gradients, hard-edged shapes in
// saturated colours (what chroma subsampling blurs) and some noise.
func picture(w, h int, seed uint64) *image.NRGBA {
	r := rand.New(rand.NewPCG(seed, 7))
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	cx, cy, rad := float64(w)*0.4, float64(h)*0.45, float64(min(w, h))*0.3
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{uint8(40 + 150*x/w), uint8(60 + 120*y/h), uint8(200 - 100*(x+y)/(w+h)), 255}
			if dx, dy := float64(x)-cx, float64(y)-cy; dx*dx+dy*dy < rad*rad {
				c = color.NRGBA{220, 30, 40, 255}
			}
			if x > w*2/3 && y > h/2 && y < h*3/4 {
				c = color.NRGBA{20, 40, 210, 255}
			}
			n := uint8(r.IntN(9))
			c.R, c.G, c.B = c.R/2+c.R/2+n, c.G+n, c.B+n
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

// boxMeans averages an image over s×s squares: what a decode at 1/s
// scale should give, to rounding.
func boxMeans(m image.Image, s, w, h int) []float64 {
	out := make([]float64, 3*w*h)
	b := m.Bounds()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := 0.0
			for yy := y * s; yy < min((y+1)*s, b.Dy()); yy++ {
				for xx := x * s; xx < min((x+1)*s, b.Dx()); xx++ {
					r, g, bl, _ := m.At(b.Min.X+xx, b.Min.Y+yy).RGBA()
					out[3*(y*w+x)] += float64(r >> 8)
					out[3*(y*w+x)+1] += float64(g >> 8)
					out[3*(y*w+x)+2] += float64(bl >> 8)
					n++
				}
			}
			for c := 0; c < 3; c++ {
				out[3*(y*w+x)+c] /= n
			}
		}
	}
	return out
}

// meansYCbCr averages a decoded colour JPEG over s×s squares in the
// colour space it was coded in (chroma repeated over the pixels it
// covers, as image/jpeg leaves it), then converts the means to RGB:
// averaging after the conversion differs where it clamps (saturated
// colours) by more than the decoders do.
func meansYCbCr(m *image.YCbCr, s, w, h int) []float64 {
	out := make([]float64, 3*w*h)
	b := m.Bounds()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var sum [3]float64
			n := 0.0
			for yy := y * s; yy < min((y+1)*s, b.Dy()); yy++ {
				for xx := x * s; xx < min((x+1)*s, b.Dx()); xx++ {
					c := m.YCbCrAt(xx, yy)
					sum[0] += float64(c.Y)
					sum[1] += float64(c.Cb)
					sum[2] += float64(c.Cr)
					n++
				}
			}
			r, g, bl := color.YCbCrToRGB(uint8(sum[0]/n+0.5), uint8(sum[1]/n+0.5), uint8(sum[2]/n+0.5))
			out[3*(y*w+x)], out[3*(y*w+x)+1], out[3*(y*w+x)+2] = float64(r), float64(g), float64(bl)
		}
	}
	return out
}

// means is meansYCbCr for a colour image, boxMeans for a gray one.
func means(m image.Image, s, w, h int) []float64 {
	if yc, ok := m.(*image.YCbCr); ok {
		return meansYCbCr(yc, s, w, h)
	}
	return boxMeans(m, s, w, h)
}

// gap is the mean and largest absolute difference of two images' values.
func gap(a []uint8, b []float64) (mean, most float64) {
	for i, v := range a {
		d := math.Abs(float64(v) - b[i])
		mean += d
		most = math.Max(most, d)
	}
	return mean / float64(len(a)), most
}

// at asks Decode for scale k of a w×h image.
func at(k int) func(w, h int) (int, int) {
	return func(w, h int) (int, int) { return scaled(w, k), scaled(h, k) }
}

// TestMeansOfTheFullDecode: decoded at 1/8, 1/4 and 1/2, an image is the
// means of image/jpeg's full decode over 8×8, 4×4 and 2×2 squares. A
// grayscale image to the rounding of both (the full decode rounds each
// pixel before they are averaged); a colour one (4:2:0, as image/jpeg
// writes it), averaged as YCbCr, a little further. Where the size is not whole blocks the last
// row and column are the means of whole squares of the encoder's padding
// too (as libjpeg's are).
func TestMeansOfTheFullDecode(t *testing.T) {
	for _, tc := range []struct {
		name       string
		img        image.Image
		mean, most float64
	}{
		{"gray 384x512", toGray(picture(384, 512, 1)), 0.3, 1},
		{"gray 381x509", toGray(picture(381, 509, 2)), 0.3, 4},
		{"colour 384x512", picture(384, 512, 3), 0.45, 4},
		{"colour 381x509", picture(381, 509, 4), 0.45, 4},
	} {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, tc.img, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		full, err := jpeg.Decode(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []int{1, 2, 4} {
			m, err := Decode(b.Bytes(), at(k))
			if err != nil {
				t.Fatalf("%s at %d/8: %v", tc.name, k, err)
			}
			w, h := tc.img.Bounds().Dx(), tc.img.Bounds().Dy()
			if m.Scale != k || m.W != scaled(w, k) || m.H != scaled(h, k) || m.FullW != w || m.FullH != h || len(m.Pix) != 3*m.W*m.H {
				t.Fatalf("%s at %d/8: %dx%d of %dx%d, scale %d, %d bytes", tc.name, k, m.W, m.H, m.FullW, m.FullH, m.Scale, len(m.Pix))
			}
			mean, most := gap(m.Pix, means(full, 8/k, m.W, m.H))
			t.Logf("%s at %d/8: mean difference %.3f, largest %.1f", tc.name, k, mean, most)
			if mean > tc.mean || most > tc.most {
				t.Errorf("%s at %d/8: mean difference %.3f (want ≤ %g), largest %.1f (want ≤ %g)", tc.name, k, mean, tc.mean, most, tc.most)
			}
		}
	}
}

func toGray(m image.Image) *image.Gray {
	g := image.NewGray(m.Bounds())
	for y := m.Bounds().Min.Y; y < m.Bounds().Max.Y; y++ {
		for x := m.Bounds().Min.X; x < m.Bounds().Max.X; x++ {
			g.Set(x, y, m.At(x, y))
		}
	}
	return g
}

// libjpegTools returns the paths of libjpeg-turbo's cjpeg and djpeg
// (package libjpeg-turbo-progs), or skips the test saying why.
func libjpegTools(t *testing.T) (cjpeg, djpeg string) {
	c, err1 := exec.LookPath("cjpeg")
	d, err2 := exec.LookPath("djpeg")
	if err1 != nil || err2 != nil {
		t.Skip("libjpeg-turbo's cjpeg and djpeg are not installed (apt-get install libjpeg-turbo-progs): the reference decoder")
	}
	return c, d
}

// writePPM writes m as a binary PPM, what cjpeg reads.
func writePPM(t *testing.T, path string, m *image.NRGBA) {
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	var b bytes.Buffer
	fmt.Fprintf(&b, "P6\n%d %d\n255\n", w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := m.NRGBAAt(x, y)
			b.Write([]byte{c.R, c.G, c.B})
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readPNM reads djpeg's PPM or PGM output as RGB values.
func readPNM(t *testing.T, b []byte) (w, h int, rgb []float64) {
	var magic string
	var maxv int
	n, err := fmt.Sscan(string(b[:min(len(b), 40)]), &magic, &w, &h, &maxv)
	if err != nil || n != 4 {
		t.Fatalf("djpeg's output: %v", err)
	}
	ch := 3
	if magic == "P5" {
		ch = 1
	}
	px := b[len(b)-ch*w*h:]
	rgb = make([]float64, 3*w*h)
	for i := 0; i < w*h; i++ {
		for c := 0; c < 3; c++ {
			rgb[3*i+c] = float64(px[ch*i+c%ch])
		}
	}
	return w, h, rgb
}

// TestAgreesWithLibjpegTurbo: files written by libjpeg-turbo's cjpeg in
// the kinds cameras and tools write (every common chroma sampling,
// grayscale, restart markers, optimised Huffman tables, low and high
// quality, sizes that are not whole blocks) decode within a few levels of
// libjpeg-turbo's own scaled decoding (djpeg -scale k/8). 4:2:2, 4:4:0
// and 4:1:1 are compared to the full decode's means instead: djpeg scales
// their chroma only as far as it can both ways and repeats it, where this
// decodes it at luma's size where it can (so they are closer to the
// means than djpeg is).
func TestAgreesWithLibjpegTurbo(t *testing.T) {
	cjpeg, djpeg := libjpegTools(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src.ppm")
	for i, tc := range []struct {
		name   string
		w, h   int
		args   []string
		byMean bool
	}{
		{"4:2:0", 384, 512, []string{"-sample", "2x2"}, false},
		{"4:4:4", 384, 512, []string{"-sample", "1x1"}, false},
		{"4:2:2", 384, 512, []string{"-sample", "2x1"}, true},
		{"4:4:0", 384, 512, []string{"-sample", "1x2"}, true},
		{"4:1:1", 384, 512, []string{"-sample", "4x1"}, true},
		{"grayscale", 384, 512, []string{"-grayscale"}, false},
		{"a restart marker every MCU", 384, 512, []string{"-restart", "1B"}, false},
		{"a restart marker every row", 200, 150, []string{"-restart", "1"}, false},
		{"optimised Huffman tables", 384, 512, []string{"-optimize"}, false},
		{"quality 30", 384, 512, []string{"-quality", "30"}, false},
		{"quality 100", 384, 512, []string{"-quality", "100"}, false},
		{"odd size", 381, 509, nil, false},
	} {
		writePPM(t, src, picture(tc.w, tc.h, uint64(10+i)))
		file := filepath.Join(dir, fmt.Sprintf("%d.jpg", i))
		if out, err := exec.Command(cjpeg, append(append([]string{}, tc.args...), "-outfile", file, src)...).CombinedOutput(); err != nil {
			t.Fatalf("cjpeg %v: %v\n%s", tc.args, err, out)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		full, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []int{1, 2, 4} {
			m, err := Decode(b, at(k))
			if err != nil {
				t.Fatalf("%s at %d/8: %v", tc.name, k, err)
			}
			var want []float64
			if tc.byMean {
				want = means(full, 8/k, m.W, m.H)
			} else {
				out, err := exec.Command(djpeg, "-scale", fmt.Sprintf("%d/8", k), "-nosmooth", "-pnm", file).Output()
				if err != nil {
					t.Fatalf("djpeg: %v", err)
				}
				var w, h int
				if w, h, want = readPNM(t, out); w != m.W || h != m.H {
					t.Fatalf("%s at %d/8: %dx%d, djpeg's %dx%d", tc.name, k, m.W, m.H, w, h)
				}
			}
			mean, most := gap(m.Pix, want)
			t.Logf("%s at %d/8: mean difference %.3f, largest %.1f", tc.name, k, mean, most)
			if mean > 0.5 || most > 6 {
				t.Errorf("%s at %d/8: mean difference %.3f (want ≤ 0.5), largest %.1f (want ≤ 6)", tc.name, k, mean, most)
			}
		}
	}
}

// TestWhatItLeavesToImageJPEG: the files it does not read are errors
// (the loader then decodes them with image/jpeg), never a wrong image.
func TestWhatItLeavesToImageJPEG(t *testing.T) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, picture(96, 128, 5), &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	good := b.Bytes()
	if _, err := Decode(good, func(w, h int) (int, int) { return w/2 + 1, 10 }); !errors.Is(err, ErrUnsupported) {
		t.Errorf("a size only a full decode covers: %v, want ErrUnsupported", err)
	}
	cases := map[string][]byte{
		"empty":                nil,
		"not a JPEG":           []byte("<html>Too many requests</html>"),
		"cut in the header":    good[:100],
		"cut in the scan":      good[:len(good)*2/3],
		"a marker in its scan": append(append(append([]byte{}, good[:len(good)/2]...), 0xFF, 0xC4), good[len(good)/2:]...),
		"no start of image":    good[2:],
		"a header that lies":   withSize(good, 60000, 60000),
	}
	for name, data := range cases {
		if _, err := Decode(data, at(2)); err == nil {
			t.Errorf("%s: decoded without an error", name)
		}
	}
	if cjpeg, _ := exec.LookPath("cjpeg"); cjpeg != "" {
		dir := t.TempDir()
		writePPM(t, filepath.Join(dir, "p.ppm"), picture(96, 128, 6))
		for _, kind := range []string{"-progressive", "-rgb"} {
			file := filepath.Join(dir, "p.jpg")
			if out, err := exec.Command(cjpeg, kind, "-outfile", file, filepath.Join(dir, "p.ppm")).CombinedOutput(); err != nil {
				t.Fatalf("cjpeg %s: %v\n%s", kind, err, out)
			}
			p, _ := os.ReadFile(file)
			if _, err := Decode(p, at(2)); !errors.Is(err, ErrUnsupported) {
				t.Errorf("cjpeg %s: %v, want ErrUnsupported", kind, err)
			}
		}
	}
}

// withSize returns a copy of a JPEG whose frame header claims w×h.
func withSize(b []byte, w, h int) []byte {
	c := append([]byte{}, b...)
	for i := 0; i+8 < len(c); i++ {
		if c[i] == 0xFF && c[i+1] == 0xC0 {
			c[i+5], c[i+6], c[i+7], c[i+8] = byte(h>>8), byte(h), byte(w>>8), byte(w)
			break
		}
	}
	return c
}

// FuzzDecode: whatever the bytes, Decode returns an image of the size it
// says or an error; it never panics. The seeds are whole and damaged
// files; go test -fuzz FuzzDecode searches further.
func FuzzDecode(f *testing.F) {
	for i, m := range []image.Image{picture(40, 24, 8), toGray(picture(17, 33, 9))} {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 20 + 60*i}); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes(), uint8(2))
		f.Add(b.Bytes()[:b.Len()/2], uint8(1))
		f.Add(withSize(b.Bytes(), 4000, 3), uint8(4))
	}
	f.Fuzz(func(t *testing.T, data []byte, k uint8) {
		s := []int{1, 2, 4}[int(k)%3]
		m, err := Decode(data, at(s))
		if err == nil && (len(m.Pix) != 3*m.W*m.H || m.W != scaled(m.FullW, m.Scale) || m.H != scaled(m.FullH, m.Scale)) {
			t.Fatalf("%dx%d of %dx%d at %d/8 in %d bytes", m.W, m.H, m.FullW, m.FullH, m.Scale, len(m.Pix))
		}
	})
}
