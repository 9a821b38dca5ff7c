package thumb

import (
	"image"
	"image/color"
	"math"
)

// Heat draws a map of gh × gw cells over img (a class activation map:
// where a class's logit comes from): each pixel takes the map's value
// there, interpolated bilinearly between cell centres, and is tinted red
// where the value adds to the logit and blue where it takes from it, as
// strongly as its size against the map's largest (at most 60% of the
// tint). A map of zeros leaves img as it was.
func Heat(img image.Image, m []float32, gh, gw int) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	var top float64
	for _, v := range m {
		top = math.Max(top, math.Abs(float64(v)))
	}
	for y := range b.Dy() {
		for x := range b.Dx() {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			c := [3]float64{float64(r >> 8), float64(g >> 8), float64(bl >> 8)}
			if top > 0 && gh > 0 && gw > 0 && len(m) == gh*gw {
				v := bilinear(m, gh, gw, (float64(y)+0.5)*float64(gh)/float64(b.Dy())-0.5, (float64(x)+0.5)*float64(gw)/float64(b.Dx())-0.5) / top
				tint := [3]float64{255, 40, 40} // adds to the logit
				if v < 0 {
					tint, v = [3]float64{40, 90, 255}, -v // takes from it
				}
				a := 0.6 * v
				for i := range c {
					c[i] = (1-a)*c[i] + a*tint[i]
				}
			}
			out.SetRGBA(x, y, color.RGBA{uint8(math.Round(c[0])), uint8(math.Round(c[1])), uint8(math.Round(c[2])), 255})
		}
	}
	return out
}

// bilinear reads the gh × gw grid m at (row, col) in cell units, cell
// centres at whole numbers, clamped at the edges.
func bilinear(m []float32, gh, gw int, row, col float64) float64 {
	row = math.Min(math.Max(row, 0), float64(gh-1))
	col = math.Min(math.Max(col, 0), float64(gw-1))
	r0, c0 := int(row), int(col)
	r1, c1 := min(r0+1, gh-1), min(c0+1, gw-1)
	fr, fc := row-float64(r0), col-float64(c0)
	at := func(r, c int) float64 { return float64(m[r*gw+c]) }
	return (1-fr)*((1-fc)*at(r0, c0)+fc*at(r0, c1)) + fr*((1-fc)*at(r1, c0)+fc*at(r1, c1))
}
