package thumb

import (
	"image"
	"image/color"
)

// Fit scales img into a w×h picture by averaging the source pixels that
// fall in each target pixel (a box filter: thumbnails stay smooth, not
// aliased). Aspect is not kept; callers choose w and h.
func Fit(img image.Image, w, h int) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if sw == 0 || sh == 0 || w <= 0 || h <= 0 {
		return out
	}
	for y := range h {
		y0, y1 := b.Min.Y+y*sh/h, b.Min.Y+max((y+1)*sh/h, y*sh/h+1)
		for x := range w {
			x0, x1 := b.Min.X+x*sw/w, b.Min.X+max((x+1)*sw/w, x*sw/w+1)
			var r, g, bl, n uint64
			for yy := y0; yy < y1; yy++ {
				for xx := x0; xx < x1; xx++ {
					cr, cg, cb, _ := img.At(xx, yy).RGBA()
					r, g, bl, n = r+uint64(cr), g+uint64(cg), bl+uint64(cb), n+1
				}
			}
			out.SetRGBA(x, y, color.RGBA{uint8(r / n >> 8), uint8(g / n >> 8), uint8(bl / n >> 8), 255})
		}
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
