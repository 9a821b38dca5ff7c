package cudakern

/*
#cgo CFLAGS: -O2
#cgo LDFLAGS: -lm
#include "kernels.cu"
*/
import "C"

import (
	"math"
	"slices"
	"unsafe"
)

// The kernels on the CPU, for the tests (and as the reference a GPU run
// is compared with). Slices must hold what the sizes say.

func fp(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&s[0]))
}

// ReLU sets y = max(x, 0).
func ReLU(x, y []float32) { C.md_relu_fwd(C.long(len(x)), fp(x), fp(y)) }

// ReLUBackward sets dx = dy where x > 0, else 0.
func ReLUBackward(x, dy, dx []float32) { C.md_relu_bwd(C.long(len(x)), fp(x), fp(dy), fp(dx)) }

// DropoutMask fills mask as md_dropout_mask draws it: 0 where value i's
// draw from key falls below threshold, keep elsewhere.
func DropoutMask(mask []float32, key, threshold uint64, keep float32) {
	C.md_dropout_mask(C.long(len(mask)), C.long(int64(key)), C.long(int64(threshold)), C.float(keep), fp(mask))
}

// Mul sets y = a·b elementwise.
func Mul(a, b, y []float32) { C.md_mul(C.long(len(a)), fp(a), fp(b), fp(y)) }

// BiasAct sets y = x + bias[c] per channel of NCHW, then max(·, 0) when
// relu is set.
func BiasAct(x []float32, n, c, hw int, bias []float32, relu bool, y []float32) {
	r := C.long(0)
	if relu {
		r = 1
	}
	C.md_bias_act(C.long(n), C.long(c), C.long(hw), fp(x), fp(bias), r, fp(y))
}

// BiasAdd adds bias[c] to every position of channel c of an NCHW tensor.
func BiasAdd(y []float32, n, c, hw int, bias []float32) {
	C.md_bias_add(C.long(n), C.long(c), C.long(hw), fp(y), fp(bias))
}

// SGD is one step of SGD with momentum and L2 decay.
func SGD(w, g, v []float32, lr, mom, wd float32, nesterov bool) {
	C.md_sgd(C.long(len(w)), fp(w), fp(g), fp(v), C.float(lr), C.float(mom), C.float(wd), cl(nesterov))
}

// AdamStep is one step of Adam (l2 decay) or AdamW (decoupled decay).
func AdamStep(w, g, m, v []float32, lr, b1, b2, eps, bc1, bc2, l2, decoupled float64) {
	C.md_adam(C.long(len(w)), fp(w), fp(g), fp(m), fp(v), C.double(lr), C.double(b1), C.double(b2),
		C.double(eps), C.double(bc1), C.double(bc2), C.double(l2), C.double(decoupled))
}

// RAdamStep is one step of RAdam (md_radam; rect 0 while the variance's
// estimate is unreliable).
func RAdamStep(w, g, m, v []float32, lr, b1, b2, eps, bc1, bc2, l2, rect float64) {
	C.md_radam(C.long(len(w)), fp(w), fp(g), fp(m), fp(v), C.double(lr), C.double(b1), C.double(b2),
		C.double(eps), C.double(bc1), C.double(bc2), C.double(l2), C.double(rect))
}

// SoftmaxCE is the softmax cross entropy of rows of k logits: each row's
// loss and the gradient of their mean.
func SoftmaxCE(x []float32, k int, labels []int32, loss, dx []float32) {
	C.md_softmax_ce(C.long(len(labels)), C.long(k), fp(x), (*C.int)(unsafe.Pointer(&labels[0])), fp(loss), fp(dx))
}

// BNStats is BatchNorm's batch mean and biased variance per channel.
func BNStats(x []float32, n, c, hw int, mean, variance []float32) {
	C.md_bn_stats(C.long(n), C.long(c), C.long(hw), fp(x), fp(mean), fp(variance))
}

// BNApply normalises x per channel into y.
func BNApply(x []float32, n, c, hw int, mean, variance, gamma, beta []float32, eps float32, y []float32) {
	C.md_bn_apply(C.long(n), C.long(c), C.long(hw), fp(x), fp(mean), fp(variance), fp(gamma), fp(beta), C.float(eps), fp(y))
}

