//go:build cuda || gpuemu

package ops

import (
	G "gorgonia.org/gorgonia"

	"github.com/maskdash/maskdash/models/gpu"
)

// BatchNorm's GPU forms. In training: this package's fused kernels
// (md_bnr_*: statistics, normalisation and ReLU in three passes over the
// activations each way) or cuDNN's BatchNorm and a separate ReLU, by
// GPUChoices.FusedBN; in evaluation cuDNN's. On bfloat16 NHWC the md_bnh_*
// kernels, or cuDNN's by GPUChoices.HalfCuDNNBN. The inputs are x, γ and
// β; the running statistics are the net's (BNOnGPU).

// GPUDo normalises x.
func (op *BNOp) GPUDo(r GPURun, nd *G.Node) error {
	d, bn, out := r.Device(), r.BN(op), r.Buf(nd)
	x, gamma, beta := inBuf(r, nd, 0), inBuf(r, nd, 1), inBuf(r, nd, 2)
	if op.Train && r.Choices().FusedBN {
		return bnForward(d, bn, op.ReLU, x, gamma, beta, out)
	}
	var err error
	if op.Train {
		err = d.BatchNormTrain(&bn.BatchNorm, x, out, gamma, beta, bn.RunMean, bn.RunVar)
	} else {
		err = d.BatchNormInfer(&bn.BatchNorm, x, out, gamma, beta, bn.RunMean, bn.RunVar)
	}
	if err != nil || !op.ReLU {
		return err
	}
	size := nd.Shape().TotalSize()
	return d.Launch("md_relu_fwd", size, size, out, out)
}

// GPUDoHalf normalises bfloat16 NHWC x.
func (op *BNOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	d, bn, out := r.Device(), r.BN(op), r.Buf(nd)
	x, gamma, beta := inBuf(r, nd, 0), inBuf(r, nd, 1), inBuf(r, nd, 2)
	size := nd.Shape().TotalSize()
	s := nd.Shape()
	m, c := s[0]*s[2]*s[3], s[1]
	if op.Train && r.Choices().HalfCuDNNBN {
		if err := d.BatchNormTrain(&bn.BatchNorm, x, out, gamma, beta, bn.RunMean, bn.RunVar); err != nil || !op.ReLU {
			return err
		}
		return d.Launch("md_relu_fwd_h", size, size, out, out)
	}
	if op.Train {
		return bnForwardHalf(d, bn, op.ReLU, x, gamma, beta, out)
	}
	if err := d.Launch("md_bn_invstd", c, c, bn.RunVar, float32(bn.Eps), bn.InvStd); err != nil {
		return err
	}
	return d.Launch("md_bnh_apply", size, m, c, x, bn.RunMean, bn.InvStd, gamma, beta, flag(op.ReLU), out)
}

// GPUDo computes the layer's three gradients together, at the first of
// its gradient ops (inputs γ, β and dy).
func (op *BNGradOp) GPUDo(r GPURun, nd *G.Node) error { return op.gpuDo(r, nd, false) }

// GPUDoHalf is GPUDo on bfloat16 NHWC.
func (op *BNGradOp) GPUDoHalf(r GPURun, nd *G.Node) error { return op.gpuDo(r, nd, true) }

func (op *BNGradOp) gpuDo(r GPURun, nd *G.Node, half bool) error {
	if !r.First(op.Fwd) {
		return nil
	}
	d, bn, g, relu := r.Device(), r.BN(op.Fwd), r.BNGrads(op.Fwd), op.Fwd.ReLU
	gamma, beta, dy := inBuf(r, nd, 0), inBuf(r, nd, 1), inBuf(r, nd, 2)
	x, dx, dgamma, dbeta := r.Buf(bn.In), r.Buf(g[0]), r.Buf(g[1]), r.Buf(g[2])
	switch ch := r.Choices(); {
	case !half && ch.FusedBN:
		return bnBackward(d, bn, relu, x, dy, gamma, beta, dx, dgamma, dbeta)
	case !half:
		return cudnnBNBackward(r, bn, relu, "md_relu_bwd", gamma, dy, g)
	case ch.HalfCuDNNBN:
		return cudnnBNBackward(r, bn, relu, "md_relu_bwd_h", gamma, dy, g)
	}
	return bnBackwardHalf(d, bn, relu, x, dy, gamma, beta, dx, dgamma, dbeta)
}

// cudnnBNBackward is cuDNN's backward pass, after the ReLU's mask (the
// kernel relu, for the layout) when the layer has one: dy is this layer's
// alone (Gorgonia sums a node's gradients into one before handing it on),
// so it is masked in place.
func cudnnBNBackward(r GPURun, bn *BNOnGPU, reLU bool, relu string, gamma, dy gpu.Buffer, g [3]*G.Node) error {
	d := r.Device()
	if reLU {
		n := bn.X.Size()
		if err := d.Launch(relu, n, n, r.Buf(bn.Out), dy, dy); err != nil {
			return err
		}
	}
	return d.BatchNormBackward(&bn.BatchNorm, r.Buf(bn.In), dy, r.Buf(g[0]), gamma, r.Buf(g[1]), r.Buf(g[2]))
}

