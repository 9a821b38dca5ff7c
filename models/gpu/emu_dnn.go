//go:build gpuemu && !cuda

package gpu

import (
	"math"
)

// cuDNN's and cuBLAS's calls in the emulator (see emu_device.go): each
// reads its operands into float32 NCHW, computes there in float32 (sums
// in float64) and writes its result back in the operand's own form,
// rounding to bfloat16 where that is the form.

// Tensor describes a shape: NCHW float32, or NHWC bfloat16.
type Tensor struct {
	N, C, H, W int
	bf16       bool
}

// NewTensor describes [n, c, h, w] in float32 NCHW.
func (d *Device) NewTensor(n, c, h, w int) (*Tensor, error) { return d.NewTensorAs(n, c, h, w, false) }

// NewTensorAs describes [n, c, h, w] as float32 NCHW or bfloat16 NHWC.
func (d *Device) NewTensorAs(n, c, h, w int, bf16 bool) (*Tensor, error) {
	return &Tensor{N: n, C: c, H: h, W: w, bf16: bf16}, nil
}

// Free does nothing.
func (t *Tensor) Free() {}

// Size is the number of values.
func (t *Tensor) Size() int { return t.N * t.C * t.H * t.W }

func (t *Tensor) read(b Buffer) []float32     { return readAs(b, t.N, t.C, t.H*t.W, t.bf16) }
func (t *Tensor) write(b Buffer, v []float32) { writeAs(b, t.N, t.C, t.H*t.W, t.bf16, v) }

// readAs is b's n×c×hw values as float32 NCHW: b itself, or b's bfloat16
// NHWC widened by the project's own layout kernel.
func readAs(b Buffer, n, c, hw int, bf16 bool) []float32 {
	out := make([]float32, n*c*hw)
	if !bf16 {
		copy(out, b.floats())
		return out
	}
	widenNHWC(b, n, c, hw, out)
	return out
}

// writeAs stores float32 NCHW v into b in its form (bfloat16 NHWC rounded
// by the project's own layout kernel).
func writeAs(b Buffer, n, c, hw int, bf16 bool, v []float32) {
	if !bf16 {
		copy(b.floats(), v[:n*c*hw])
		return
	}
	roundNHWC(v, n, c, hw, b)
}

// SearchBytes bounds the workspace the algorithm search may try (the
// emulator searches nothing).
const SearchBytes = 1 << 30

// ConvShape is a convolution of x [N, C, H, W] with K kernels R×R,
// padding Pad. TF32 is recorded; BF16 makes x, y and their gradients
// bfloat16 NHWC and the kernels bfloat16 KRSC.
type ConvShape struct {
	N, C, H, W, K, R, Pad int
	TF32, BF16            bool
}

// Conv is one convolution.
type Conv struct{ s ConvShape }

// NewConv describes s.
func (d *Device) NewConv(s ConvShape, x, w, y, dx, dw Buffer) (*Conv, error) { return &Conv{s: s}, nil }

// Free does nothing.
func (cv *Conv) Free() {}

// Shape is what the convolution was described as.
func (cv *Conv) Shape() ConvShape { return cv.s }

// Algorithms are none in the emulator: the zero ConvAlgorithms.
func (cv *Conv) Algorithms() ConvAlgorithms { return ConvAlgorithms{} }

func (cv *Conv) out() (ho, wo int) {
	s := cv.s
	return s.H + 2*s.Pad - s.R + 1, s.W + 2*s.Pad - s.R + 1
}

