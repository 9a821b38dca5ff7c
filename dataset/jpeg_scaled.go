//go:build !turbojpeg

package dataset

import "github.com/maskdash/maskdash/dataset/jpegscale"

// Without libjpeg-turbo, JPEGs are decoded by jpegscale, in Go, at 1/8,
// 1/4 or 1/2 scale straight from the DCT coefficients, whichever is the
// smallest that still covers the cached size: a 384×512 photo for
// training at 64×64 takes 1/4, about twice as fast as image/jpeg's full
// decode and averaging down. A file it does not read (progressive, CMYK,
// damaged) returns false, and is decoded in full by image/jpeg.
func init() { fastJPEG = scaledDecode }

// jpegDecoderName names the decoder in the key of prepared images kept
// on disk: each build prepares JPEGs a little differently.
const jpegDecoderName = "jpegscale"

func scaledDecode(b []byte, need func(w, h int) (int, int)) (img RGB, fullW, fullH int, ok bool) {
	m, err := jpegscale.Decode(b, need)
	if err != nil {
		return RGB{}, 0, 0, false
	}
	return RGB{W: m.W, H: m.H, Pix: m.Pix}, m.FullW, m.FullH, true
}