// bnForward is the fused BatchNorm (+ ReLU) of a training step on float32
// NCHW: batch sums, statistics (and the running ones), then y.
func bnForward(d *gpu.Device, bn *BNOnGPU, relu bool, x, gamma, beta, y gpu.Buffer) error {
	n, c, hw := bn.X.N, bn.X.C, bn.X.H*bn.X.W
	chunks := bnChunks(c, n*hw)
	sum, sumsq := bn.Sums, bn.Sums.At(2*c)
	if err := d.Zero(bn.Sums); err != nil {
		return err
	}
	if err := d.Launch("md_bnr_sums", c*chunks, n, c, hw, chunks, x, sum, sumsq); err != nil {
		return err
	}
	if err := d.Launch("md_bnr_stats", c, c, n*hw, sum, sumsq, float32(bn.Eps), float32(bn.Momentum), bn.Mean, bn.InvStd,
		bn.RunMean, bn.RunVar); err != nil {
		return err
	}
	return d.Launch("md_bnr_apply", n*c*hw, n, c, hw, x, bn.Mean, bn.InvStd, gamma, beta, flag(relu), y)
}

// bnBackward is the fused backward pass: dγ, dβ and dx (any may be a nil
// Buffer: not wanted) from x, dy and the forward pass's statistics.
func bnBackward(d *gpu.Device, bn *BNOnGPU, relu bool, x, dy, gamma, beta, dx, dgamma, dbeta gpu.Buffer) error {
	n, c, hw := bn.X.N, bn.X.C, bn.X.H*bn.X.W
	chunks := bnChunks(c, n*hw)
	sdy, sdyx := bn.Sums, bn.Sums.At(2*c)
	if err := d.Zero(bn.Sums); err != nil {
		return err
	}
	if err := d.Launch("md_bnr_bwd_sums", c*chunks, n, c, hw, chunks, x, dy, bn.Mean, bn.InvStd, gamma, beta, flag(relu),
		sdy, sdyx); err != nil {
		return err
	}
	if !dx.Nil() {
		if err := d.Launch("md_bnr_bwd_dx", n*c*hw, n, c, hw, x, dy, bn.Mean, bn.InvStd, gamma, beta, flag(relu), sdy, sdyx,
			dx); err != nil {
			return err
		}
	}
	if dgamma.Nil() || dbeta.Nil() {
		return nil
	}
	return d.Launch("md_bnr_bwd_params", c, c, sdy, sdyx, dgamma, dbeta)
}

// bnForwardHalf is bnForward on bfloat16 NHWC.
func bnForwardHalf(d *gpu.Device, bn *BNOnGPU, relu bool, x, gamma, beta, y gpu.Buffer) error {
	m, c := bn.X.N*bn.X.H*bn.X.W, bn.X.C
	chunks := bnChunks(c, m)
	sum, sumsq := bn.Sums, bn.Sums.At(2*c)
	if err := d.Zero(bn.Sums); err != nil {
		return err
	}
	if err := d.Launch("md_bnh_sums", c*chunks, m, c, chunks, x, sum, sumsq); err != nil {
		return err
	}
	if err := d.Launch("md_bnr_stats", c, c, m, sum, sumsq, float32(bn.Eps), float32(bn.Momentum), bn.Mean, bn.InvStd,
		bn.RunMean, bn.RunVar); err != nil {
		return err
	}
	return d.Launch("md_bnh_apply", m*c, m, c, x, bn.Mean, bn.InvStd, gamma, beta, flag(relu), y)
}

// bnBackwardHalf is bnBackward on bfloat16 NHWC.
func bnBackwardHalf(d *gpu.Device, bn *BNOnGPU, relu bool, x, dy, gamma, beta, dx, dgamma, dbeta gpu.Buffer) error {
	m, c := bn.X.N*bn.X.H*bn.X.W, bn.X.C
	chunks := bnChunks(c, m)
	sdy, sdyx := bn.Sums, bn.Sums.At(2*c)
	if err := d.Zero(bn.Sums); err != nil {
		return err
	}
	if err := d.Launch("md_bnh_bwd_sums", c*chunks, m, c, chunks, x, dy, bn.Mean, bn.InvStd, gamma, beta, flag(relu),
		sdy, sdyx); err != nil {
		return err
	}
	if !dx.Nil() {
		if err := d.Launch("md_bnh_bwd_dx", m*c, m, c, x, dy, bn.Mean, bn.InvStd, gamma, beta, flag(relu), sdy, sdyx,
			dx); err != nil {
			return err
		}
	}
	if dgamma.Nil() || dbeta.Nil() {
		return nil
	}
	return d.Launch("md_bnr_bwd_params", c, c, sdy, sdyx, dgamma, dbeta)
}
