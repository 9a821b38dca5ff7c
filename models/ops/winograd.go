package ops

// Winograd F(2×2, 3×3) for the forward pass of 3×3 "same" convolutions
// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks",
// 2015): each 2×2 block of output comes from a 4×4 block of input with 16
// multiplications per input and output channel instead of 36. An image
// becomes 16 matrix products [O, C] × [C, T] (T tiles of 2×2 outputs)
// between an input transform and an output transform:
//
//	V = Bᵀ d B,  U = G g Gᵀ,  Y = Aᵀ (U ⊙ V) A,  summed over channels,
//
//	Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]
//	G  = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
//	Aᵀ = [1 1 1 0; 0 1 −1 −1]
//
// (cross-correlation, as the convolutions here are). The input gradient
// is the same computation on dy with the kernel flipped and its channels
// swapped (ConvDxOp), and the kernel gradient is taken in Winograd's
// domain (winograd_dw.go); the checks of the backward pass (finite
// differences, Gorgonia's own ops) cover these paths too.

// Winograd turns the Winograd paths on (default): forward, input gradient
// and kernel gradient. main.go sets it false for MASKDASH_WINOGRAD=0, to
// compare them with im2col.
var Winograd = true

var (
	// kWinoIn writes V [16][C][T] from one image x [C,H,W] (H, W even):
	// V[4i+j][c][t] = (Bᵀ d B)[i][j] for tile t's 4×4 block d of channel
	// c, zero-padded by one.
	kWinoIn = goWinoIn
	// kWinoOut writes one image y [O,H,W] from M [16][O][T]: each tile's
	// 2×2 outputs Aᵀ m A.
	kWinoOut = goWinoOut
	// kWinoDy writes Wd [16][O][ld] from one image's output gradient dy
	// [O,H,W]: each tile's A·dY·Aᵀ (winograd_dw.go).
	kWinoDy = goWinoDy
	// kWinoInPanels is kWinoIn writing V as the SGEMM's panels of nr
	// tiles (vLayout in kernels_amd64.go); nil where the build has none.
	kWinoInPanels func(v, x []float32, c, h, w, nr int)
)

// winograd reports whether the forward pass of a convolution with C
// input channels on H×W images takes the Winograd path: 3×3, "same",
// even sizes, and enough channels and tiles that the 16 products are not
// too thin for the BLAS (the first layer, with 3 channels, stays im2col).
func (op *Conv2dOp) winograd(c, h, w, ho, wo int) bool {
	return Winograd && op.K == 3 && op.Pad == 1 && ho == h && wo == w && h%2 == 0 && w%2 == 0 &&
		c >= 16 && (h/2)*(w/2) >= 256
}

// winoKernel writes U [16][O][C] = G g Gᵀ for the kernel g [O,C,3,3].
func winoKernel(u, g []float32, o, c int) {
	parallel(o, func(lo, hi int) {
		for oi := lo; oi < hi; oi++ {
			for ci := 0; ci < c; ci++ {
				k := g[(oi*c+ci)*9 : (oi*c+ci)*9+9]
				// G g: 4×3.
				var gg [4][3]float32
				for j := 0; j < 3; j++ {
					a, b, d := k[j], k[3+j], k[6+j]
					gg[0][j] = a
					gg[1][j] = (a + b + d) * 0.5
					gg[2][j] = (a - b + d) * 0.5
					gg[3][j] = d
				}
				// (G g) Gᵀ: 4×4.
				for i := 0; i < 4; i++ {
					a, b, d := gg[i][0], gg[i][1], gg[i][2]
					r := [4]float32{a, (a + b + d) * 0.5, (a - b + d) * 0.5, d}
					for j := 0; j < 4; j++ {
						u[((4*i+j)*o+oi)*c+ci] = r[j]
					}
				}
			}
		}
	})
}

// winoV and winoM lend the transforms' buffers, shared by every layer.
var winoV, winoM freeList

