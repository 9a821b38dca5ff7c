package ops

import "math"

// The elementwise loops of BatchNorm and its gradient, one plane (one
// image's channel) per call. These are the pure-Go versions; the openblas
// build, which has cgo anyway, replaces them with the C versions in
// kernels_c.go, which gcc vectorises. Sums run in a fixed order, so each
// build is repeatable on its own (the two builds differ in rounding).
var (
	// kSumSq returns Σp and Σp².
	kSumSq = goSumSq
	// kAffine writes dst = a·src + b (then max with 0 if relu).
	kAffine = goAffine
	// kSumsAct returns Σv and Σv·(x−μ) for v = d where sc·x+sh > 0, else 0,
	// writing v into dst unless it is nil (dst may be d).
	kSumsAct = goSumsAct
	// kDx writes r = k·(m·d − b − a·x); r may be d.
	kDx = goDx
	// kPool writes the 2×2 max pool of one [h,w] plane into o. When virt
	// is set, the plane holds a virtual BatchNorm layer's input and o gets
	// the pool of its output, max(a·x+b, 0) (no max without relu).
	kPool = goPool
	// kScatter writes one plane's max-pool input gradient: each output's
	// gradient to the input that gave the output (the first in reading
	// order equal to y (scatterStored), or to the window's largest or
	// smallest raw input (a virtual layer's, positive or negative scale)),
	// 0 to the window's other inputs. A row or column left over by an odd
	// size is not written.
	kScatter = goScatter
	// kSumsPooled and kDxPooled are BatchNorm's gradient sums and dx for
	// a virtual layer read by a max pool, from the pool's gradient (see
	// goSumsPooled, goDxPooled).
	kSumsPooled = goSumsPooled
	kDxPooled   = goDxPooled
)

// KernelsName says how the plane loops above run in this binary (for
// `maskdash bench`): Go, AVX2 assembly, or C in the openblas build.
var KernelsName = "Go"

// How kScatter finds a window's chosen input.
const (
	scatterStored = iota
	scatterMax
	scatterMin
)

// keepPos returns d where t > 0, else 0: the ReLU's gradient mask for a
// pre-activation t, with integer operations on the sign (no float min or
// max, which Go compiles to several instructions for their NaN rules).
func keepPos(d, t float32) float32 {
	m := uint32((0 - int64(int32(math.Float32bits(t)))) >> 63)
	return math.Float32frombits(math.Float32bits(d) & m)
}

// goSumSq uses four accumulators each, so the additions do not wait on
// one another.
func goSumSq(p []float32) (float32, float32) {
	var s0, s1, s2, s3, q0, q1, q2, q3 float32
	j := 0
	for ; j+3 < len(p); j += 4 {
		a, b, c, d := p[j], p[j+1], p[j+2], p[j+3]
		s0 += a
		s1 += b
		s2 += c
		s3 += d
		q0 += a * a
		q1 += b * b
		q2 += c * c
		q3 += d * d
	}
	for ; j < len(p); j++ {
		s0 += p[j]
		q0 += p[j] * p[j]
	}
	return (s0 + s1) + (s2 + s3), (q0 + q1) + (q2 + q3)
}

// goAffine rounds the product before adding (the conversion stops the
// compiler fusing them), as every reader of a virtual layer must.
func goAffine(dst, src []float32, a, b float32, relu bool) {
	dst = dst[:len(src)]
	if relu {
		for j, v := range src {
			dst[j] = max(float32(a*v)+b, 0)
		}
		return
	}
	for j, v := range src {
		dst[j] = float32(a*v) + b
	}
}

func goSumsAct(dst, d, x []float32, sc, sh, mu float32) (float32, float32) {
	x = x[:len(d)]
	write := dst != nil
	if write {
		dst = dst[:len(d)]
	}
	var a0, a1, a2, a3, b0, b1, b2, b3 float32
	j := 0
	for ; j+3 < len(d); j += 4 {
		v0 := keepPos(d[j], float32(sc*x[j])+sh)
		v1 := keepPos(d[j+1], float32(sc*x[j+1])+sh)
		v2 := keepPos(d[j+2], float32(sc*x[j+2])+sh)
		v3 := keepPos(d[j+3], float32(sc*x[j+3])+sh)
		if write {
			dst[j], dst[j+1], dst[j+2], dst[j+3] = v0, v1, v2, v3
		}
		a0 += v0
		a1 += v1
		a2 += v2
		a3 += v3
		b0 += v0 * (x[j] - mu)
		b1 += v1 * (x[j+1] - mu)
		b2 += v2 * (x[j+2] - mu)
		b3 += v3 * (x[j+3] - mu)
	}
	for ; j < len(d); j++ {
		v := keepPos(d[j], float32(sc*x[j])+sh)
		if write {
			dst[j] = v
		}
		a0 += v
		b0 += v * (x[j] - mu)
	}
	return (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)
}

