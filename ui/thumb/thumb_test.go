package thumb

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// stripes is w×h with red even rows and blue odd rows.
func stripes(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{200, 10, 10, 255}
			if y%2 == 1 {
				c = color.RGBA{10, 10, 200, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// gradient has a different colour in every corner.
func gradient(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{uint8(x * 255 / (w - 1)), uint8(y * 255 / (h - 1)), 128, 255})
		}
	}
	return img
}

func TestBlocksPutUpperPixelInForeground(t *testing.T) {
	lines := Blocks(stripes(8, 8), 4, 4)
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4", len(lines))
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w != 4 {
			t.Errorf("line %d is %d cells wide, want 4", i, w)
		}
		if !strings.Contains(l, "\x1b[38;2;200;10;10m\x1b[48;2;10;10;200m▀") {
			t.Errorf("line %d: want red over blue, got %q", i, l)
		}
	}
}

func TestPlainFollowsLuminance(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 2, 1))
	img.SetRGBA(0, 0, color.RGBA{0, 0, 0, 255})
	img.SetRGBA(1, 0, color.RGBA{255, 255, 255, 255})
	if got := Plain(img, 2, 1)[0]; got != " @" {
		t.Errorf("black and white drawn as %q, want \" @\"", got)
	}
}

func decodePNG(t *testing.T, b64 string) image.Image {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("base64: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("png: %v", err)
	}
	return img
}

func samePixels(t *testing.T, got, want image.Image, tol int) {
	t.Helper()
	if got.Bounds().Size() != want.Bounds().Size() {
		t.Fatalf("picture is %v, want %v", got.Bounds().Size(), want.Bounds().Size())
	}
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r0, g0, b0, _ := got.At(x-b.Min.X+got.Bounds().Min.X, y-b.Min.Y+got.Bounds().Min.Y).RGBA()
			r1, g1, b1, _ := want.At(x, y).RGBA()
			for _, d := range []int{int(r0>>8) - int(r1>>8), int(g0>>8) - int(g1>>8), int(b0>>8) - int(b1>>8)} {
				if d > tol || d < -tol {
					t.Fatalf("pixel (%d,%d) is %d,%d,%d, want %d,%d,%d (±%d)", x, y, r0>>8, g0>>8, b0>>8, r1>>8, g1>>8, b1>>8, tol)
				}
			}
		}
	}
}

func TestKittyChunksDecodeToThePicture(t *testing.T) {
	img := gradient(120, 90)
	for i := range img.Pix { // noise, so the PNG needs several chunks
		img.Pix[i] ^= uint8(i * 2654435761 >> 13)
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	s, err := Kitty(img, 12, 6)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("\x1b_G([^;]*);([^\x1b]*)\x1b\\\\")
	m := re.FindAllStringSubmatch(s, -1)
	if len(m) < 2 {
		t.Fatalf("%d chunks, want several", len(m))
	}
	if !strings.Contains(m[0][1], "a=T") || !strings.Contains(m[0][1], "f=100") || !strings.Contains(m[0][1], "c=12,r=6") {
		t.Errorf("first chunk's keys %q lack a=T, f=100 or c=12,r=6", m[0][1])
	}
	var data strings.Builder
	for i, c := range m {
		if len(c[2]) > 4096 {
			t.Errorf("chunk %d holds %d bytes, over 4096", i, len(c[2]))
		}
		want := "m=1"
		if i == len(m)-1 {
			want = "m=0"
		}
		if !strings.Contains(c[1], want) {
			t.Errorf("chunk %d keys %q, want %s", i, c[1], want)
		}
		data.WriteString(c[2])
	}
	samePixels(t, decodePNG(t, data.String()), img, 0)
}

func TestITerm2DecodesToThePicture(t *testing.T) {
	img := gradient(40, 30)
	s, err := ITerm2(img, 8, 4)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("^\x1b]1337;File=inline=1;size=(\\d+);width=8;height=4;preserveAspectRatio=1:([^\a]*)\a\n$").FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("not an OSC 1337 inline image: %.80q", s)
	}
	raw, _ := base64.StdEncoding.DecodeString(m[2])
	if n, _ := strconv.Atoi(m[1]); n != len(raw) {
		t.Errorf("size=%d but %d bytes sent", n, len(raw))
	}
	samePixels(t, decodePNG(t, m[2]), img, 0)
}

