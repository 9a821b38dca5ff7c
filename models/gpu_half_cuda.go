//go:build cuda || gpuemu

package models

import (
	"errors"

	G "gorgonia.org/gorgonia"

	"github.com/maskdash/maskdash/models/gpu"
	"github.com/maskdash/maskdash/models/ops"
)

// --precision bf16 on the GPU. The trunk's activations and their
// gradients (every four-dimensional value but the convolutions' kernels
// and their gradients) are bfloat16 in NHWC order; everything else stays
// float32: the weights (the master copy the optimizer moves), every
// gradient of a weight, BatchNorm's statistics, the heads after the
// global average pool (or the flattening of cnn-s), the loss. Each step
// makes a bfloat16 KRSC copy of every convolution's kernel (wh) and of
// the batch, and turns each kernel gradient cuDNN writes in bfloat16 back
// into float32. The ops' bf16 forms are
// their GPUDoHalf methods (package ops), on cudakern's kernels_bf16.cu.

// halfOf decides which of the run's nodes are bfloat16 (gpu_half.go).
func (r *gpuRun) halfOf() {
	r.half = map[*G.Node]bool{}
	if r.net.half {
		r.half = halfNodes(r.order, r.gr.grads, r.gr.x)
	}
}

// padOf finds whether the run's batch is padded with zero channels for
// the convolutions that read it: when their kernels are (gpuNet.padC).
// Every reader of the batch must then be one of them (halfPadded).
func (r *gpuRun) padOf() error {
	r.padX = 0
	if !r.net.half || len(r.net.padC) == 0 {
		return nil
	}
	for k, cp := range halfPadded(r.order, r.gr.x) {
		if p, ok := r.net.byData[&ops.Float32s(k.Value())[0]]; !ok || r.net.padC[p] != cp {
			r.padX = 0
			break
		}
		r.padX = cp
	}
	if r.padX == 0 {
		return errors.New("the GPU engine: the batch's bf16 channels are padded in one graph and not another")
	}
	return nil
}

// HalfChannels is a four-dimensional node's channel count on the device:
// its own, or the padded count of the batch (padOf).
func (r *gpuRun) HalfChannels(nd *G.Node) int {
	if nd == r.gr.x && r.padX > 0 {
		return r.padX
	}
	return nd.Shape()[1]
}

// Words is nd's size on the device in 4-byte words.
func (r *gpuRun) Words(nd *G.Node) int {
	n := nd.Shape().TotalSize()
	if !r.half[nd] {
		return n
	}
	if len(nd.Shape()) == 4 {
		n = n / nd.Shape()[1] * r.HalfChannels(nd)
	}
	return (n + 1) / 2
}

// allocHalf makes the bf16 path's own buffers: the batch in bfloat16,
// the float32 flattening a dense layer reads from a four-dimensional
// input (and writes its gradient through), the kernel gradients'
// bfloat16 scratch, the per-channel double sums of a bias gradient and,
// unless gpuHalfDx is off, in a graph with input gradients, the kernels
// turned for them.
func (r *gpuRun) allocHalf() error {
	r.dxMode = modeOff // float32 has no turned kernels: its input gradients are backward-data's
	if !r.net.half {
		return nil
	}
	d := r.net.dev
	var flat, dw, chans int
	var dxs bool
	for _, nd := range r.order {
		switch nd.Op().(type) {
		case *ops.ConvDxOp:
			dxs = true
		case *ops.LinearOp:
			if x := r.in(nd, 0); r.half[x] {
				flat = max(flat, x.Shape().TotalSize())
			}
		case *ops.Conv2dOp:
			k := r.in(nd, 1).Shape()
			dw = max(dw, (k.TotalSize()/k[1]*r.HalfChannels(r.in(nd, 0))+1)/2)
		case *ops.ChanBiasOp:
			chans = max(chans, nd.Shape()[1])
		}
	}
	alloc := func(p *gpu.Buffer, n int) error {
		if n == 0 {
			return nil
		}
		b, err := d.Alloc(n)
		if err != nil {
			return err
		}
		r.owned = append(r.owned, b)
		*p = b
		return nil
	}
	if err := alloc(&r.xh, r.Words(r.gr.x)); err != nil {
		return err
	}
	r.buf[r.gr.x] = r.xh
	if err := alloc(&r.flat, flat); err != nil {
		return err
	}
	if err := alloc(&r.dwh, dw); err != nil {
		return err
	}
	// the turned kernels of an input gradient run forward: the size of
	// a kernel gradient's scratch
	r.dxMode = gpuHalfDx
	if !dxs {
		r.dxMode = modeOff
	}
	if r.dxMode != modeOff {
		if err := alloc(&r.flipped, dw); err != nil {
			return err
		}
	}
	return alloc(&r.hsums, 2*chans)
}

// toHalf queues the step's conversions: the batch and every kernel into
// bfloat16 NHWC (KRSC).
func (r *gpuRun) toHalf() error {
	d := r.net.dev
	s := r.gr.x.Shape()
	if err := toNHWC(d, s[0], s[1], r.padX, s[2]*s[3], r.xf, r.xh); err != nil {
		return err
	}
	for p, wh := range r.net.wh {
		if err := toNHWC(d, p.Shape[0], p.Shape[1], r.net.padC[p], p.Shape[2]*p.Shape[3], r.net.weights[p], wh); err != nil {
			return err
		}
	}
	return nil
}

// toNHWC queues float32 NCHW x [n, c, hw] into bfloat16 NHWC y, with
// zero channels up to cp when cp is set (0: none).
func toNHWC(d *gpu.Device, n, c, cp, hw int, x, y gpu.Buffer) error {
	if cp > c {
		return d.Launch("md_pad_nhwc_h", n*cp*hw, n, c, cp, hw, x, y)
	}
	return d.Launch("md_to_nhwc_h", n*c*hw, n, c, hw, x, y)
}