// winoForward computes image i of the convolution y = g ⋆ x by F(2×2,3×3)
// with U from winoKernel.
func winoForward(y, img, u []float32, c, o, h, w int) {
	t := (h / 2) * (w / 2)
	m := winoM.take(16 * o * t)
	var v []float32
	if pg, ok := BLAS.(panelGemm); ok && kWinoInPanels != nil {
		// V written as the product's own panels: nothing to pack.
		nr := pg.panelWidth()
		tp := (t + nr - 1) / nr * nr
		v = winoV.take(16 * c * tp)
		kWinoInPanels(v, img, c, h, w, nr)
		for xi := 0; xi < 16; xi++ {
			pg.sgemmPanels(false, o, t, c, u[xi*o*c:(xi+1)*o*c], c, v[xi*c*tp:(xi+1)*c*tp], m[xi*o*t:(xi+1)*o*t], t)
		}
	} else {
		v = winoV.take(16 * c * t)
		kWinoIn(v, img, c, h, w)
		for xi := 0; xi < 16; xi++ {
			sgemm(false, false, o, t, c, 1, u[xi*o*c:(xi+1)*o*c], v[xi*c*t:(xi+1)*c*t], 0, m[xi*o*t:(xi+1)*o*t])
		}
	}
	kWinoOut(y, m, o, h, w)
	winoV.give(v)
	winoM.give(m)
}

// goWinoIn is kWinoIn in Go. Per channel and row of tiles it takes the
// four input rows (zero-padded to W+2), applies Bᵀ down the rows as whole
// row operations, then B across each tile's four columns.
func goWinoIn(v, x []float32, c, h, w int) {
	tw, t := w/2, (h/2)*(w/2)
	pw := w + 2
	buf := make([]float32, 8*pw)
	var p [4][]float32
	var r [4][]float32
	for i := range 4 {
		p[i] = buf[i*pw : (i+1)*pw]
		r[i] = buf[(4+i)*pw : (5+i)*pw]
	}
	for ci := 0; ci < c; ci++ {
		plane := x[ci*h*w : (ci+1)*h*w]
		for ty := 0; ty < h/2; ty++ {
			for i := range 4 {
				iy := 2*ty - 1 + i
				row := p[i]
				row[0], row[pw-1] = 0, 0
				if iy < 0 || iy >= h {
					clear(row)
					continue
				}
				copy(row[1:pw-1], plane[iy*w:(iy+1)*w])
			}
			for j := 0; j < pw; j++ {
				a, b, d, e := p[0][j], p[1][j], p[2][j], p[3][j]
				r[0][j] = a - d
				r[1][j] = b + d
				r[2][j] = d - b
				r[3][j] = b - e
			}
			base := ci*t + ty*tw
			for i := range 4 {
				ri := r[i][:pw]
				v0 := v[(4*i+0)*c*t+base : (4*i+0)*c*t+base+tw]
				v1 := v[(4*i+1)*c*t+base : (4*i+1)*c*t+base+tw]
				v2 := v[(4*i+2)*c*t+base : (4*i+2)*c*t+base+tw]
				v3 := v[(4*i+3)*c*t+base : (4*i+3)*c*t+base+tw]
				for tx := 0; tx < tw; tx++ {
					a, b, d, e := ri[2*tx], ri[2*tx+1], ri[2*tx+2], ri[2*tx+3]
					v0[tx] = a - d
					v1[tx] = b + d
					v2[tx] = d - b
					v3[tx] = b - e
				}
			}
		}
	}
}

// goWinoOut is kWinoOut in Go.
func goWinoOut(y, m []float32, o, h, w int) {
	tw, t := w/2, (h/2)*(w/2)
	for oi := 0; oi < o; oi++ {
		plane := y[oi*h*w : (oi+1)*h*w]
		for ty := 0; ty < h/2; ty++ {
			winoOutTiles(plane[2*ty*w:(2*ty+1)*w], plane[(2*ty+1)*w:(2*ty+2)*w], m, o*t, oi*t+ty*tw, 0, tw)
		}
	}
}

// winoOutTiles writes tiles from..to of one row of tiles: y0 and y1 are
// the two output rows, and product k of tile tx is m[k·stride+base+tx].
func winoOutTiles(y0, y1, m []float32, stride, base, from, to int) {
	if from >= to {
		return
	}
	var q [16][]float32
	for xi := range 16 {
		q[xi] = m[xi*stride+base : xi*stride+base+to]
	}
	for tx := from; tx < to; tx++ {
		// Aᵀ m: two rows of four.
		var s0, s1 [4]float32
		for j := 0; j < 4; j++ {
			a, b, d, e := q[j][tx], q[4+j][tx], q[8+j][tx], q[12+j][tx]
			s0[j] = a + b + d
			s1[j] = b - d - e
		}
		y0[2*tx] = s0[0] + s0[1] + s0[2]
		y0[2*tx+1] = s0[1] - s0[2] - s0[3]
		y1[2*tx] = s1[0] + s1[1] + s1[2]
		y1[2*tx+1] = s1[1] - s1[2] - s1[3]
	}
}
