//go:build cuda || gpuemu

package ops

import (
	G "gorgonia.org/gorgonia"

	"github.com/maskdash/maskdash/models/gpu"
)

// ReLU's and dropout's GPU forms: this package's elementwise kernels.
// Dropout's mask is drawn on the host (Draw, as on the CPU) and uploaded;
// under bf16 it is applied in NHWC order, so the masked values differ
// from the float32 path's (another draw), the same forward and backward.

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
func (op *DropoutOp) GPUDo(r GPURun, nd *G.Node) error {
	return op.gpuDo(r, nd, "md_mul")
}

// GPUDoHalf is GPUDo on bfloat16.
func (op *DropoutOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	return op.gpuDo(r, nd, "md_mul_hf")
}

func (op *DropoutOp) gpuDo(r GPURun, nd *G.Node, mul string) error {
	d, size := r.Device(), nd.Shape().TotalSize()
	if !op.Train || op.P <= 0 {
		return d.Copy(r.Buf(nd), inBuf(r, nd, 0), r.Words(nd))
	}
	op.Draw(size)
	if err := gpu.Upload(d, r.Mask(op), op.Mask); err != nil {
		return err
	}
	return d.Launch(mul, size, size, inBuf(r, nd, 0), r.Mask(op), r.Buf(nd))
}

// GPUDo multiplies dy by the forward pass's mask.
func (op *DropDxOp) GPUDo(r GPURun, nd *G.Node) error {
	return op.gpuDo(r, nd, "md_mul")
}

// GPUDoHalf is GPUDo on bfloat16.
func (op *DropDxOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	return op.gpuDo(r, nd, "md_mul_hf")
}

func (op *DropDxOp) gpuDo(r GPURun, nd *G.Node, mul string) error {
	d, size := r.Device(), nd.Shape().TotalSize()
	if !op.Fwd.Train || op.Fwd.P <= 0 {
		return d.Copy(r.Buf(nd), inBuf(r, nd, 0), r.Words(nd))
	}
	return d.Launch(mul, size, size, inBuf(r, nd, 0), r.Mask(op.Fwd), r.Buf(nd))
}
