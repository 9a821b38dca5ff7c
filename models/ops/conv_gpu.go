//go:build cuda || gpuemu

package ops

import (
	G "gorgonia.org/gorgonia"

	"github.com/maskdash/maskdash/models/gpu"
)

// The convolution's GPU forms: cuDNN, with the algorithms the run picked
// for the shape (GPURun.Conv).

// GPUDo is cuDNN's forward convolution.
func (op *Conv2dOp) GPUDo(r GPURun, nd *G.Node) error {
	return r.Device().ConvForward(r.Conv(op), inBuf(r, nd, 0), inBuf(r, nd, 1), r.Buf(nd))
}

// GPUDoHalf convolves bfloat16 NHWC with the kernel's bfloat16 copy.
func (op *Conv2dOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	return r.Device().ConvForward(r.Conv(op), inBuf(r, nd, 0), r.HalfKernel(r.Inputs(nd)[1]), r.Buf(nd))
}

// GPUDo is the input gradient, and the kernel gradient with it when the
// two are fused (inputs: the kernel, dy, and then x).
func (op *ConvDxOp) GPUDo(r GPURun, nd *G.Node) error {
	d, cv := r.Device(), r.Conv(op.Fwd)
	if err := d.ConvBackwardData(cv, inBuf(r, nd, 0), inBuf(r, nd, 1), r.Buf(nd)); err != nil {
		return err
	}
	if op.Dw != nil {
		return d.ConvBackwardFilter(cv, inBuf(r, nd, 2), inBuf(r, nd, 1), r.Buf(r.KernelGrad(op.Dw)))
	}
	return nil
}

// GPUDoHalf is GPUDo on bfloat16 NHWC.
func (op *ConvDxOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	cv := r.Conv(op.Fwd)
	if err := halfInputGrad(r, op, cv, r.HalfKernel(r.Inputs(nd)[0]), inBuf(r, nd, 1), r.Buf(nd)); err != nil {
		return err
	}
	if op.Dw != nil {
		return halfKernelGrad(r, cv, r.KernelGrad(op.Dw), r.Inputs(nd)[2], inBuf(r, nd, 1))
	}
	return nil
}

// halfInputGrad queues a bfloat16 convolution's input gradient dx from
// its kernels' bfloat16 KRSC copy w and dy: cuDNN's backward-data
// convolution, or, where the run chose it (GPURun.DxConv), cuDNN's
// forward convolution of dy with the kernels turned (stride 1: dx =
// conv(dy, w turned by 180° with K and C swapped), padding R−1−pad), for
// where cuDNN's bfloat16 backward-data kernels are slow (NOTES.md, the
// twenty-fourth session: 30× float32's on the H100).
func halfInputGrad(r GPURun, op *ConvDxOp, cv *gpu.Conv, w, dy, dx gpu.Buffer) error {
	d, fwd := r.Device(), r.DxConv(op.Fwd)
	if fwd == nil {
		return d.ConvBackwardData(cv, w, dy, dx)
	}
	s, flipped := cv.Shape(), r.Scratch().Flipped
	if err := d.Launch("md_flip_krsc_h", s.K*s.C*s.R*s.R, s.K, s.C, s.R, w, flipped); err != nil {
		return err
	}
	return d.ConvForward(fwd, dy, flipped, dx)
}

// GPUDo is the kernel gradient (inputs x and dy), unless its ConvDxOp
// computes it.
func (op *ConvDwOp) GPUDo(r GPURun, nd *G.Node) error {
	if op.Fused {
		return nil
	}
	return r.Device().ConvBackwardFilter(r.Conv(op.Fwd), inBuf(r, nd, 0), inBuf(r, nd, 1), r.Buf(nd))
}

// GPUDoHalf is GPUDo on bfloat16 NHWC.
func (op *ConvDwOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	if op.Fused {
		return nil
	}
	return halfKernelGrad(r, r.Conv(op.Fwd), nd, r.Inputs(nd)[0], inBuf(r, nd, 1))
}

// halfKernelGrad queues a convolution's kernel gradient, the node dw:
// cuDNN's bfloat16 KRSC result into dw's float32 [K, C, R, R] (from the
// first C channels when the input x is padded: GPURun.HalfChannels).
func halfKernelGrad(r GPURun, cv *gpu.Conv, dw, x *G.Node, dy gpu.Buffer) error {
	d, tmp := r.Device(), r.Scratch().KernelGrad
	if err := d.ConvBackwardFilter(cv, r.Buf(x), dy, tmp); err != nil {
		return err
	}
	s := dw.Shape()
	if cp := r.HalfChannels(x); cp > s[1] {
		return d.Launch("md_unpad_nchw_f", s.TotalSize(), s[0], s[1], cp, s[2]*s[3], tmp, r.Buf(dw))
	}
	return d.Launch("md_to_nchw_f", s.TotalSize(), s[0], s[1], s[2]*s[3], tmp, r.Buf(dw))
}