// goSumsMasked is goSumsAct with the mask taken from a stored output y.
func goSumsMasked(d, x, y []float32, mu float32, write bool) (float32, float32) {
	x, y = x[:len(d)], y[:len(d)]
	var a0, a1, b0, b1 float32
	j := 0
	for ; j+1 < len(d); j += 2 {
		v0, v1 := keepPos(d[j], y[j]), keepPos(d[j+1], y[j+1])
		if write {
			d[j], d[j+1] = v0, v1
		}
		a0 += v0
		a1 += v1
		b0 += v0 * (x[j] - mu)
		b1 += v1 * (x[j+1] - mu)
	}
	for ; j < len(d); j++ {
		v := keepPos(d[j], y[j])
		if write {
			d[j] = v
		}
		a0 += v
		b0 += v * (x[j] - mu)
	}
	return a0 + a1, b0 + b1
}

// goSumsPlain is the sums without a ReLU.
func goSumsPlain(d, x []float32, mu float32) (float32, float32) {
	x = x[:len(d)]
	var a0, a1, b0, b1 float32
	j := 0
	for ; j+1 < len(d); j += 2 {
		a0 += d[j]
		a1 += d[j+1]
		b0 += d[j] * (x[j] - mu)
		b1 += d[j+1] * (x[j+1] - mu)
	}
	for ; j < len(d); j++ {
		a0 += d[j]
		b0 += d[j] * (x[j] - mu)
	}
	return a0 + a1, b0 + b1
}

func goDx(r, d, x []float32, k, m, a, b float32) {
	d, x = d[:len(r)], x[:len(r)]
	for j, v := range d {
		r[j] = k * (m*v - b - x[j]*a)
	}
}

// goPool: for a virtual layer the transform is monotone (and rounding keeps
// it so), so the window's largest output comes from its largest input when
// the scale is positive, its smallest when negative.
func goPool(o, in []float32, h, w int, virt bool, a, b float32, relu bool) {
	ho, wo := h/2, w/2
	for oy := 0; oy < ho; oy++ {
		r0 := in[2*oy*w : 2*oy*w+w]
		r1 := in[(2*oy+1)*w : (2*oy+1)*w+w]
		orow := o[oy*wo : (oy+1)*wo]
		if !virt {
			for ox := range orow {
				orow[ox] = max(max(r0[2*ox], r0[2*ox+1]), max(r1[2*ox], r1[2*ox+1]))
			}
			continue
		}
		for ox := range orow {
			orow[ox] = poolWindow(r0, r1, ox, virt, a, b, relu)
		}
	}
}

// poolWindow is one output of goPool.
func poolWindow(r0, r1 []float32, ox int, virt bool, a, b float32, relu bool) float32 {
	if !virt {
		return max(max(r0[2*ox], r0[2*ox+1]), max(r1[2*ox], r1[2*ox+1]))
	}
	var v float32
	if a >= 0 {
		v = max(max(r0[2*ox], r0[2*ox+1]), max(r1[2*ox], r1[2*ox+1]))
	} else {
		v = min(min(r0[2*ox], r0[2*ox+1]), min(r1[2*ox], r1[2*ox+1]))
	}
	t := float32(a*v) + b
	if relu {
		t = max(t, 0)
	}
	return t
}

