//go:build cuda || gpuemu

package cudakern

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/maskdash/maskdash/models/gpu"
)

// pack puts bfloat16 bits two to an int32 (little endian, as the device
// reads them) for gpu.Upload; unpack undoes it.
func pack(h []uint16) []int32 {
	out := make([]int32, (len(h)+1)/2)
	for i, v := range h {
		out[i/2] |= int32(uint32(v) << (16 * (i % 2)))
	}
	return out
}

func unpack(w []int32, n int) []uint16 {
	out := make([]uint16, n)
	for i := range out {
		out[i] = uint16(uint32(w[i/2]) >> (16 * (i % 2)))
	}
	return out
}

// TestBF16KernelsOnTheGPU runs kernels_bf16.cu on the GPU and compares
// it with the same source on the CPU: the layouts, ReLU, the sum, bias
// and activation and the pools bit for bit; BatchNorm (its sums added
// atomically in another order) and the average pool within 1e-5 (bf16
// outputs within one rounding step).
func TestBF16KernelsOnTheGPU(t *testing.T) {
	d := kernelDevice(t)
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	upF := func(s []float32) gpu.Buffer {
		b, err := d.Alloc(len(s))
		check(err)
		check(gpu.Upload(d, b, s))
		return b
	}
	upH := func(h []uint16) gpu.Buffer {
		p := pack(h)
		b, err := d.Alloc(len(p))
		check(err)
		check(gpu.Upload(d, b, p))
		return b
	}
	zeros := func(words int) gpu.Buffer {
		b, err := d.Alloc(words)
		check(err)
		check(d.Zero(b))
		return b
	}
	downF := func(b gpu.Buffer, n int) []float32 {
		s := make([]float32, n)
		check(gpu.Download(d, s, b))
		return s
	}
	downH := func(b gpu.Buffer, n int) []uint16 {
		w := make([]int32, (n+1)/2)
		check(gpu.Download(d, w, b))
		return unpack(w, n)
	}
	launch := func(name string, n int, args ...any) {
		t.Helper()
		check(d.Launch(name, n, args...))
	}
	same := func(what string, got, want []uint16) {
		t.Helper()
		if slices.Equal(got, want) {
			return
		}
		i := 0
		for got[i] == want[i] {
			i++
		}
		t.Fatalf("%s on the GPU: [%d] = %#04x, the CPU %#04x", what, i, got[i], want[i])
	}
	widenAll := func(h []uint16) []float32 {
		f := make([]float32, len(h))
		for i, v := range h {
			f[i] = F32(v)
		}
		return f
	}

	r := rand.New(rand.NewPCG(11, 12))
	n, c, h, w := 4, 24, 10, 6
	size := n * c * h * w
	x := randSlice(r, size, 3)
	// layouts
	xh := make([]uint16, size)
	ToNHWC(x, n, c, h*w, xh)
	dx := zeros((size + 1) / 2)
	launch("md_to_nhwc_h", size, n, c, h*w, upF(x), dx)
	same("md_to_nhwc_h", downH(dx, size), xh)
	back := zeros(size)
	launch("md_to_nchw_f", size, n, c, h*w, dx, back)
	want := make([]float32, size)
	ToNCHW(xh, n, c, h*w, want)
	near(t, "md_to_nchw_f on the GPU", downF(back, size), want, 0)
	// the same, padded to 8 channels and back (the batch's 3 colours)
	const c3, cp = 3, 8
	x3 := randSlice(r, n*c3*h*w, 3)
	padded := make([]uint16, n*cp*h*w)
	PadNHWC(x3, n, c3, cp, h*w, padded)
	dp := zeros((len(padded) + 1) / 2)
	launch("md_pad_nhwc_h", len(padded), n, c3, cp, h*w, upF(x3), dp)
	same("md_pad_nhwc_h", downH(dp, len(padded)), padded)
	back3 := zeros(len(x3))
	launch("md_unpad_nchw_f", len(x3), n, c3, cp, h*w, dp, back3)
	want3 := make([]float32, len(x3))
	UnpadNCHW(padded, n, c3, cp, h*w, want3)
	near(t, "md_unpad_nchw_f on the GPU", downF(back3, len(x3)), want3, 0)
	// 5 kernels 3×3 of c channels turned for their input gradient
	const kk, rr = 5, 3
	kernels := xh[:kk*rr*rr*c]
	turned := make([]uint16, len(kernels))
	FlipKRSC(kernels, kk, c, rr, turned)
	dt := zeros((len(kernels) + 1) / 2)
	launch("md_flip_krsc_h", len(kernels), kk, c, rr, upH(kernels), dt)
	same("md_flip_krsc_h", downH(dt, len(kernels)), turned)

	// elementwise
	bh := make([]uint16, size)
	ToNHWC(randSlice(r, size, 3), n, c, h*w, bh)
	da, db, dy := upH(xh), upH(bh), zeros((size+1)/2)
	y := make([]uint16, size)
	launch("md_relu_fwd_h", size, size, da, dy)
	ReLUH(xh, y)
	same("md_relu_fwd_h", downH(dy, size), y)
	launch("md_relu_bwd_h", size, size, da, db, dy)
	ReLUBackwardH(xh, bh, y)
	same("md_relu_bwd_h", downH(dy, size), y)
	mask := randSlice(r, size, 2)
	launch("md_mul_hf", size, size, da, upF(mask), dy)
	MulHF(xh, mask, y)
	same("md_mul_hf", downH(dy, size), y)
	launch("md_add_h", size, size, da, db, dy)
	AddH(xh, bh, y)
	same("md_add_h", downH(dy, size), y)
	bias := randSlice(r, c, 1)
	launch("md_bias_act_h", size, n*h*w, c, da, upF(bias), 1, dy)
	BiasActH(xh, n*h*w, c, bias, true, y)
	same("md_bias_act_h", downH(dy, size), y)
	chunks := 7
	sums, sumsF := zeros(2*c), zeros(c)
	launch("md_chan_sums_h", c*chunks, n*h*w, c, chunks, da, sums)
	launch("md_d2f", c, c, sums, sumsF)
	near(t, "md_chan_sums_h on the GPU", downF(sumsF, c), ChanSumsH(xh, n*h*w, c, chunks), 1e-5)

	// pools
	ho, wo := h/2, w/2
	py := zeros((n*c*ho*wo + 1) / 2)
	launch("md_maxpool2_h", n*c*ho*wo, n, h, w, c, da, py)
	wantPool := make([]uint16, n*c*ho*wo)
	MaxPool2H(xh, n, h, w, c, wantPool)
	same("md_maxpool2_h", downH(py, n*c*ho*wo), wantPool)
	pdy := make([]uint16, n*c*ho*wo)
	ToNHWC(randSlice(r, n*c*ho*wo, 1), n, c, ho*wo, pdy)
	launch("md_maxpool2_bwd_h", size, n, h, w, c, da, upH(pdy), dy)
	MaxPool2BackwardH(xh, pdy, n, h, w, c, y)
	same("md_maxpool2_bwd_h", downH(dy, size), y)
	gy := zeros(n * c)
	launch("md_gap_h", n*c, n, h*w, c, da, gy)
	wantGAP := make([]float32, n*c)
	GAPH(xh, n, h*w, c, wantGAP)
	near(t, "md_gap_h on the GPU", downF(gy, n*c), wantGAP, 1e-6)
	gdy := randSlice(r, n*c, 1)
	launch("md_gap_bwd_h", size, n, h*w, c, upF(gdy), dy)
	GAPBackwardH(gdy, n, h*w, c, y)
	same("md_gap_bwd_h", downH(dy, size), y)

	// BatchNorm + ReLU, training, forward and backward
	m := n * h * w
	gamma, beta := randSlice(r, c, 1), randSlice(r, c, 0.5)
	rm, rv := make([]float32, c), make([]float32, c)
	for i := range rv {
		rv[i] = 1
	}
	dgam, dbet, drm, drv := upF(gamma), upF(beta), upF(rm), upF(rv)
	dmean, dinv, bsums := zeros(c), zeros(c), zeros(4*c)
	const eps, mo = 1e-5, 0.1
	launch("md_bnh_sums", c*chunks, m, c, chunks, da, bsums, bsums.At(2*c))
	launch("md_bnr_stats", c, c, m, bsums, bsums.At(2*c), float32(eps), float32(mo), dmean, dinv, drm, drv)
	launch("md_bnh_apply", size, m, c, da, dmean, dinv, dgam, dbet, 1, dy)
	mean, inv, by := make([]float32, c), make([]float32, c), make([]uint16, size)
	BNReLUTrainH(xh, m, c, chunks, gamma, beta, eps, mo, true, rm, rv, mean, inv, by)
	near(t, "md_bnh mean on the GPU", downF(dmean, c), mean, 1e-5)
	near(t, "md_bnr_stats running variance on the GPU", downF(drv, c), rv, 1e-5)
	near(t, "md_bnh_apply on the GPU", widenAll(downH(dy, size)), widenAll(by), 1e-2)
	check(d.Zero(bsums))
	dgrad := zeros((size + 1) / 2)
	ddg, ddb := zeros(c), zeros(c)
	launch("md_bnh_bwd_sums", c*chunks, m, c, chunks, da, db, dmean, dinv, dgam, dbet, 1, bsums, bsums.At(2*c))
	launch("md_bnh_bwd_dx", size, m, c, da, db, dmean, dinv, dgam, dbet, 1, bsums, bsums.At(2*c), dgrad)
	launch("md_bnr_bwd_params", c, c, bsums, bsums.At(2*c), ddg, ddb)
	wdg, wdb, wdx := make([]float32, c), make([]float32, c), make([]uint16, size)
	BNReLUBackwardH(xh, bh, m, c, chunks, mean, inv, gamma, beta, true, wdg, wdb, wdx)
	near(t, "md_bnh dgamma on the GPU", downF(ddg, c), wdg, 1e-4)
	near(t, "md_bnh dbeta on the GPU", downF(ddb, c), wdb, 1e-4)
	near(t, "md_bnh_bwd_dx on the GPU", widenAll(downH(dgrad, size)), widenAll(wdx), 1e-2)
	invstd := zeros(c)
	launch("md_bn_invstd", c, c, drv, float32(eps), invstd)
	launch("md_bnh_apply", size, m, c, da, drm, invstd, dgam, dbet, 0, dy)
	BNInferH(xh, m, c, rm, rv, gamma, beta, eps, false, by)
	near(t, "evaluation md_bnh_apply on the GPU", widenAll(downH(dy, size)), widenAll(by), 1e-2)
}
