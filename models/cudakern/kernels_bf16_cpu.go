package cudakern

/*
#cgo CFLAGS: -O2
#include "kernels_bf16.h"
*/
import "C"

import "unsafe"

// The bf16 kernels on the CPU (kernels_bf16.cu, compiled into this
// package through kernels.cu). A []uint16 holds bfloat16 values as their
// bits; activations are NHWC: m = n·hw positions of c channels.

func hp(s []uint16) *C.bf16 {
	if len(s) == 0 {
		return nil
	}
	return (*C.bf16)(unsafe.Pointer(&s[0]))
}

// BF16 rounds f to the nearest bfloat16, ties to even (kernel.h's f2bf).
func BF16(f float32) uint16 { return uint16(C.f2bf(C.float(f))) }

// F32 widens a bfloat16 (exactly).
func F32(h uint16) float32 { return float32(C.bf2f(C.bf16(h))) }

// ToNHWC rounds NCHW float32 x [n, c, hw] into NHWC bf16 y.
func ToNHWC(x []float32, n, c, hw int, y []uint16) {
	C.md_to_nhwc_h(C.long(n), C.long(c), C.long(hw), fp(x), hp(y))
}

// ToNCHW widens NHWC bf16 x [n, hw, c] into NCHW float32 y.
func ToNCHW(x []uint16, n, c, hw int, y []float32) {
	C.md_to_nchw_f(C.long(n), C.long(c), C.long(hw), hp(x), fp(y))
}

// PadNHWC is ToNHWC into y of cp ≥ c channels, those past c zero.
func PadNHWC(x []float32, n, c, cp, hw int, y []uint16) {
	C.md_pad_nhwc_h(C.long(n), C.long(c), C.long(cp), C.long(hw), fp(x), hp(y))
}

// UnpadNCHW is ToNCHW from x of cp ≥ c channels, those past c dropped.
func UnpadNCHW(x []uint16, n, c, cp, hw int, y []float32) {
	C.md_unpad_nchw_f(C.long(n), C.long(c), C.long(cp), C.long(hw), hp(x), fp(y))
}

// FlipKRSC turns k kernels w [k, r, r, c] (KRSC) into the c kernels
// [c, r, r, k] of their input gradient as a forward convolution: each
// turned by 180°, the channel counts swapped.
func FlipKRSC(w []uint16, k, c, r int, y []uint16) {
	C.md_flip_krsc_h(C.long(k), C.long(c), C.long(r), hp(w), hp(y))
}

// MulHF sets y = x·mask (a float32 mask).
func MulHF(x []uint16, mask []float32, y []uint16) {
	C.md_mul_hf(C.long(len(x)), hp(x), fp(mask), hp(y))
}

// ReLUH sets y = max(x, 0).
func ReLUH(x, y []uint16) { C.md_relu_fwd_h(C.long(len(x)), hp(x), hp(y)) }

// ReLUBackwardH sets dx = dy where x > 0, else 0.
func ReLUBackwardH(x, dy, dx []uint16) { C.md_relu_bwd_h(C.long(len(x)), hp(x), hp(dy), hp(dx)) }

// AddH sets y = a + b.
func AddH(a, b, y []uint16) { C.md_add_h(C.long(len(a)), hp(a), hp(b), hp(y)) }

// BiasActH sets y = x + bias[c] (then max(·, 0) when relu).
func BiasActH(x []uint16, m, c int, bias []float32, relu bool, y []uint16) {
	C.md_bias_act_h(C.long(m), C.long(c), hp(x), fp(bias), cl(relu), hp(y))
}

// ChanSumsH is Σ x per channel over m positions, summed in chunks.
func ChanSumsH(x []uint16, m, c, chunks int) []float32 {
	sum, out := make([]float64, c), make([]float32, c)
	C.md_chan_sums_h(C.long(m), C.long(c), C.long(chunks), hp(x), dp(sum))
	C.md_d2f(C.long(c), dp(sum), fp(out))
	return out
}

