//go:build cuda || gpuemu

package ops

import (
	G "gorgonia.org/gorgonia"
)

// ReLU's and dropout's GPU forms: this package's elementwise kernels.
// Dropout's mask is drawn on the device (md_dropout_mask), the same as
// the CPU's Draw; under bf16 it is applied in NHWC order, so the masked
// values differ from the float32 path's (another draw), the same forward
// and backward.

// GPUDo is max(x, 0).
func (op *ReLUOp) GPUDo(r GPURun, nd *G.Node) error {
	size := nd.Shape().TotalSize()
	return r.Device().Launch("md_relu_fwd", size, size, inBuf(r, nd, 0), r.Buf(nd))
}

// GPUDoHalf is GPUDo on bfloat16.
func (op *ReLUOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	size := nd.Shape().TotalSize()
	return r.Device().Launch("md_relu_fwd_h", size, size, inBuf(r, nd, 0), r.Buf(nd))
}

// GPUDo passes dy where the ReLU's output is positive (inputs y, dy).
func (op *MaskGradOp) GPUDo(r GPURun, nd *G.Node) error {
	size := nd.Shape().TotalSize()
	return r.Device().Launch("md_relu_bwd", size, size, inBuf(r, nd, 0), inBuf(r, nd, 1), r.Buf(nd))
}

// GPUDoHalf is GPUDo on bfloat16.
func (op *MaskGradOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	size := nd.Shape().TotalSize()
	return r.Device().Launch("md_relu_bwd_h", size, size, inBuf(r, nd, 0), inBuf(r, nd, 1), r.Buf(nd))
}

// GPUDo multiplies x by a fresh mask in training, copies it otherwise.
func (op *DropoutOp) GPUDo(r GPURun, nd *G.Node) error { return op.gpuMask(r, nd, "md_mul", true) }

// GPUDoHalf is GPUDo on bfloat16.
func (op *DropoutOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	return op.gpuMask(r, nd, "md_mul_hf", true)
}

// GPUDo multiplies dy by the forward pass's mask.
func (op *DropDxOp) GPUDo(r GPURun, nd *G.Node) error { return op.Fwd.gpuMask(r, nd, "md_mul", false) }

// GPUDoHalf is GPUDo on bfloat16.
func (op *DropDxOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	return op.Fwd.gpuMask(r, nd, "md_mul_hf", false)
}

// gpuMask queues node nd = its first input × the dropout's mask (kernel
// mul), or a copy when the dropout drops nothing (evaluation, p = 0);
// draw makes a fresh mask first (the forward pass; its gradient reuses
// it), on the device (md_dropout_mask: the mask the CPU's Draw would
// make). Until the twenty-fourth session the host drew it and uploaded
// it every step: 20.7 ms a step for cnn-s's 2,097,152 values at batch
// 256 on this project's 2-core machine, against a 1.6 ms step on the
// H100, and an upload from pageable memory, which may wait for the
// stream.
func (op *DropoutOp) gpuMask(r GPURun, nd *G.Node, mul string, draw bool) error {
	d, size := r.Device(), nd.Shape().TotalSize()
	if !op.Train || op.P <= 0 {
		return d.Copy(r.Buf(nd), inBuf(r, nd, 0), r.Words(nd))
	}
	if draw {
		if err := d.Launch("md_dropout_mask", size, size, int(op.NextKey()), int(DropThreshold(op.P)),
			float32(1/(1-op.P)), r.Mask(op)); err != nil {
			return err
		}
	}
	return d.Launch(mul, size, size, inBuf(r, nd, 0), r.Mask(op), r.Buf(nd))
}
