//go:build turbojpeg

package dataset

/*
#cgo LDFLAGS: -lturbojpeg
#include <turbojpeg.h>
*/
import "C"

import (
	"sync"
	"unsafe"
)

// With -tags turbojpeg (needs libturbojpeg0-dev), JPEGs are decoded by
// libjpeg-turbo at 1/8, 1/4, 3/8 or 1/2 scale straight from the DCT
// coefficients, whichever is the smallest that still covers the cached
// size: several times faster than decoding 384×512 pixels and averaging
// them down, so the first epoch's decoding keeps up with training.

var turboHandles = sync.Pool{New: func() any { return C.tjInitDecompress() }}

func init() { fastJPEG = turboDecode }

// jpegDecoderName names the decoder in the key of prepared images kept
// on disk: each build prepares JPEGs a little differently.
const jpegDecoderName = "libjpeg-turbo"

// turboDecode decodes JPEG bytes to RGB, scaled down as far as need allows
// (need gets the full size and returns the least scaled size wanted). It
// returns the image and the full size; ok is false if libjpeg-turbo cannot
// read the data (the caller falls back to image/jpeg).
func turboDecode(b []byte, need func(w, h int) (int, int)) (img RGB, fullW, fullH int, ok bool) {
	if len(b) == 0 {
		return RGB{}, 0, 0, false
	}
	h := turboHandles.Get().(C.tjhandle)
	defer turboHandles.Put(h)
	var w, ht, sub, cs C.int
	src := (*C.uchar)(unsafe.Pointer(&b[0]))
	if C.tjDecompressHeader3(h, src, C.ulong(len(b)), &w, &ht, &sub, &cs) != 0 {
		return RGB{}, 0, 0, false
	}
	minW, minH := need(int(w), int(ht))
	var n C.int
	factors := unsafe.Slice(C.tjGetScalingFactors(&n), int(n))
	bw, bh := int(w), int(ht)
	for _, f := range factors {
		sw := (int(w)*int(f.num) + int(f.denom) - 1) / int(f.denom)
		sh := (int(ht)*int(f.num) + int(f.denom) - 1) / int(f.denom)
		if sw >= minW && sh >= minH && sw*sh < bw*bh {
			bw, bh = sw, sh
		}
	}
	img = RGB{W: bw, H: bh, Pix: make([]uint8, 3*bw*bh)}
	if C.tjDecompress2(h, src, C.ulong(len(b)), (*C.uchar)(unsafe.Pointer(&img.Pix[0])), C.int(bw), 0, C.int(bh),
		C.TJPF_RGB, C.TJFLAG_FASTDCT) != 0 {
		return RGB{}, 0, 0, false
	}
	return img, int(w), int(ht), true
}
