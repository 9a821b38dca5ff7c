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

// BenchmarkLoader measures the loader from 384×512 JPEGs to augmented
// 64×64 float32 tensors: the first epoch decodes every JPEG, later epochs
// read the cache of prepared images. Reports images/s for each.
func BenchmarkLoader(b *testing.B) {
	dir := b.TempDir()
	if err := Synthesize(context.Background(), SynthConfig{Out: dir, Profiles: 100, Eval: -1, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	set, err := ReadMask(dir, DefaultAgeBins)
	if err != nil {
		b.Fatal(err)
	}
	order := make([]int, set.Len())
	for i := range order {
		order[i] = i
	}
	for _, phase := range []string{"first-epoch", "cached"} {
		b.Run(phase, func(b *testing.B) {
			images := 0
			for b.Loop() {
				b.StopTimer()
				l := NewLoader(set, LoaderConfig{Batch: 32, Aug: DefaultAugment(64, 64), Train: true, Seed: 1}, nil, nil)
				if phase == "cached" {
					for range l.Epoch(context.Background(), 0, order) {
					}
				}
				b.StartTimer()
				for bt := range l.Epoch(context.Background(), 1, order) {
					images += bt.N
				}
			}
			b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkAugmentApply times one training augmentation of a prepared
// image (DefaultAugment at 64×64: random crop, flip, rotation, colour
// jitter, normalisation), what each loader worker does per image once
// the images are cached.
func BenchmarkAugmentApply(b *testing.B) {
	a := DefaultAugment(64, 64)
	bw, bh := a.BaseSize()
	base := RGB{W: bw, H: bh, Pix: make([]uint8, 3*bw*bh)}
	for i := range base.Pix {
		base.Pix[i] = uint8(i * 31)
	}
	dst := make([]float32, 3*64*64)
	i := 0
	for b.Loop() {
		a.Apply(base, dst, SampleRand(1, 0, i), false)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkPrepareYCbCr times the resize of one decoded 384×512 4:2:0
// photo to DefaultAugment's cached 72×72 image, what the first epoch does
// per image after decoding it (without libjpeg-turbo).
func BenchmarkPrepareYCbCr(b *testing.B) {
	m := image.NewYCbCr(image.Rect(0, 0, 384, 512), image.YCbCrSubsampleRatio420)
	for _, p := range [][]uint8{m.Y, m.Cb, m.Cr} {
		for i := range p {
			p[i] = uint8(i * 13)
		}
	}
	a := DefaultAugment(64, 64)
	b.Run("shifts", func(b *testing.B) {
		for b.Loop() {
			a.prepareYCbCr(m)
		}
	})
	b.Run("COffset", func(b *testing.B) { // the first form, the test's reference
		for b.Loop() {
			a.prepareYCbCrAny(m)
		}
	})
}