// taps calls f for every column value of image i whose input lies
// inside the image (the padding's are 0): its index in the columns
// [C·R·R, Ho·Wo] and its input's in x [N, C, H, W].
func (cv *Conv) taps(i int, f func(col, x int)) {
	s := cv.s
	ho, wo := cv.out()
	for ci := range s.C {
		for ky := range s.R {
			for kx := range s.R {
				row := ((ci*s.R+ky)*s.R + kx) * ho * wo
				for oy := range ho {
					iy := oy + ky - s.Pad
					if iy < 0 || iy >= s.H {
						continue
					}
					for ox := range wo {
						if ix := ox + kx - s.Pad; ix >= 0 && ix < s.W {
							f(row+oy*wo+ox, ((i*s.C+ci)*s.H+iy)*s.W+ix)
						}
					}
				}
			}
		}
	}
}

// im2col is image i's columns: [C·R·R, Ho·Wo].
func (cv *Conv) im2col(x []float32, i int, col []float32) {
	clear(col)
	cv.taps(i, func(c, xi int) { col[c] = x[xi] })
}

// col2im adds columns back into image i of dx.
func (cv *Conv) col2im(col []float32, i int, dx []float32) {
	cv.taps(i, func(c, xi int) { dx[xi] += col[c] })
}

func (cv *Conv) weights(w Buffer) []float32 {
	s := cv.s
	return readAs(w, s.K, s.C, s.R*s.R, s.BF16)
}

// convForwardNow sets y = conv(x, w).
func (d *Device) convForwardNow(cv *Conv, x, w, y Buffer) error {
	s := cv.s
	ho, wo := cv.out()
	xs, ws := readAs(x, s.N, s.C, s.H*s.W, s.BF16), cv.weights(w)
	crr := s.C * s.R * s.R
	col, ys := make([]float32, crr*ho*wo), make([]float32, s.N*s.K*ho*wo)
	for i := range s.N {
		cv.im2col(xs, i, col)
		emulatorGemm(false, false, s.K, ho*wo, crr, 1, ws, col, 0, ys[i*s.K*ho*wo:(i+1)*s.K*ho*wo])
	}
	writeAs(y, s.N, s.K, ho*wo, s.BF16, ys)
	return nil
}

// convBackwardDataNow sets dx from w and dy.
func (d *Device) convBackwardDataNow(cv *Conv, w, dy, dx Buffer) error {
	s := cv.s
	ho, wo := cv.out()
	ws, dys := cv.weights(w), readAs(dy, s.N, s.K, ho*wo, s.BF16)
	crr := s.C * s.R * s.R
	col, dxs := make([]float32, crr*ho*wo), make([]float32, s.N*s.C*s.H*s.W)
	for i := range s.N {
		emulatorGemm(true, false, crr, ho*wo, s.K, 1, ws, dys[i*s.K*ho*wo:(i+1)*s.K*ho*wo], 0, col)
		cv.col2im(col, i, dxs)
	}
	writeAs(dx, s.N, s.C, s.H*s.W, s.BF16, dxs)
	return nil
}

// convBackwardFilterNow sets dw from x and dy.
func (d *Device) convBackwardFilterNow(cv *Conv, x, dy, dw Buffer) error {
	s := cv.s
	ho, wo := cv.out()
	xs, dys := readAs(x, s.N, s.C, s.H*s.W, s.BF16), readAs(dy, s.N, s.K, ho*wo, s.BF16)
	crr := s.C * s.R * s.R
	col, dws := make([]float32, crr*ho*wo), make([]float32, s.K*crr)
	for i := range s.N {
		cv.im2col(xs, i, col)
		emulatorGemm(false, true, s.K, crr, ho*wo, 1, dys[i*s.K*ho*wo:(i+1)*s.K*ho*wo], col, 1, dws)
	}
	writeAs(dw, s.K, s.C, s.R*s.R, s.BF16, dws)
	return nil
}

// addBiasNow sets y += b per channel.
func (d *Device) addBiasNow(yt *Tensor, y Buffer, bt *Tensor, b Buffer) error {
	v, bias := yt.read(y), b.floats()
	hw := yt.H * yt.W
	for i := range v {
		v[i] += bias[(i/hw)%yt.C]
	}
	yt.write(y, v)
	return nil
}

