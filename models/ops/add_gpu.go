//go:build cuda || gpuemu

package ops

import G "gorgonia.org/gorgonia"

// The sum's and the copy's GPU forms.

// GPUDo is a + b, through cuBLAS.
func (op *AddOp) GPUDo(r GPURun, nd *G.Node) error {
	return r.Device().Axpby(nd.Shape().TotalSize(), 1, inBuf(r, nd, 0), 1, inBuf(r, nd, 1), r.Buf(nd))
}

// GPUDoHalf is a + b on bfloat16.
func (op *AddOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	size := nd.Shape().TotalSize()
	return r.Device().Launch("md_add_h", size, size, inBuf(r, nd, 0), inBuf(r, nd, 1), r.Buf(nd))
}

// GPUDo copies x.
func (op *CopyOp) GPUDo(r GPURun, nd *G.Node) error {
	return r.Device().Copy(r.Buf(nd), inBuf(r, nd, 0), r.Words(nd))
}

// GPUDoHalf copies bfloat16 x.
func (op *CopyOp) GPUDoHalf(r GPURun, nd *G.Node) error { return op.GPUDo(r, nd) }
