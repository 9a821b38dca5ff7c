package jpegscale

import "image/color"

// toRGB converts the decoded planes, cropped to w×h, to RGB. A plane of
// fewer pixels than the image (chroma whose blocks could not be scaled
// up to luma's size) is repeated over the pixels it covers.
func (d *decoder) toRGB(w, h, k int) []uint8 {
	pix := make([]uint8, 3*w*h)
	// Where image pixel (i, j) is in each plane: the MCU is hmax·k image
	// pixels wide and h·kx of the component's (the same for rows).
	cols := make([][]int, len(d.comps))
	for n := range d.comps {
		c := &d.comps[n]
		cols[n] = make([]int, w)
		for i := range cols[n] {
			cols[n][i] = i * c.h * c.kx / (d.hmax * k)
		}
	}
	row := func(n, j int) []uint8 {
		c := &d.comps[n]
		return c.plane[j*c.v*c.ky/(d.vmax*k)*c.stride:]
	}
	if len(d.comps) == 1 {
		for j := 0; j < h; j++ {
			y, out := row(0, j), pix[3*j*w:3*(j+1)*w]
			for i, x := range cols[0] {
				v := y[x]
				out[3*i], out[3*i+1], out[3*i+2] = v, v, v
			}
		}
		return pix
	}
	cy, cb, cr := cols[0], cols[1], cols[2]
	for j := 0; j < h; j++ {
		y, b, r, out := row(0, j), row(1, j), row(2, j), pix[3*j*w:3*(j+1)*w]
		for i := range cy {
			out[3*i], out[3*i+1], out[3*i+2] = color.YCbCrToRGB(y[cy[i]], b[cb[i]], r[cr[i]])
		}
	}
	return pix
}
