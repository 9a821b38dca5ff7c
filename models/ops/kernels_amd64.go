//go:build amd64 && !openblas

package ops

import "golang.org/x/sys/cpu"

// On x86-64 with AVX2 the default build runs the BatchNorm plane loops in
// assembly (sgemm_amd64.s, written by ./asmgen), 8 floats a step; the
// openblas build has them as C (kernels_c.go). The sums add in another
// order than the Go loops, so the two differ in the last bits, each
// repeatable on its own; the affine transform and dx round exactly as
// the Go loops do.
func init() {
	if !cpu.X86.HasAVX2 {
		return
	}
	kAffine = avxAffine
	kSumSq = avxSumSq
	kSumsAct = avxSumsAct
	kDx = avxDx
	KernelsName = "AVX2 assembly (BatchNorm, pooling, Winograd transforms, Winograd kernel-gradient sums)"
	if cpu.X86.HasAVX512F {
		KernelsName = "AVX2 assembly (BatchNorm, pooling, Winograd transforms), AVX-512 (Winograd kernel-gradient sums)"
	}
	kWinoOut = avxWinoOut
	kWinoIn = avxWinoIn
	kWinoInPanels = avxWinoInPanels
	kWinoDy = avxWinoDy
	kDotNT = avxDotNT
	kPool = avxPool
	kScatter = avxScatter
	kDxPooled = avxDxPooled
	kSumsPooled = avxSumsPooled
	kAdam = avxAdam
}

// avxAdam is goAdam four values a step in assembly, the rest in Go.
func avxAdam(w, g, m, v []float32, s AdamStep) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	n := len(w) &^ 3
	if n > 0 {
		fn := adamAVX
		if s.L2 != 0 {
			fn = adamL2AVX
		}
		fn(&w[0], &g[0], &m[0], &v[0], n, s.L2, s.B1, 1-s.B1, s.B2, 1-s.B2, s.SqrtBC2, s.Eps, s.Keep, s.Step)
	}
	goAdam(w[n:], g[n:], m[n:], v[n:], s)
}

// avxSumsPooled is goSumsPooled with eight windows a step in assembly
// when a row holds whole bytes of picks (wo a multiple of 4); the rest of
// a row in Go. The sums add in another order than the Go loop's.
func avxSumsPooled(g, x []float32, picks []uint8, h, w int, sc, sh, mu float32, relu, write bool) (float32, float32) {
	ho, wo := h/2, w/2
	n := wo &^ 7
	if n == 0 || wo%4 != 0 {
		return goSumsPooled(g, x, picks, h, w, sc, sh, mu, relu, write)
	}
	sgn := float32(1)
	if sc < 0 {
		sgn = -1 // a min pool: the max of the negated inputs
	}
	fn := sumsPooledAVX
	switch {
	case relu && write:
		fn = sumsPooledReluWriteAVX
	case relu:
		fn = sumsPooledReluAVX
	case write:
		fn = sumsPooledWriteAVX
	}
	var a0, b0 float32
	for oy := 0; oy < ho; oy++ {
		r0 := x[2*oy*w : 2*oy*w+2*n]
		r1 := x[(2*oy+1)*w : (2*oy+1)*w+2*n]
		row := g[oy*wo : oy*wo+n]
		pk := picks[oy*wo/4 : (oy*wo+n)/4]
		a, b := fn(&row[0], &r0[0], &r1[0], &pk[0], n, sgn, sc, sh, mu)
		a0 += a
		b0 += b
		for ox := n; ox < wo; ox++ {
			a, b := sumsPooledWindow(g, x, picks, oy*wo+ox, 2*oy*w+2*ox, w, sc, sh, mu, relu, write)
			a0 += a
			b0 += b
		}
	}
	return a0, b0
}

