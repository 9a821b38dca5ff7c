package dataset

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
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

// TestCheckImagesNamesWhatTrainingSkips: stats' check of every image
// names exactly the images the loader cannot prepare: a JPEG cut short
// and an empty file, not a sound JPEG or PNG.
func TestCheckImagesNamesWhatTrainingSkips(t *testing.T) {
	dir := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 96, 128))
	r := rand.New(rand.NewPCG(3, 4))
	drawFace(img, r, newPerson(r, GenderMale, 25), MaskWear)
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 85})
	files := map[string][]byte{"good.jpg": b.Bytes(), "cut.jpg": b.Bytes()[:b.Len()/2], "empty.jpg": nil}
	var p bytes.Buffer
	png.Encode(&p, img)
	files["good.png"] = p.Bytes()
	set := &Set{}
	for name, data := range files {
		path := filepath.Join(dir, name)
		os.WriteFile(path, data, 0o644)
		set.Samples = append(set.Samples, Sample{Path: path})
	}
	bad := map[string]bool{}
	for _, s := range CheckImages(context.Background(), set, 2) {
		bad[filepath.Base(s.Path)] = true
	}
	if len(bad) != 2 || !bad["cut.jpg"] || !bad["empty.jpg"] {
		t.Errorf("CheckImages found %v, want cut.jpg and empty.jpg", bad)
	}
	l := NewLoader(set, LoaderConfig{Aug: DefaultAugment(32, 32)}, nil, nil)
	for i, s := range set.Samples {
		if _, ok := l.Prepared(i); ok == bad[filepath.Base(s.Path)] {
			t.Errorf("%s: the loader prepares it: %v; CheckImages calls it unreadable: %v", filepath.Base(s.Path), ok, bad[filepath.Base(s.Path)])
		}
	}
}