// BNReLUTrainH is BNReLUTrain on NHWC bf16.
func BNReLUTrainH(x []uint16, m, c, chunks int, gamma, beta []float32, eps, momentum float32, relu bool,
	runMean, runVar, mean, invstd []float32, y []uint16) {
	sum, sumsq := make([]float64, c), make([]float64, c)
	C.md_bnh_sums(C.long(m), C.long(c), C.long(chunks), hp(x), dp(sum), dp(sumsq))
	C.md_bnr_stats(C.long(c), C.long(m), dp(sum), dp(sumsq), C.float(eps), C.float(momentum), fp(mean), fp(invstd),
		fp(runMean), fp(runVar))
	C.md_bnh_apply(C.long(m), C.long(c), hp(x), fp(mean), fp(invstd), fp(gamma), fp(beta), cl(relu), hp(y))
}

// BNReLUBackwardH is BNReLUBackward on NHWC bf16.
func BNReLUBackwardH(x, dy []uint16, m, c, chunks int, mean, invstd, gamma, beta []float32, relu bool,
	dgamma, dbeta []float32, dx []uint16) {
	sdy, sdyx := make([]float64, c), make([]float64, c)
	C.md_bnh_bwd_sums(C.long(m), C.long(c), C.long(chunks), hp(x), hp(dy), fp(mean), fp(invstd), fp(gamma), fp(beta),
		cl(relu), dp(sdy), dp(sdyx))
	C.md_bnh_bwd_dx(C.long(m), C.long(c), hp(x), hp(dy), fp(mean), fp(invstd), fp(gamma), fp(beta), cl(relu), dp(sdy),
		dp(sdyx), hp(dx))
	C.md_bnr_bwd_params(C.long(c), dp(sdy), dp(sdyx), fp(dgamma), fp(dbeta))
}

// BNInferH is evaluation's BatchNorm (+ ReLU) on NHWC bf16 with the
// running statistics.
func BNInferH(x []uint16, m, c int, runMean, runVar, gamma, beta []float32, eps float32, relu bool, y []uint16) {
	invstd := make([]float32, c)
	C.md_bn_invstd(C.long(c), fp(runVar), C.float(eps), fp(invstd))
	C.md_bnh_apply(C.long(m), C.long(c), hp(x), fp(runMean), fp(invstd), fp(gamma), fp(beta), cl(relu), hp(y))
}

// MaxPool2H is 2×2 max pooling, stride 2, of NHWC [n, h, w, c].
func MaxPool2H(x []uint16, n, h, w, c int, y []uint16) {
	C.md_maxpool2_h(C.long(n), C.long(h), C.long(w), C.long(c), hp(x), hp(y))
}

// MaxPool2BackwardH is its backward pass into every value of dx.
func MaxPool2BackwardH(x, dy []uint16, n, h, w, c int, dx []uint16) {
	C.md_maxpool2_bwd_h(C.long(n), C.long(h), C.long(w), C.long(c), hp(x), hp(dy), hp(dx))
}

// GAPH averages NHWC [n, hw, c] over positions into float32 [n, c].
func GAPH(x []uint16, n, hw, c int, y []float32) {
	C.md_gap_h(C.long(n), C.long(hw), C.long(c), hp(x), fp(y))
}

// GAPBackwardH spreads float32 dy [n, c] over hw positions of NHWC dx.
func GAPBackwardH(dy []float32, n, hw, c int, dx []uint16) {
	C.md_gap_bwd_h(C.long(n), C.long(hw), C.long(c), fp(dy), hp(dx))
}

// SubsampleH is Subsample of NHWC [n, h, w, c].
func SubsampleH(x []uint16, n, h, w, c int, y []uint16) {
	C.md_subsample_h(C.long(n), C.long(h), C.long(w), C.long(c), hp(x), hp(y))
}

// SubsampleBackwardH is SubsampleBackward of NHWC [n, h, w, c].
func SubsampleBackwardH(dy []uint16, n, h, w, c int, dx []uint16) {
	C.md_subsample_bwd_h(C.long(n), C.long(h), C.long(w), C.long(c), hp(dy), hp(dx))
}

// MaxPool3H is MaxPool3 of NHWC [n, h, w, c].
func MaxPool3H(x []uint16, n, h, w, c int, y []uint16) {
	C.md_maxpool3_h(C.long(n), C.long(h), C.long(w), C.long(c), hp(x), hp(y))
}

// MaxPool3BackwardH is MaxPool3Backward of NHWC [n, h, w, c].
func MaxPool3BackwardH(x, dy []uint16, n, h, w, c int, dx []uint16) {
	C.md_maxpool3_bwd_h(C.long(n), C.long(h), C.long(w), C.long(c), hp(x), hp(dy), hp(dx))
}
