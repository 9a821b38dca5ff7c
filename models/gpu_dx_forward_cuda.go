//go:build cuda || gpuemu

package models

import (
	"errors"
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/maskdash/maskdash/models/gpu"
	"github.com/maskdash/maskdash/models/ops"
)

// bf16's input gradients as forward convolutions (gpuHalfDx): with
// stride 1, the input gradient of a convolution is the forward
// convolution of dy with its kernels turned by 180° and their two
// channel counts swapped, padding R−1−pad. Each convolution of a bf16
// training graph gets that form described and searched beside cuDNN's
// backward-data pick, and takes it when the mode is on, or, left to the
// engine, when the search timed it faster (dxForwardFaster).

// dxChoice is one convolution's choice, for the profile: its shape, the
// two forms' picks and which it takes; why the forward form could not
// be described, when it could not (auto: then backward-data).
type dxChoice struct {
	shape    gpu.ConvShape
	bwd, fwd gpu.ConvAlgorithm
	searched bool // the picks were timed (not in the emulator)
	forward  bool
	err      error
}

// chooseDxForm describes conv nd's input gradient (node dxNode) as a
// forward convolution and keeps it in r.dxConvs if the mode or the
// search says so. Under the auto mode a forward form that cannot be
// described is no error: backward-data computes that gradient.
func (r *gpuRun) chooseDxForm(op *ops.Conv2dOp, x, nd, dxNode *G.Node, cv *gpu.Conv) error {
	c := dxChoice{shape: cv.Shape(), bwd: cv.Algorithms().InputGrad, searched: cv.Algorithms().Searched}
	fwd, err := r.describeDxConv(op, x, nd, dxNode)
	switch {
	case err != nil && r.dxMode == modeOn:
		return err
	case err != nil:
		c.err = err
	default:
		c.fwd = fwd.Algorithms().Forward
		if c.forward = r.dxMode == modeOn || dxForwardFaster(c.bwd, c.fwd); c.forward {
			r.dxConvs[op] = fwd
		} else {
			fwd.Free()
		}
	}
	r.dxChoices = append(r.dxChoices, c)
	return nil
}

// describeDxConv describes the forward convolution that computes conv
// nd's input gradient dx (node dxNode, from dy, its input 1): dy [N, K,
// Ho, Wo] convolved with the C kernels turned by 180° (md_flip_krsc_h
// into r.flipped), padding R−1−pad, is dx [N, C, H, W] (stride 1). Its
// forward algorithm is searched as any convolution's (searchBuffers).
func (r *gpuRun) describeDxConv(op *ops.Conv2dOp, x, nd, dxNode *G.Node) (*gpu.Conv, error) {
	d := r.net.dev
	dy, dx := r.buf[r.in(dxNode, 1)], r.buf[dxNode]
	tmp, err := r.searchBuffers(&dy, &dx)
	if err != nil {
		return nil, err
	}
	ys := nd.Shape()
	cv, err := d.NewConv(gpu.ConvShape{N: ys[0], C: ys[1], H: ys[2], W: ys[3], K: r.HalfChannels(x), R: op.K, Pad: op.K - 1 - op.Pad,
		BF16: true}, dy, r.flipped, dx, gpu.Buffer{}, gpu.Buffer{})
	if err := errors.Join(err, freeAll(d, tmp)); err != nil {
		cv.Free()
		return nil, fmt.Errorf("the input gradient of convolution %v→%v as a forward convolution: %w", x.Shape(), ys, err)
	}
	return cv, nil
}
