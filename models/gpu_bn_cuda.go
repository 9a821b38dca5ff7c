//go:build cuda || gpuemu

package models

import "github.com/maskdash/maskdash/models/gpu"

// bnChunks splits each channel's n·hw values into chunks so that the
// sums run on about 128 Ki threads, at least one value each.
func bnChunks(c, nhw int) int { return max(1, min(nhw, (128<<10)/max(c, 1))) }

// bnForward is the fused BatchNorm (+ ReLU) of a training step: batch
// sums, statistics (and the running ones), then y.
func (r *gpuRun) bnForward(bn *gpuBN, relu bool, x, gamma, beta, y gpu.Buffer) error {
	d := r.net.dev
	n, c, hw := bn.X.N, bn.X.C, bn.X.H*bn.X.W
	chunks := bnChunks(c, n*hw)
	sum, sumsq := bn.sums, bn.sums.At(2*c)
	if err := d.Zero(bn.sums); err != nil {
		return err
	}
	if err := d.Launch("md_bnr_sums", c*chunks, n, c, hw, chunks, x, sum, sumsq); err != nil {
		return err
	}
	if err := d.Launch("md_bnr_stats", c, c, n*hw, sum, sumsq, float32(bn.Eps), float32(bn.Momentum), bn.Mean, bn.InvStd,
		bn.runMean, bn.runVar); err != nil {
		return err
	}
	return d.Launch("md_bnr_apply", n*c*hw, n, c, hw, x, bn.Mean, bn.InvStd, gamma, beta, flag(relu), y)
}

// bnBackward is the fused backward pass: dγ, dβ and dx (any may be a nil
// Buffer: not wanted) from x, dy and the forward pass's statistics.
func (r *gpuRun) bnBackward(bn *gpuBN, relu bool, dy, gamma, beta, dx, dgamma, dbeta gpu.Buffer) error {
	d := r.net.dev
	n, c, hw := bn.X.N, bn.X.C, bn.X.H*bn.X.W
	chunks := bnChunks(c, n*hw)
	x := r.buf[bn.x]
	sdy, sdyx := bn.sums, bn.sums.At(2*c)
	if err := d.Zero(bn.sums); err != nil {
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

// flag is a kernel's long for a bool.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}