// TestSixelDecodesWithLibsixel decodes the sixel with libsixel's
// sixel2png (Debian's libsixel-bin), not with code of this project.
func TestSixelDecodesWithLibsixel(t *testing.T) {
	dec, err := exec.LookPath("sixel2png")
	if err != nil {
		t.Skip("sixel2png is not installed (apt-get install libsixel-bin)")
	}
	img := gradient(50, 31) // a last band of one row
	dir := t.TempDir()
	in, out := filepath.Join(dir, "a.six"), filepath.Join(dir, "a.png")
	if err := os.WriteFile(in, []byte(Sixel(img)), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(dec, "-i", in, "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("sixel2png: %v: %s", err, b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The palette is the 6×6×6 cube: at most half a step (26) off.
	samePixels(t, got, img, 26)
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want Protocol
	}{
		{map[string]string{"TERM": "xterm-256color"}, ProtoBlocks},
		{map[string]string{"TERM": "xterm-kitty"}, ProtoKitty},
		{map[string]string{"TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"}, ProtoITerm2},
		{map[string]string{"TERM": "foot"}, ProtoSixel},
		{map[string]string{"TERM": "xterm-kitty", "TMUX": "/tmp/tmux-0/default,1,0"}, ProtoBlocks},
		{map[string]string{"TERM": "xterm-kitty", "NO_COLOR": "1"}, ProtoPlain},
		{map[string]string{"TERM": "xterm", "MASKDASH_IMAGES": "sixel"}, ProtoSixel},
	} {
		if got := Detect(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%v: %s, want %s", c.env, got, c.want)
		}
	}
	if _, err := ParseProtocol("png", func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), `"png"`) {
		t.Errorf("ParseProtocol(png) = %v, want an error naming it", err)
	}
}

// TestKittyPlaceholders: the picture goes once as a virtual placement,
// and each cell is U+10EEEE with its row's and column's marks in the id's
// colour, one cell wide.
func TestKittyPlaceholders(t *testing.T) {
	img := gradient(30, 20)
	tx, lines, err := KittyPlaceholder(img, 0x0a0b0c, 6, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tx, "\x1b_Ga=T,U=1,f=100,q=2,i=658188,c=6,r=4,") {
		t.Errorf("transmission starts %.50q", tx)
	}
	if w := ansi.StringWidth(tx); w != 0 {
		t.Errorf("the transmission takes %d cells", w)
	}
	if len(lines) != 4 {
		t.Fatalf("%d lines", len(lines))
	}
	for r, l := range lines {
		if w := ansi.StringWidth(l); w != 6 {
			t.Errorf("line %d is %d cells wide, want 6", r, w)
		}
		if !strings.HasPrefix(l, "\x1b[38;2;10;11;12m") {
			t.Errorf("line %d's colour: %.20q", r, l)
		}
		cells := []rune(ansi.Strip(l))
		if len(cells) != 18 || cells[0] != 0x10EEEE || cells[1] != rowCol[r] || cells[2] != rowCol[0] || cells[17] != rowCol[5] {
			t.Errorf("line %d's cells %U", r, cells)
		}
	}
	if _, _, err := KittyPlaceholder(img, 0, 6, 4); err == nil {
		t.Error("id 0 accepted")
	}
}

// TestHeatTintsWhereTheMapIs: a 2×2 map whose top-left cell adds to the
// logit and bottom-right takes from it tints a grey image red at its
// top-left corner and blue at its bottom-right, leaves the other corners
// grey, and a map of zeros leaves the image as it was.
func TestHeatTintsWhereTheMapIs(t *testing.T) {
	grey := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range grey.Pix {
		grey.Pix[i] = 128
		if i%4 == 3 {
			grey.Pix[i] = 255 // opaque
		}
	}
	h := Heat(grey, []float32{2, 0, 0, -2}, 2, 2)
	tl, br, tr := h.RGBAAt(0, 0), h.RGBAAt(7, 7), h.RGBAAt(7, 0)
	if tl.R <= 128 || tl.B >= 128 {
		t.Errorf("the top-left corner is %v, want red", tl)
	}
	if br.B <= 128 || br.R >= 128 {
		t.Errorf("the bottom-right corner is %v, want blue", br)
	}
	if tr != (color.RGBA{128, 128, 128, 255}) {
		t.Errorf("the top-right corner is %v, want the grey it was", tr)
	}
	if z := Heat(grey, make([]float32, 4), 2, 2); !bytes.Equal(z.Pix, grey.Pix) {
		t.Error("a map of zeros changed the image")
	}
}
