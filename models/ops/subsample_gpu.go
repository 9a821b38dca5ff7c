//go:build cuda || gpuemu

package ops

import G "gorgonia.org/gorgonia"

// The GPU forms of resnet18's stride 2 and stem pool (subsample.go,
// maxpool3.go): this package's kernels, on float32 NCHW and on bfloat16
// NHWC.

// GPUDo keeps every second row and column of x.
func (op *SubsampleOp) GPUDo(r GPURun, nd *G.Node) error {
	s := r.Inputs(nd)[0].Shape()
	return r.Device().Launch("md_subsample", nd.Shape().TotalSize(), s[0]*s[1], s[2], s[3], inBuf(r, nd, 0), r.Buf(nd))
}

// GPUDo puts each gradient back where its value was kept.
func (op *SubsampleDxOp) GPUDo(r GPURun, nd *G.Node) error {
	s := op.shape
	return r.Device().Launch("md_subsample_bwd", s.TotalSize(), s[0]*s[1], s[2], s[3], inBuf(r, nd, 0), r.Buf(nd))
}

// GPUDo pools x, 3×3 windows with stride 2 and padding 1.
func (op *MaxPool3Op) GPUDo(r GPURun, nd *G.Node) error {
	s := r.Inputs(nd)[0].Shape()
	return r.Device().Launch("md_maxpool3", nd.Shape().TotalSize(), s[0]*s[1], s[2], s[3], inBuf(r, nd, 0), r.Buf(nd))
}

// GPUDo gives each input the gradients of the windows whose maximum it
// is, found again from the pool's input.
func (op *MaxPool3DxOp) GPUDo(r GPURun, nd *G.Node) error {
	x := r.Inputs(r.Forward(op.Fwd))[0]
	s := op.shape
	return r.Device().Launch("md_maxpool3_bwd", s.TotalSize(), s[0]*s[1], s[2], s[3], r.Buf(x), inBuf(r, nd, 0), r.Buf(nd))
}

// GPUDoHalf is GPUDo on bfloat16 NHWC.
func (op *SubsampleOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	s := r.Inputs(nd)[0].Shape()
	return r.Device().Launch("md_subsample_h", nd.Shape().TotalSize(), s[0], s[2], s[3], s[1], inBuf(r, nd, 0), r.Buf(nd))
}

// GPUDoHalf is GPUDo on bfloat16 NHWC.
func (op *SubsampleDxOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	s := op.shape
	return r.Device().Launch("md_subsample_bwd_h", s.TotalSize(), s[0], s[2], s[3], s[1], inBuf(r, nd, 0), r.Buf(nd))
}

// GPUDoHalf is GPUDo on bfloat16 NHWC.
func (op *MaxPool3Op) GPUDoHalf(r GPURun, nd *G.Node) error {
	s := r.Inputs(nd)[0].Shape()
	return r.Device().Launch("md_maxpool3_h", nd.Shape().TotalSize(), s[0], s[2], s[3], s[1], inBuf(r, nd, 0), r.Buf(nd))
}

// GPUDoHalf is GPUDo on bfloat16 NHWC.
func (op *MaxPool3DxOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	x := r.Inputs(r.Forward(op.Fwd))[0]
	s := op.shape
	return r.Device().Launch("md_maxpool3_bwd_h", s.TotalSize(), s[0], s[2], s[3], s[1], r.Buf(x), inBuf(r, nd, 0), r.Buf(nd))
}