// MaxPool2 is 2×2 max pooling with stride 2 of planes h×w; arg records
// the winning input of each output.
func MaxPool2(x []float32, planes, h, w int, y []float32, arg []int32) {
	C.md_maxpool2(C.long(planes), C.long(h), C.long(w), fp(x), fp(y), (*C.int)(unsafe.Pointer(&arg[0])))
}

// MaxPool2Backward scatters dy to the winners into dx (zeroed first).
func MaxPool2Backward(arg []int32, dy, dx []float32) {
	clear(dx)
	C.md_maxpool2_bwd(C.long(len(dy)), (*C.int)(unsafe.Pointer(&arg[0])), fp(dy), fp(dx))
}

// GAP is global average pooling of nc planes of hw values.
func GAP(x []float32, nc, hw int, y []float32) { C.md_gap(C.long(nc), C.long(hw), fp(x), fp(y)) }

// SmoothCE adds w·∂/∂x of label-smoothed cross entropy (s = 0: plain)
// to dx and writes each row's loss, each row weighed by rw (nil: 1).
func SmoothCE(x []float32, k int, labels []int32, rw []float32, s, w float64, loss, dx []float32) {
	C.md_smooth_ce(C.long(len(labels)), C.long(k), fp(x), (*C.int)(unsafe.Pointer(&labels[0])), fp(rw), C.double(s), C.double(w), fp(loss), fp(dx))
}

// AdjustedCE adds w·∂/∂x of logit-adjusted cross entropy (the logits
// shifted by adj, k values) to dx and writes each row's loss.
func AdjustedCE(x []float32, k int, labels []int32, adj []float32, w float64, loss, dx []float32) {
	C.md_la_ce(C.long(len(labels)), C.long(k), fp(x), (*C.int)(unsafe.Pointer(&labels[0])), fp(adj), C.double(w), fp(loss), fp(dx))
}

// Focal adds w·∂/∂x of the focal loss to dx and writes each row's loss,
// each row weighed by rw (nil: 1).
func Focal(x []float32, k int, labels []int32, rw []float32, gamma, w float64, loss, dx []float32) {
	C.md_focal(C.long(len(labels)), C.long(k), fp(x), (*C.int)(unsafe.Pointer(&labels[0])), fp(rw), C.double(gamma), C.double(w), fp(loss), fp(dx))
}

// SoftF1 adds w·∂/∂x of package training's soft-F1 loss to dx and writes
// the loss (one value for the rows together) to loss[0].
func SoftF1(x []float32, k int, labels []int32, eps, w float64, loss, dx []float32) {
	tp, sp, sy := make([]float64, k), make([]float64, k), make([]float64, k)
	lp := (*C.int)(unsafe.Pointer(&labels[0]))
	C.md_f1_counts(C.long(len(labels)), C.long(k), fp(x), lp, dp(tp), dp(sp), dp(sy))
	C.md_f1_grad(C.long(len(labels)), C.long(k), fp(x), lp, dp(tp), dp(sp), dp(sy), C.double(eps), C.double(w), fp(loss), fp(dx))
}

// AdamPStep is one step of AdamP through its kernels (md_adam_dir,
// md_adamp_cos, md_adamp_project, md_adam_apply): rows is the weight's
// first dimension, 0 for a one-dimensional weight (never projected); wd
// is the decoupled decay (0 for a weight without decay).
func AdamPStep(w, g, m, v []float32, rows int, lr, b1, b2, eps, bc1, bc2, wd, delta, wdRatio float64) {
	n := len(w)
	upd := make([]float64, n)
	C.md_adam_dir(C.long(n), fp(w), fp(g), fp(m), fp(v), C.double(b1), C.double(b2), 0, C.double(bc2), C.double(eps), dp(upd))
	ratio := 1.0
	if rows > 0 {
		// The per-output-channel view first, then the whole tensor.
		for _, vw := range [][2]int{{rows, n / rows}, {1, n}} {
			cos := make([]float64, vw[0])
			C.md_adamp_cos(C.long(vw[0]), C.long(vw[1]), fp(w), fp(g), C.double(eps), dp(cos))
			if slices.Max(cos) < delta/math.Sqrt(float64(vw[1])) {
				C.md_adamp_project(C.long(vw[0]), C.long(vw[1]), fp(w), C.double(eps), dp(upd))
				ratio = wdRatio
				break
			}
		}
	}
	C.md_adam_apply(C.long(n), fp(w), dp(upd), C.double(lr/bc1), C.double(1-lr*wd*ratio))
}