// avxPool is goPool with eight windows a step in assembly.
func avxPool(o, in []float32, h, w int, virt bool, a, b float32, relu bool) {
	ho, wo := h/2, w/2
	n := wo &^ 7
	if n == 0 {
		goPool(o, in, h, w, virt, a, b, relu)
		return
	}
	for oy := 0; oy < ho; oy++ {
		r0 := in[2*oy*w : 2*oy*w+2*wo]
		r1 := in[(2*oy+1)*w : (2*oy+1)*w+2*wo]
		orow := o[oy*wo : (oy+1)*wo]
		switch {
		case !virt:
			poolAVX(&orow[0], &r0[0], &r1[0], n, a, b)
		case a >= 0 && relu:
			poolVirtMaxReluAVX(&orow[0], &r0[0], &r1[0], n, a, b)
		case a >= 0:
			poolVirtMaxAVX(&orow[0], &r0[0], &r1[0], n, a, b)
		case relu:
			poolVirtMinReluAVX(&orow[0], &r0[0], &r1[0], n, a, b)
		default:
			poolVirtMinAVX(&orow[0], &r0[0], &r1[0], n, a, b)
		}
		for ox := n; ox < wo; ox++ {
			orow[ox] = poolWindow(r0, r1, ox, virt, a, b, relu)
		}
	}
}

// avxScatter is goScatter with eight windows a step in assembly where the
// forward pass stored its picks (scatterStored: a pool that is not of a
// virtual layer, cnn-s's); the rest of a row, and the other modes, in Go.
// Bit for bit the same: it only compares and moves values.
func avxScatter(dx, dy, x, y []float32, h, w, mode int) {
	ho, wo := h/2, w/2
	n := wo &^ 7
	if n == 0 || mode != scatterStored {
		goScatter(dx, dy, x, y, h, w, mode)
		return
	}
	for oy := 0; oy < ho; oy++ {
		r0, r1 := x[2*oy*w:2*oy*w+2*wo], x[(2*oy+1)*w:(2*oy+1)*w+2*wo]
		d0, d1 := dx[2*oy*w:2*oy*w+2*wo], dx[(2*oy+1)*w:(2*oy+1)*w+2*wo]
		g, m := dy[oy*wo:oy*wo+wo], y[oy*wo:oy*wo+wo]
		scatterAVX(&d0[0], &d1[0], &r0[0], &r1[0], &m[0], &g[0], n)
		for ox := n; ox < wo; ox++ {
			off := scatterPick(r0[2*ox], r0[2*ox+1], r1[2*ox], r1[2*ox+1], m[ox], 2*wo)
			d0[2*ox], d0[2*ox+1], d1[2*ox], d1[2*ox+1] = 0, 0, 0, 0
			if off < 2 {
				d0[2*ox+off] = g[ox]
			} else {
				d1[2*ox+off-2*wo] = g[ox]
			}
		}
	}
}

// avxDxPooled is goDxPooled with the part every input gets in assembly.
func avxDxPooled(r, g, x []float32, picks []uint8, h, w int, k, m, a, b float32) {
	x = x[:len(r)]
	n := len(r) &^ 7
	if n > 0 {
		dxBaseAVX(&r[0], &x[0], n, k, a, -b)
	}
	for j := n; j < len(r); j++ {
		r[j] = k * (-b - x[j]*a)
	}
	scatterPooled(r, g, picks, h, w, k, m)
}

// avxWinoOut is goWinoOut with eight tiles of a row at a time in
// assembly; the additions are the same, in the same order.
func avxWinoOut(y, m []float32, o, h, w int) {
	tw, t := w/2, (h/2)*(w/2)
	n := tw &^ 7
	for oi := 0; oi < o; oi++ {
		plane := y[oi*h*w : (oi+1)*h*w]
		for ty := 0; ty < h/2; ty++ {
			y0, y1 := plane[2*ty*w:(2*ty+1)*w], plane[(2*ty+1)*w:(2*ty+2)*w]
			base := oi*t + ty*tw
			_ = m[15*o*t+base+tw-1] // the kernel reads up to here
			if n > 0 {
				winoOutAVX(&y0[0], &y1[0], &m[base], o*t, n)
			}
			winoOutTiles(y0, y1, m, o*t, base, n, tw)
		}
	}
}

