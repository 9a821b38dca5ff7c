package dataset

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"testing"
)

// BenchmarkSynthDraw measures drawing one 384×512 face.
func BenchmarkSynthDraw(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 384, 512))
	r := rand.New(rand.NewPCG(1, 2))
	p := newPerson(r, GenderFemale, 50)
	for b.Loop() {
		drawFace(img, r, p, MaskWear)
	}
}

// BenchmarkSynthEncode measures JPEG-encoding one 384×512 face.
func BenchmarkSynthEncode(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 384, 512))
	r := rand.New(rand.NewPCG(1, 2))
	drawFace(img, r, newPerson(r, GenderMale, 20), MaskWear)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	}
}

// BenchmarkSynth2700 writes the full-size default set (2700 profiles,
// 18,900 training images at 384×512, no eval images), the target.
func BenchmarkSynth2700(b *testing.B) {
	for b.Loop() {
		if err := Synthesize(context.Background(), SynthConfig{Out: b.TempDir(), Profiles: 2700, Eval: -1, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