// AdamPStepOnDevice is AdamPStep as the GPU runs it, every decision in
// a kernel (md_adamp_whole_sums, md_adamp_decide, md_adamp_project_rows,
// md_adamp_whole_dot, md_adamp_whole_project, md_adam_apply_st), the
// whole-tensor sums in chunks.
func AdamPStepOnDevice(w, g, m, v []float32, rows int, lr, b1, b2, eps, bc1, bc2, wd, delta, wdRatio float64, chunks int) {
	n := len(w)
	upd, st := make([]float64, n), make([]float64, 6)
	C.md_adam_dir(C.long(n), fp(w), fp(g), fp(m), fp(v), C.double(b1), C.double(b2), 0, C.double(bc2), C.double(eps), dp(upd))
	if rows > 0 {
		nc := n / rows
		cos := make([]float64, rows)
		C.md_adamp_cos(C.long(rows), C.long(nc), fp(w), fp(g), C.double(eps), dp(cos))
		C.md_adamp_whole_sums(C.long(n), C.long(chunks), fp(w), fp(g), dp(st))
		C.md_adamp_decide(C.long(rows), C.long(nc), C.long(n), C.double(delta), C.double(eps), dp(cos), dp(st))
		C.md_adamp_project_rows(C.long(rows), C.long(nc), fp(w), C.double(eps), dp(upd), dp(st))
		C.md_adamp_whole_dot(C.long(n), C.long(chunks), fp(w), C.double(eps), dp(upd), dp(st))
		C.md_adamp_whole_project(C.long(n), fp(w), C.double(eps), dp(upd), dp(st))
	}
	C.md_adam_apply_st(C.long(n), fp(w), dp(upd), C.double(lr/bc1), C.double(lr*wd), C.double(wdRatio), dp(st))
}

// ClipOnDevice clips grads as a GPU update does before its rules
// (md_clip_sumsq over each in chunks, md_clip_decide, md_clip_scale),
// counting into c: six doubles, the sum, the coefficient, then the steps,
// the clipped ones, the sum of the norms and the largest.
func ClipOnDevice(grads [][]float32, limit float64, chunks int, c []float64) {
	for _, g := range grads {
		C.md_clip_sumsq(C.long(len(g)), C.long(min(chunks, len(g))), fp(g), dp(c))
	}
	C.md_clip_decide(C.double(limit), dp(c))
	for _, g := range grads {
		C.md_clip_scale(C.long(len(g)), fp(g), dp(c))
	}
}

// BNBackward is BatchNorm's backward pass in training mode (batch
// statistics mean and variance): dgamma, dbeta and dx from dy.
func BNBackward(x, dy []float32, n, c, hw int, mean, variance, gamma []float32, eps float32, dgamma, dbeta, dx []float32) {
	C.md_bn_bwd_sums(C.long(n), C.long(c), C.long(hw), fp(x), fp(dy), fp(mean), fp(variance), C.float(eps), fp(dgamma), fp(dbeta))
	C.md_bn_bwd_dx(C.long(n), C.long(c), C.long(hw), fp(x), fp(dy), fp(mean), fp(variance), fp(gamma), fp(dgamma), fp(dbeta), C.float(eps), fp(dx))
}

// GAPBackward spreads each plane's gradient evenly over its hw positions.
func GAPBackward(dy []float32, hw int, dx []float32) {
	C.md_gap_bwd(C.long(len(dy)), C.long(hw), fp(dy), fp(dx))
}

// BiasGrad sums dy [n, c, hw] over the batch and positions per channel.
func BiasGrad(dy []float32, n, c, hw int, db []float32) {
	C.md_bias_grad(C.long(n), C.long(c), C.long(hw), fp(dy), fp(db))
}

