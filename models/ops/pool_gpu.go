//go:build cuda || gpuemu

package ops

import G "gorgonia.org/gorgonia"

// The pools' GPU forms: cuDNN's 2×2 max pool, or this package's kernels
// that keep each window's winner (GPUChoices.PoolKernels), on float32
// NCHW; this package's kernels on bfloat16 NHWC. The global average pool
// sums each plane through cuBLAS.

// GPUDo pools x: through md_pool2k_fwd, keeping the winners, where the
// run has memory for them (GPURun.PoolWinners), else cuDNN.
func (op *MaxPool2Op) GPUDo(r GPURun, nd *G.Node) error {
	x := r.Inputs(nd)[0]
	if win := r.PoolWinners(op); !win.Nil() {
		s := x.Shape()
		return r.Device().Launch("md_pool2k_fwd", nd.Shape().TotalSize(), s[0]*s[1], s[2], s[3], r.Buf(x), r.Buf(nd), win)
	}
	return r.Device().MaxPool2(r.Desc(x), r.Buf(x), r.Desc(nd), r.Buf(nd))
}

// GPUDoHalf pools bfloat16 NHWC x.
func (op *MaxPool2Op) GPUDoHalf(r GPURun, nd *G.Node) error {
	s := r.Inputs(nd)[0].Shape()
	return r.Device().Launch("md_maxpool2_h", nd.Shape().TotalSize(), s[0], s[2], s[3], s[1], inBuf(r, nd, 0), r.Buf(nd))
}

// GPUDo sends each window's gradient (input dy) to the input its
// forward pass picked: from the winners it kept, or by cuDNN from x and y.
func (op *ScatterOp) GPUDo(r GPURun, nd *G.Node) error {
	p := r.Forward(op.Fwd)
	x := r.Inputs(p)[0]
	if win := r.PoolWinners(op.Fwd); !win.Nil() {
		s := x.Shape()
		return r.Device().Launch("md_pool2k_bwd", p.Shape().TotalSize(), s[0]*s[1], s[2], s[3], win, inBuf(r, nd, 0), r.Buf(nd))
	}
	return r.Device().MaxPool2Backward(r.Desc(x), r.Buf(x), r.Desc(p), r.Buf(p), inBuf(r, nd, 0), r.Buf(nd))
}

// GPUDoHalf is GPUDo on bfloat16 NHWC.
func (op *ScatterOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	x := r.Inputs(r.Forward(op.Fwd))[0]
	s := x.Shape()
	return r.Device().Launch("md_maxpool2_bwd_h", nd.Shape().TotalSize(), s[0], s[2], s[3], s[1], r.Buf(x), inBuf(r, nd, 0),
		r.Buf(nd))
}

// GPUDo averages each plane of x.
func (op *GAPOp) GPUDo(r GPURun, nd *G.Node) error {
	s := r.Inputs(nd)[0].Shape()
	hw := s[2] * s[3]
	ones, err := r.Ones(hw)
	if err != nil {
		return err
	}
	return r.Device().RowSums(s[0]*s[1], hw, 1/float32(hw), inBuf(r, nd, 0), ones, r.Buf(nd))
}

// GPUDoHalf averages bfloat16 NHWC x into float32 [N, C].
func (op *GAPOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	s := r.Inputs(nd)[0].Shape()
	return r.Device().Launch("md_gap_h", s[0]*s[1], s[0], s[2]*s[3], s[1], inBuf(r, nd, 0), r.Buf(nd))
}

// GPUDo spreads each plane's gradient over its positions.
func (op *GAPDxOp) GPUDo(r GPURun, nd *G.Node) error {
	s := op.OutShape
	return r.Device().Launch("md_gap_bwd", nd.Shape().TotalSize(), s[0]*s[1], s[2]*s[3], inBuf(r, nd, 0), r.Buf(nd))
}

// GPUDoHalf is GPUDo into bfloat16 NHWC.
func (op *GAPDxOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	s := nd.Shape()
	return r.Device().Launch("md_gap_bwd_h", s.TotalSize(), s[0], s[2]*s[3], s[1], inBuf(r, nd, 0), r.Buf(nd))
}
