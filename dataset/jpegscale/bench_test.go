package jpegscale

import (
	"bytes"
	"image/jpeg"
	"testing"
)

// BenchmarkDecode decodes a 384×512 photo-like JPEG (4:2:0, quality 90,
// as the competition's) at 1/4 scale, what training at 64×64 asks, and
// in full with image/jpeg, what the loader did before.
func BenchmarkDecode(b *testing.B) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, picture(384, 512, 1), &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.Run("quarter", func(b *testing.B) {
		for b.Loop() {
			if _, err := Decode(data, at(2)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("image-jpeg", func(b *testing.B) {
		for b.Loop() {
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