// BNReLUTrain is the fused BatchNorm (+ ReLU when relu) of a training
// step with the per-channel sums split into chunks: it writes the batch
// mean and inverse standard deviation, moves the running statistics and
// writes y.
func BNReLUTrain(x []float32, n, c, hw, chunks int, gamma, beta []float32, eps, momentum float32, relu bool,
	runMean, runVar, mean, invstd, y []float32) {
	sum, sumsq := make([]float64, c), make([]float64, c)
	C.md_bnr_sums(C.long(n), C.long(c), C.long(hw), C.long(chunks), fp(x), dp(sum), dp(sumsq))
	C.md_bnr_stats(C.long(c), C.long(n*hw), dp(sum), dp(sumsq), C.float(eps), C.float(momentum), fp(mean), fp(invstd),
		fp(runMean), fp(runVar))
	C.md_bnr_apply(C.long(n), C.long(c), C.long(hw), fp(x), fp(mean), fp(invstd), fp(gamma), fp(beta), cl(relu), fp(y))
}

// BNReLUBackward is the fused backward pass of BNReLUTrain: dγ, dβ and dx
// from x, dy and the saved mean and inverse standard deviation.
func BNReLUBackward(x, dy []float32, n, c, hw, chunks int, mean, invstd, gamma, beta []float32, relu bool,
	dgamma, dbeta, dx []float32) {
	sdy, sdyx := make([]float64, c), make([]float64, c)
	C.md_bnr_bwd_sums(C.long(n), C.long(c), C.long(hw), C.long(chunks), fp(x), fp(dy), fp(mean), fp(invstd), fp(gamma),
		fp(beta), cl(relu), dp(sdy), dp(sdyx))
	C.md_bnr_bwd_dx(C.long(n), C.long(c), C.long(hw), fp(x), fp(dy), fp(mean), fp(invstd), fp(gamma), fp(beta), cl(relu),
		dp(sdy), dp(sdyx), fp(dx))
	C.md_bnr_bwd_params(C.long(c), dp(sdy), dp(sdyx), fp(dgamma), fp(dbeta))
}

func dp(s []float64) *C.double { return (*C.double)(unsafe.Pointer(&s[0])) }

func cl(b bool) C.long {
	if b {
		return 1
	}
	return 0
}

// Pool2K is 2×2 max pooling with stride 2 of planes h×w (even) that
// keeps each window's winner (0–3) in win.
func Pool2K(x []float32, planes, h, w int, y []float32, win []uint8) {
	C.md_pool2k_fwd(C.long(planes), C.long(h), C.long(w), fp(x), fp(y), (*C.uchar)(unsafe.Pointer(&win[0])))
}

// Pool2KBackward writes every value of dx from the winners and dy.
func Pool2KBackward(win []uint8, dy []float32, planes, h, w int, dx []float32) {
	C.md_pool2k_bwd(C.long(planes), C.long(h), C.long(w), (*C.uchar)(unsafe.Pointer(&win[0])), fp(dy), fp(dx))
}

// EMA moves avg toward w by k of the way (md_ema: --ema's update).
func EMA(avg, w []float32, k float32) { C.md_ema(C.long(len(avg)), fp(avg), fp(w), C.float(k)) }

// Swap exchanges a and b (md_swap).
func Swap(a, b []float32) { C.md_swap(C.long(len(a)), fp(a), fp(b)) }

// Subsample keeps every second row and column of NCHW planes h×w.
func Subsample(x []float32, planes, h, w int, y []float32) {
	C.md_subsample(C.long(planes), C.long(h), C.long(w), fp(x), fp(y))
}

// SubsampleBackward puts dy back where Subsample kept values, 0 elsewhere.
func SubsampleBackward(dy []float32, planes, h, w int, dx []float32) {
	C.md_subsample_bwd(C.long(planes), C.long(h), C.long(w), fp(dy), fp(dx))
}

// MaxPool3 is 3×3 max pooling, stride 2, padding 1, of NCHW planes h×w.
func MaxPool3(x []float32, planes, h, w int, y []float32) {
	C.md_maxpool3(C.long(planes), C.long(h), C.long(w), fp(x), fp(y))
}

// MaxPool3Backward is its backward pass into every value of dx.
func MaxPool3Backward(x, dy []float32, planes, h, w int, dx []float32) {
	C.md_maxpool3_bwd(C.long(planes), C.long(h), C.long(w), fp(x), fp(dy), fp(dx))
}
