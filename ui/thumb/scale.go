package thumb

import (
	"image"

	xdraw "golang.org/x/image/draw"
)

// Fit scales img into a w×h picture with x/image/draw's Catmull-Rom
// kernel, which widens as it shrinks, so thumbnails stay smooth rather
// than aliased. Aspect is not kept; callers choose w and h.
func Fit(img image.Image, w, h int) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, max(w, 0), max(h, 0)))
	if w > 0 && h > 0 && !img.Bounds().Empty() {
		xdraw.CatmullRom.Scale(out, out.Bounds(), img, img.Bounds(), xdraw.Src, nil)
	}
	return out
}

// Cols is how many cells wide img is when drawn rows cells high, keeping
// its aspect (a cell is about twice as high as wide).
func Cols(img image.Image, rows int) int {
	b := img.Bounds()
	if b.Dy() == 0 {
		return 2 * rows
	}
	return max(1, (2*rows*b.Dx()+b.Dy()/2)/b.Dy())
}