// biasGradNow sets db = Σ dy per channel.
func (d *Device) biasGradNow(dyt *Tensor, dy Buffer, dbt *Tensor, db Buffer) error {
	v, out := dyt.read(dy), db.floats()
	sums := make([]float64, dyt.C)
	hw := dyt.H * dyt.W
	for i, x := range v {
		sums[(i/hw)%dyt.C] += float64(x)
	}
	for c, s := range sums {
		out[c] = float32(s)
	}
	return nil
}

// BatchNorm is one layer's per-channel BatchNorm (see the cuda build's).
type BatchNorm struct {
	X, Ch         *Tensor
	Mean, InvStd  Buffer
	Momentum, Eps float64
	Persistent    bool
}

// channelSums is Σ v and Σ v·w per channel of NCHW values (w may be nil).
func channelSums(v, w []float32, t *Tensor) (s, sw []float64) {
	s, sw = make([]float64, t.C), make([]float64, t.C)
	hw := t.H * t.W
	for i, x := range v {
		c := (i / hw) % t.C
		s[c] += float64(x)
		if w != nil {
			sw[c] += float64(x) * float64(w[i])
		}
	}
	return s, sw
}

// batchNormTrainNow sets y = γ·x̂ + β with the batch's statistics, saves the
// mean and 1/sqrt(var + eps) and moves the running statistics (momentum
// on the batch's, its variance unbiased).
func (d *Device) batchNormTrainNow(bn *BatchNorm, x, y, gamma, beta, runMean, runVar Buffer) error {
	t := bn.X
	v := t.read(x)
	s, s2 := channelSums(v, v, t)
	m := float64(t.N * t.H * t.W)
	mean, inv := bn.Mean.floats(), bn.InvStd.floats()
	rm, rv := runMean.floats(), runVar.floats()
	for c := range t.C {
		mu := s[c] / m
		vr := max(s2[c]/m-mu*mu, 0)
		mean[c], inv[c] = float32(mu), float32(1/math.Sqrt(vr+bn.Eps))
		unbiased := vr
		if m > 1 {
			unbiased = vr * m / (m - 1)
		}
		rm[c] = float32((1-bn.Momentum)*float64(rm[c]) + bn.Momentum*mu)
		rv[c] = float32((1-bn.Momentum)*float64(rv[c]) + bn.Momentum*unbiased)
	}
	t.write(y, bnApply(v, t, mean, inv, gamma.floats(), beta.floats()))
	return nil
}

func bnApply(v []float32, t *Tensor, mean, inv, g, b []float32) []float32 {
	out := make([]float32, len(v))
	hw := t.H * t.W
	for i, x := range v {
		c := (i / hw) % t.C
		out[i] = g[c]*((x-mean[c])*inv[c]) + b[c]
	}
	return out
}

// batchNormInferNow sets y from the running statistics.
func (d *Device) batchNormInferNow(bn *BatchNorm, x, y, gamma, beta, runMean, runVar Buffer) error {
	t := bn.X
	inv := make([]float32, t.C)
	for c, vr := range runVar.floats()[:t.C] {
		inv[c] = float32(1 / math.Sqrt(float64(vr)+bn.Eps))
	}
	t.write(y, bnApply(t.read(x), t, runMean.floats(), inv, gamma.floats(), beta.floats()))
	return nil
}

