package jpegscale

import "math"

// scaling is how a block is reduced along one direction to k pixels:
// pixel x is the sum over freqs u of basis[x][u] times coefficient u.
type scaling struct {
	k     int
	freqs []int       // the frequencies whose cosine's means are not all zero
	basis [][]float32 // [x][i]: for freqs[i]
}

// newScaling makes the scaling to k pixels: basis[x][u] is the mean over
// pixel x's 8/k source pixels of the inverse DCT's cosine u (with its
// factor C(u)/2), so that the k pixels are exactly the means of the 8
// that a full decode gives (before rounding). The frequencies whose
// cosine sums to zero over every pixel's span are left out (for k = 2
// the even ones but 0, for k = 4 frequency 4): their coefficients need
// not be kept.
func newScaling(k int) scaling {
	s := scaling{k: k, basis: make([][]float32, k)}
	var b [8][8]float64
	for u := 0; u < 8; u++ {
		c := 0.5
		if u == 0 {
			c = 0.5 / math.Sqrt2
		}
		zero := true
		for x := 0; x < k; x++ {
			for p := x * 8 / k; p < (x+1)*8/k; p++ {
				b[x][u] += c * math.Cos(float64(2*p+1)*float64(u)*math.Pi/16)
			}
			b[x][u] /= float64(8 / k)
			zero = zero && math.Abs(b[x][u]) < 1e-9
		}
		if !zero {
			s.freqs = append(s.freqs, u)
		}
	}
	for x := range s.basis {
		for _, u := range s.freqs {
			s.basis[x] = append(s.basis[x], float32(b[x][u]))
		}
	}
	return s
}

// scalings holds the scaling to k = 1, 2, 4 and 8 pixels.
var scalings = [9]scaling{1: newScaling(1), 2: newScaling(2), 4: newScaling(4), 8: newScaling(8)}

// keeps says whether a scaling of kx columns and ky rows reads the
// coefficient at natural index nat.
func keeps(kx, ky, nat int) bool {
	in := func(f []int, u int) bool {
		for _, v := range f {
			if v == u {
				return true
			}
		}
		return false
	}
	return in(scalings[kx].freqs, nat%8) && in(scalings[ky].freqs, nat/8)
}

// reducer reduces a component's blocks to kx×ky pixels: rows through
// kx's scaling, then columns through ky's.
type reducer struct {
	kx, ky int
	fx, fy []int         // the frequencies each way that count
	bx, by [8][8]float32 // [pixel][frequency], zero for the others
}

func newReducer(kx, ky int) *reducer {
	r := &reducer{kx: kx, ky: ky, fx: scalings[kx].freqs, fy: scalings[ky].freqs}
	for x := 0; x < kx; x++ {
		for i, u := range r.fx {
			r.bx[x][u] = scalings[kx].basis[x][i]
		}
	}
	for y := 0; y < ky; y++ {
		for i, v := range r.fy {
			r.by[y][v] = scalings[ky].basis[y][i]
		}
	}
	return r
}

// reduce writes the block's pixels at dst, stride bytes a row, from its
// kept coefficients (dequantised, row-major with 8 a row; rows says which
// rows hold any that are not zero: most blocks have few, many only the
// DC).
func (r *reducer) reduce(coef *[64]float32, rows uint8, dst []uint8, stride int) {
	if rows <= 1 && r.onlyDC(coef) { // a flat block
		v := clamp(coef[0]/8 + 128)
		for y := 0; y < r.ky; y++ {
			row := dst[y*stride : y*stride+r.kx]
			for x := range row {
				row[x] = v
			}
		}
		return
	}
	// Rows first, then columns, each a dot product of 8 (the basis is
	// zero at the frequencies that do not count): fixed-size loops the
	// compiler checks no bounds in, faster than looping over the few.
	var tmp [8][8]float32 // tmp[x][v]: coefficient row v at pixel column x
	for v := 0; v < 8; v++ {
		if rows&(1<<v) == 0 {
			continue
		}
		row := (*[8]float32)(coef[8*v : 8*v+8])
		for x := 0; x < r.kx; x++ {
			tmp[x][v] = dot8(&r.bx[x], row)
		}
	}
	for y := 0; y < r.ky; y++ {
		out := dst[y*stride : y*stride+r.kx]
		for x := range out {
			out[x] = clamp(128 + dot8(&r.by[y], &tmp[x]))
		}
	}
}

// dot8 is the dot product of two 8-vectors.
func dot8(a, b *[8]float32) float32 {
	return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] + a[3]*b[3] + a[4]*b[4] + a[5]*b[5] + a[6]*b[6] + a[7]*b[7]
}

// onlyDC says whether the first row's coefficients past the DC are all
// zero.
func (r *reducer) onlyDC(coef *[64]float32) bool {
	for _, u := range r.fx[1:] {
		if coef[u] != 0 {
			return false
		}
	}
	return true
}

// clamp rounds to the nearest 8-bit sample.
func clamp(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}
