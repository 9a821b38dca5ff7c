package ops

import "gonum.org/v1/gonum/blas"

// The kernel gradient in Winograd's domain. The forward pass computes, per
// tile, Y = Aᵀ (U ⊙ V) A with U = G g Gᵀ; its gradient with respect to U
// is (A dY Aᵀ) ⊙ V summed over tiles, and with respect to g, Gᵀ (that) G.
// Per image that is 16 matrix products [C, T] × [T, O] (T tiles, inner
// dimension the tiles) between V, the forward's own input transform of x,
// and Wd = A dY Aᵀ, instead of an im2col of dy and a product with an inner
// dimension of H·W: 16·C·O·T multiply-adds where the direct product has
// 36·C·O·T. It is the exact gradient of the Winograd forward pass (the
// same function as the convolution), and it rounds differently from the
// im2col product only in the last bits (TestWinogradKernelGradient).
//
//	A = [1 0; 1 1; 1 −1; 0 −1],  Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1]

// kDotNT adds V·Wᵀ to Z (Z [m, n], V [m, k], W [n, k], rows ldz, ldv, ldw
// floats apart): the products of Winograd's kernel gradient, whose inner
// dimension (the tiles) is contiguous in both operands, so that a kernel
// that sums along it needs no packing (assembly in kernels_amd64.go, C in
// winograd_c.go for the openblas build). Nil where the
// build has none: the BLAS does it.
var kDotNT func(z, v, w []float32, m, n, k, ldz, ldv, ldw int)

// dotGo is Σ a[i]·b[i] (the rows and columns kDotNT leaves to Go).
func dotGo(a, b []float32) float32 {
	var s float32
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

// goWinoDy is kWinoDy in Go: Wd[k][o][t] for k = 4a+b is (A dY Aᵀ)[a][b]
// of tile t of channel o; rows of Wd are ld floats apart.
func goWinoDy(wd, dy []float32, o, h, w, ld int) {
	tw := w / 2
	for oi := 0; oi < o; oi++ {
		plane := dy[oi*h*w : (oi+1)*h*w]
		for ty := 0; ty < h/2; ty++ {
			r0, r1 := plane[2*ty*w:(2*ty+1)*w], plane[(2*ty+1)*w:(2*ty+2)*w]
			winoDyTiles(wd, r0, r1, o*ld, oi*ld+ty*tw, 0, tw)
		}
	}
}

// winoDyTiles writes tiles from..to of one row of tiles: r0 and r1 are
// the two rows of dy, and value k of tile tx goes to wd[k·stride+base+tx].
func winoDyTiles(wd, r0, r1 []float32, stride, base, from, to int) {
	if from >= to {
		return
	}
	var q [16][]float32
	for k := range 16 {
		q[k] = wd[k*stride+base : k*stride+base+to]
	}
	for tx := from; tx < to; tx++ {
		y00, y01, y10, y11 := r0[2*tx], r0[2*tx+1], r1[2*tx], r1[2*tx+1]
		// A dY: four rows (p, q); each becomes (p, p+q, p−q, −q).
		p := [4]float32{y00, y00 + y10, y00 - y10, -y10}
		r := [4]float32{y01, y01 + y11, y01 - y11, -y11}
		for a := range 4 {
			q[4*a][tx] = p[a]
			q[4*a+1][tx] = p[a] + r[a]
			q[4*a+2][tx] = p[a] - r[a]
			q[4*a+3][tx] = -r[a]
		}
	}
}

// winoGradAdd adds one image's kernel gradient in Winograd's domain to
// zt [16][C][O]: zt[k] += V[k] · Wd[k]ᵀ, for the image x [C,H,W] and its
// output gradient dy [O,H,W].
func winoGradAdd(zt, x, dy []float32, c, o, h, w int) {
	t := (h / 2) * (w / 2)
	ld := colStride(t)
	v, wd := winoV.take(16*c*t), winoM.take(16*o*ld)
	kWinoIn(v, x, c, h, w)
	kWinoDy(wd, dy, o, h, w, ld)
	for k := range 16 {
		if kDotNT != nil {
			kDotNT(zt[k*c*o:(k+1)*c*o], v[k*c*t:(k+1)*c*t], wd[k*o*ld:], c, o, t, o, t, ld)
			continue
		}
		BLAS.Sgemm(blas.NoTrans, blas.Trans, c, o, t, 1, v[k*c*t:(k+1)*c*t], t, wd[k*o*ld:], ld, 1, zt[k*c*o:(k+1)*c*o], o)
	}
	winoV.give(v)
	winoM.give(wd)
}

// winoGradFold adds Gᵀ Z G to dw [O,C,3,3], Z[k][o][c] being zt[k][c][o].
func winoGradFold(dw, zt []float32, o, c int) {
	parallel(o, func(lo, hi int) {
		for oi := lo; oi < hi; oi++ {
			for ci := 0; ci < c; ci++ {
				var gz [3][4]float32 // Gᵀ Z
				for b := range 4 {
					z0, z1, z2, z3 := zt[b*c*o+ci*o+oi], zt[(4+b)*c*o+ci*o+oi], zt[(8+b)*c*o+ci*o+oi], zt[(12+b)*c*o+ci*o+oi]
					s, d := 0.5*(z1+z2), 0.5*(z1-z2)
					gz[0][b], gz[1][b], gz[2][b] = z0+s, d, s+z3
				}
				k := dw[(oi*c+ci)*9 : (oi*c+ci)*9+9]
				for r := range 3 { // (Gᵀ Z) G
					s, d := 0.5*(gz[r][1]+gz[r][2]), 0.5*(gz[r][1]-gz[r][2])
					k[3*r] += gz[r][0] + s
					k[3*r+1] += d
					k[3*r+2] += s + gz[r][3]
				}
			}
		}
	})
}
