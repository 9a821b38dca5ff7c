package dataset

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// TestScaledDecodeMatchesGo: the scaled decoding path (libjpeg-turbo's
// in the turbojpeg build, jpegscale's in the others) prepares nearly the
// same pixels as decoding in full with image/jpeg and averaging down.
func TestScaledDecodeMatchesGo(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 384, 512))
	r := rand.New(rand.NewPCG(1, 2))
	drawFace(img, r, newPerson(r, GenderFemale, 40), MaskWear)
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 90})
	p := filepath.Join(t.TempDir(), "mask1.jpg")
	os.WriteFile(p, b.Bytes(), 0o644)
	set := &Set{Samples: []Sample{{Path: p}}}
	for _, aug := range []Augment{DefaultAugment(64, 64), {W: 64, H: 64, CropW: 256, CropH: 320}} {
		l := NewLoader(set, LoaderConfig{Aug: aug}, nil, nil)
		fast, ok := l.fastPrepare(0)
		if !ok {
			t.Fatal("the scaled path did not decode")
		}
		dec, _ := DecodeFile(p)
		slow := aug.Prepare(dec)
		if fast.W != slow.W || fast.H != slow.H {
			t.Fatalf("sizes %dx%d vs %dx%d", fast.W, fast.H, slow.W, slow.H)
		}
		var diff float64
		for i := range fast.Pix {
			d := float64(fast.Pix[i]) - float64(slow.Pix[i])
			diff += max(d, -d)
		}
		t.Logf("crop %dx%d: mean difference %.2f levels", aug.CropW, aug.CropH, diff/float64(len(fast.Pix)))
		if mean := diff / float64(len(fast.Pix)); mean > 6 {
			t.Errorf("crop %dx%d: mean difference %.2f levels", aug.CropW, aug.CropH, mean)
		}
	}
	// A broken file falls back (and fails there, with a warning).
	os.WriteFile(p, []byte("not a jpeg"), 0o644)
	l := NewLoader(set, LoaderConfig{Aug: DefaultAugment(64, 64)}, nil, nil)
	if _, ok := l.Prepared(0); ok {
		t.Error("a broken JPEG was accepted")
	}
	_ = context.Background
}