// avxWinoDy is goWinoDy with eight tiles of a row at a time in assembly,
// bit-equal to it.
func avxWinoDy(wd, dy []float32, o, h, w, ld int) {
	tw := w / 2
	n := tw &^ 7
	for oi := 0; oi < o; oi++ {
		plane := dy[oi*h*w : (oi+1)*h*w]
		for ty := 0; ty < h/2; ty++ {
			r0, r1 := plane[2*ty*w:(2*ty+1)*w], plane[(2*ty+1)*w:(2*ty+2)*w]
			base := oi*ld + ty*tw
			_ = wd[15*o*ld+base+tw-1] // the kernel writes up to here
			if n > 0 {
				winoDyAVX(&wd[base], &r0[0], &r1[0], o*ld, n)
			}
			winoDyTiles(wd, r0, r1, o*ld, base, n, tw)
		}
	}
}

func avxAffine(dst, src []float32, a, b float32, relu bool) {
	dst = dst[:len(src)]
	n := len(src) &^ 7
	if n > 0 {
		if relu {
			affineReluAVX(&dst[0], &src[0], n, a, b)
		} else {
			affineAVX(&dst[0], &src[0], n, a, b)
		}
	}
	goAffine(dst[n:], src[n:], a, b, relu)
}

func avxSumSq(p []float32) (float32, float32) {
	n := len(p) &^ 7
	var s, q float32
	if n > 0 {
		s, q = sumSqAVX(&p[0], n)
	}
	ts, tq := goSumSq(p[n:])
	return s + ts, q + tq
}

func avxSumsAct(dst, d, x []float32, sc, sh, mu float32) (float32, float32) {
	x = x[:len(d)]
	n := len(d) &^ 7
	var a, b float32
	if n > 0 {
		if dst != nil {
			dst = dst[:len(d)]
			a, b = sumsActWriteAVX(&dst[0], &d[0], &x[0], n, sc, sh, mu)
		} else {
			a, b = sumsActAVX(&d[0], &x[0], n, sc, sh, mu)
		}
	}
	var rest []float32
	if dst != nil {
		rest = dst[n:]
	}
	ta, tb := goSumsAct(rest, d[n:], x[n:], sc, sh, mu)
	return a + ta, b + tb
}

func avxDx(r, d, x []float32, k, m, a, b float32) {
	d, x = d[:len(r)], x[:len(r)]
	n := len(r) &^ 7
	if n > 0 {
		dxAVX(&r[0], &d[0], &x[0], n, k, m, a, b)
	}
	goDx(r[n:], d[n:], x[n:], k, m, a, b)
}

// avxWinoIn is goWinoIn with both passes of the transform in assembly,
// eight columns or tiles a step; the same additions in the same order.
func avxWinoIn(v, x []float32, c, h, w int) { avxWinoInTo(v, x, c, h, w, 0) }

// avxWinoInPanels is kWinoIn writing each V[k] [C, T] as the SGEMM's B
// panels of nr tiles (vLayout): V[k][c][t] goes to
// v[k·C·Tp + (t/nr)·C·nr + c·nr + t%nr], Tp being T rounded up to nr.
func avxWinoInPanels(v, x []float32, c, h, w, nr int) { avxWinoInTo(v, x, c, h, w, nr) }

// vLayout says where V's values go: plainly, or as panels of nr tiles.
type vLayout struct{ c, t, nr, kstride int }

// at is where value k of tile tt of channel ci goes.
func (l vLayout) at(k, ci, tt int) int {
	if l.nr == 0 {
		return k*l.kstride + ci*l.t + tt
	}
	return k*l.kstride + tt/l.nr*l.c*l.nr + ci*l.nr + tt%l.nr
}