// batchNormBackwardNow sets dx, dγ and dβ (each may be a nil Buffer) from
// x, dy and the saved statistics of the last BatchNormTrain.
func (d *Device) batchNormBackwardNow(bn *BatchNorm, x, dy, dx, gamma, dgamma, dbeta Buffer) error {
	t := bn.X
	xs, dys := t.read(x), t.read(dy)
	mean, inv, g := bn.Mean.floats(), bn.InvStd.floats(), gamma.floats()
	hw := t.H * t.W
	xh := make([]float32, len(xs))
	for i, v := range xs {
		c := (i / hw) % t.C
		xh[i] = (v - mean[c]) * inv[c]
	}
	sdy, sdyx := channelSums(dys, xh, t)
	if !dgamma.Nil() && !dbeta.Nil() {
		dg, db := dgamma.floats(), dbeta.floats()
		for c := range t.C {
			dg[c], db[c] = float32(sdyx[c]), float32(sdy[c])
		}
	}
	if dx.Nil() {
		return nil
	}
	m := float64(t.N * hw)
	out := make([]float32, len(xs))
	for i := range xs {
		c := (i / hw) % t.C
		out[i] = float32(float64(g[c]) * float64(inv[c]) * (float64(dys[i]) - sdy[c]/m - float64(xh[i])*sdyx[c]/m))
	}
	t.write(dx, out)
	return nil
}

// window is the first of the largest values of the 2×2 window of output
// o (NCHW) of plane size h×w: its index.
func window(v []float32, o, h, w int) int {
	ho, wo := h/2, w/2
	p, r, q := o/(ho*wo), (o/wo)%ho, o%wo
	base := p*h*w + 2*r*w + 2*q
	best := base
	for _, k := range [3]int{base + 1, base + w, base + w + 1} {
		if v[k] > v[best] {
			best = k
		}
	}
	return best
}

// maxPool2Now is 2×2 max pooling, stride 2.
func (d *Device) maxPool2Now(xt *Tensor, x Buffer, yt *Tensor, y Buffer) error {
	v := xt.read(x)
	out := make([]float32, yt.Size())
	for o := range out {
		out[o] = v[window(v, o, xt.H, xt.W)]
	}
	yt.write(y, out)
	return nil
}

// maxPool2BackwardNow sends each output's gradient to the input that won
// its window; dx is 0 elsewhere.
func (d *Device) maxPool2BackwardNow(xt *Tensor, x Buffer, yt *Tensor, y, dy, dx Buffer) error {
	v, g := xt.read(x), yt.read(dy)
	out := make([]float32, xt.Size())
	for o := range g {
		out[window(v, o, xt.H, xt.W)] = g[o]
	}
	xt.write(dx, out)
	return nil
}

// gemmNow sets C = alpha·op(A)·op(B) + beta·C for row-major matrices, C m×n,
// op(A) m×k, op(B) k×n.
func (d *Device) gemmNow(ta, tb bool, m, n, k int, alpha float32, a, b Buffer, beta float32, c Buffer) error {
	emulatorGemm(ta, tb, m, n, k, alpha, a.floats()[:m*k], b.floats()[:k*n], beta, c.floats()[:m*n])
	return nil
}

// rowSumsNow sets y[r] = alpha·Σ_j a[r·cols + j].
func (d *Device) rowSumsNow(rows, cols int, alpha float32, a, ones, y Buffer) error {
	av, yv := a.floats(), y.floats()
	for r := range rows {
		s := float64(0)
		for _, v := range av[r*cols : (r+1)*cols] {
			s += float64(v)
		}
		yv[r] = alpha * float32(s)
	}
	return nil
}

// colSumsNow sets y[j] = Σ_r a[r·cols + j].
func (d *Device) colSumsNow(rows, cols int, a, ones, y Buffer) error {
	av, yv := a.floats(), y.floats()
	s := make([]float64, cols)
	for r := range rows {
		for j, v := range av[r*cols : (r+1)*cols] {
			s[j] += float64(v)
		}
	}
	for j := range cols {
		yv[j] = float32(s[j])
	}
	return nil
}

// axpbyNow sets c = alpha·a + beta·b over n values.
func (d *Device) axpbyNow(n int, alpha float32, a Buffer, beta float32, b, c Buffer) error {
	av, bv, cv := a.floats(), b.floats(), c.floats()
	for i := range n {
		cv[i] = alpha*av[i] + beta*bv[i]
	}
	return nil
}