// goScatter: where a virtual layer's ReLU cut the output to 0, BatchNorm's
// gradient masks whichever input is picked. Each pair of input rows is
// cleared (a vectorised memclr), then each window's gradient is stored
// once, at its pick: the first input in reading order equal to the
// window's maximum (minimum, stored output). The pick uses conditional
// moves, not branches: which input wins is a coin toss the CPU cannot
// predict.
func goScatter(dx, dy, x, y []float32, h, w, mode int) {
	ho, wo := h/2, w/2
	for oy := 0; oy < ho; oy++ {
		// Row slices let the compiler drop the bounds checks.
		r0, r1 := x[2*oy*w:2*oy*w+2*wo], x[(2*oy+1)*w:(2*oy+1)*w+2*wo]
		top := dx[2*oy*w : (2*oy+1)*w+2*wo] // the window rows, the stride between them
		clear(top[:2*wo])
		clear(top[w:])
		g := dy[oy*wo : oy*wo+wo]
		switch mode {
		case scatterStored:
			m := y[oy*wo : oy*wo+wo]
			for ox := range g {
				top[scatterPick(r0[2*ox], r0[2*ox+1], r1[2*ox], r1[2*ox+1], m[ox], w)+2*ox] = g[ox]
			}
		default: // the pick recomputed: the window's largest, or smallest
			for ox := range g {
				v0, v1, v2, v3 := r0[2*ox], r0[2*ox+1], r1[2*ox], r1[2*ox+1]
				var m float32
				if mode == scatterMax { // the same way every window: predicted
					m = max(max(v0, v1), max(v2, v3))
				} else {
					m = min(min(v0, v1), min(v2, v3))
				}
				top[scatterPick(v0, v1, v2, v3, m, w)+2*ox] = g[ox]
			}
		}
	}
}

// scatterPick is the offset of a 2×2 window's first input (in reading
// order: v0 v1 / v2 v3, rows w apart) equal to its pick m.
func scatterPick(v0, v1, v2, v3, m float32, w int) int {
	off := w + 1
	if v2 == m {
		off = w
	}
	if v1 == m {
		off = 1
	}
	if v0 == m {
		off = 0
	}
	return off
}

// poolPick returns the offset (0, 1, w or w+1) of the input a 2×2 window
// at x[i0] passes on: the first largest in reading order, or the first
// smallest when neg (a virtual layer with a negative scale).
func poolPick(x []float32, i0, w int, neg bool) int {
	v0, v1, v2, v3 := x[i0], x[i0+1], x[i0+w], x[i0+w+1]
	m := max(max(v0, v1), max(v2, v3))
	if neg {
		m = min(min(v0, v1), min(v2, v3))
	}
	return scatterPick(v0, v1, v2, v3, m, w)
}

// goSumsPooled is goSumsAct for a virtual layer read by a max pool, from
// the pool's gradient g [h/2,w/2] instead of a scattered dy: only each
// window's picked input has a gradient. It records each window's pick
// (0–3, reading order; two bits each, four to a byte) in picks for
// goDxPooled, and with write g keeps the masked values.
func goSumsPooled(g, x []float32, picks []uint8, h, w int, sc, sh, mu float32, relu, write bool) (float32, float32) {
	ho, wo := h/2, w/2
	var a0, b0 float32
	for oy := 0; oy < ho; oy++ {
		for ox := 0; ox < wo; ox++ {
			a, b := sumsPooledWindow(g, x, picks, oy*wo+ox, 2*oy*w+2*ox, w, sc, sh, mu, relu, write)
			a0 += a
			b0 += b
		}
	}
	return a0, b0
}

// sumsPooledWindow is goSumsPooled's work for window o, whose top-left
// input is i0: its pick, and its v and v·(x_pick − μ).
func sumsPooledWindow(g, x []float32, picks []uint8, o, i0, w int, sc, sh, mu float32, relu, write bool) (float32, float32) {
	p := poolPick(x, i0, w, sc < 0)
	at := i0 + p
	if o%4 == 0 {
		picks[o/4] = 0
	}
	picks[o/4] |= uint8(p/w*2+p%w) << (2 * (o % 4))
	v := g[o]
	if relu {
		v = keepPos(v, float32(sc*x[at])+sh)
	}
	if write {
		g[o] = v
	}
	return v, v * (x[at] - mu)
}

// goDxPooled writes BatchNorm's dx, r = k·(m·dy − b − a·x), over one plane
// whose dy is g [h/2,w/2] (masked by goSumsPooled) at each window's pick
// and 0 elsewhere. r may be x.
func goDxPooled(r, g, x []float32, picks []uint8, h, w int, k, m, a, b float32) {
	x = x[:len(r)]
	for j, v := range x {
		r[j] = k * (-b - v*a)
	}
	scatterPooled(r, g, picks, h, w, k, m)
}

// scatterPooled adds k·m·g to the input each window picked.
func scatterPooled(r, g []float32, picks []uint8, h, w int, k, m float32) {
	ho, wo := h/2, w/2
	km := k * m
	for oy := 0; oy < ho; oy++ {
		gr := g[oy*wo : oy*wo+wo]
		for ox, gv := range gr {
			o := oy*wo + ox
			p := int(picks[o/4]>>(2*(o%4))) & 3
			r[(2*oy+p/2)*w+2*ox+p%2] += km * gv
		}
	}
}