// avxWinoInTo is goWinoIn with the passes in assembly, into V laid out
// plainly (nr 0) or as panels of nr tiles.
func avxWinoInTo(v, x []float32, c, h, w, nr int) {
	tw, t := w/2, (h/2)*(w/2)
	if tw < 8 && nr == 0 {
		goWinoIn(v, x, c, h, w)
		return
	}
	l := vLayout{c: c, t: t, nr: nr, kstride: c * t}
	if nr > 0 {
		l.kstride = c * ((t + nr - 1) / nr * nr)
	}
	pw := w + 2
	w8 := w &^ 7
	sp := (pw+7)&^7 + 16 // a row's room: the row pass reads 16 floats past its last tile
	// r: the column pass's four rows, each zero-padded by one column on
	// both sides (never written); zero: the rows past the image's edges.
	buf := make([]float32, 4*sp+w)
	r, zero := buf[:4*sp], buf[4*sp:]
	_ = v[l.at(15, c-1, t-1)] // the row pass writes up to here
	var rows [4][]float32
	for ci := 0; ci < c; ci++ {
		plane := x[ci*h*w : (ci+1)*h*w]
		for ty := 0; ty < h/2; ty++ {
			// The column pass reads the image's rows in place.
			for i := range 4 {
				rows[i] = zero
				if iy := 2*ty - 1 + i; iy >= 0 && iy < h {
					rows[i] = plane[iy*w : (iy+1)*w]
				}
			}
			if w8 > 0 {
				winoInColsAVX(&r[1], &rows[0][0], &rows[1][0], &rows[2][0], &rows[3][0], sp, w8)
			}
			for j := w8; j < w; j++ {
				a, b, d, e := rows[0][j], rows[1][j], rows[2][j], rows[3][j]
				r[1+j], r[sp+1+j], r[2*sp+1+j], r[3*sp+1+j] = a-d, b+d, d-b, b-e
			}
			t0 := ty * tw
			for i := range 4 {
				ri := r[i*sp : i*sp+pw]
				// Runs of tiles that stay in one panel: eight a step in
				// assembly, the rest here.
				for tx := 0; tx < tw; {
					end := tw
					if nr > 0 {
						end = min(tw, (t0+tx)/nr*nr+nr-t0)
					}
					if k8 := (end - tx) &^ 7; k8 > 0 {
						winoInRowAVX(&v[l.at(4*i, ci, t0+tx)], &r[i*sp+2*tx], l.kstride, k8)
						tx += k8
					}
					for ; tx < end; tx++ {
						a, b, d, e := ri[2*tx], ri[2*tx+1], ri[2*tx+2], ri[2*tx+3]
						v[l.at(4*i+0, ci, t0+tx)] = a - d
						v[l.at(4*i+1, ci, t0+tx)] = b + d
						v[l.at(4*i+2, ci, t0+tx)] = d - b
						v[l.at(4*i+3, ci, t0+tx)] = b - e
					}
				}
			}
		}
	}
}

// avxDotNT is kDotNT with blocks of rows × 4 columns in assembly (4 rows
// with AVX-512, 2 with AVX2) over the inner dimension's whole vectors; the
// rest (the last rows and columns, the tail of the inner dimension) in Go.
func avxDotNT(z, v, w []float32, m, n, k, ldz, ldv, ldw int) {
	dot, mr, lanes := dot2x4AVX2, 2, 8
	if cpu.X86.HasAVX512F {
		dot, mr, lanes = dot4x4AVX512, 4, 16
	}
	kv := k &^ (lanes - 1)
	mb, nb := m/mr*mr, n&^3
	if kv == 0 || mb == 0 || nb == 0 {
		mb, nb, kv = 0, 0, 0 // all in Go
	}
	if kv > 0 {
		_, _, _ = z[(mb-1)*ldz+nb-1], v[(mb-1)*ldv+kv-1], w[(nb-1)*ldw+kv-1]
		for i := 0; i < mb; i += mr {
			for j := 0; j < nb; j += 4 {
				dot(&z[i*ldz+j], ldz, &v[i*ldv], ldv, &w[j*ldw], ldw, kv)
			}
		}
	}
	// In Go: the tail of the inner dimension of the block, then the rows
	// and columns past it.
	if kv < k {
		for i := range mb {
			for j := range nb {
				z[i*ldz+j] += dotGo(v[i*ldv+kv:i*ldv+k], w[j*ldw+kv:j*ldw+k])
			}
		}
	}
	for i := range m {
		j0 := nb
		if i >= mb {
			j0 = 0
		}
		for j := j0; j < n; j++ {
			z[i*ldz+j] += dotGo(v[i*ldv:i*ldv+k], w[j*ldw:j*ldw+k])
		}
	}
}
