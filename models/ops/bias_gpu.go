//go:build cuda || gpuemu

package ops

import G "gorgonia.org/gorgonia"

// The per-channel bias (+ ReLU)'s GPU forms.

// GPUDo adds the bias (inputs x and b), then the ReLU if the op has it.
func (op *ChanBiasOp) GPUDo(r GPURun, nd *G.Node) error {
	sh := nd.Shape()
	return r.Device().Launch("md_bias_act", sh.TotalSize(), sh[0], sh[1], sh[2]*sh[3], inBuf(r, nd, 0), inBuf(r, nd, 1),
		flag(op.ReLU), r.Buf(nd))
}

// GPUDoHalf is GPUDo on bfloat16 NHWC.
func (op *ChanBiasOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	sh := nd.Shape()
	return r.Device().Launch("md_bias_act_h", sh.TotalSize(), sh[0]*sh[2]*sh[3], sh[1], inBuf(r, nd, 0), inBuf(r, nd, 1),
		flag(op.ReLU), r.Buf(nd))
}

// GPUDo computes dx and db together, at the first of the two ops
// (inputs x, b and dy): dx is dy through the ReLU's mask, db its sums
// over images and positions, through cuBLAS.
func (op *ChanBiasGradOp) GPUDo(r GPURun, nd *G.Node) error {
	if !r.First(op.Fwd) {
		return nil
	}
	d, g := r.Device(), r.BiasGrads(op.Fwd)
	dy, dx := inBuf(r, nd, 2), r.Buf(g[0])
	sh := r.Inputs(nd)[0].Shape()
	n, c, hw := sh[0], sh[1], sh[2]*sh[3]
	var err error
	if op.Fwd.ReLU {
		y := r.Forward(op.Fwd)
		err = d.Launch("md_relu_bwd", r.Desc(y).Size(), n*c*hw, r.Buf(y), dy, dx)
	} else {
		err = d.Copy(dx, dy, n*c*hw)
	}
	if err != nil {
		return err
	}
	ones, err := r.Ones(max(n, hw))
	if err != nil {
		return err
	}
	sums := r.Scratch().BiasSums
	if err := d.RowSums(n*c, hw, 1, dx, ones, sums); err != nil {
		return err
	}
	return d.ColSums(n, c, sums, ones, r.Buf(g[1]))
}

// GPUDoHalf is GPUDo on bfloat16 NHWC, with the sums in float64.
func (op *ChanBiasGradOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	if !r.First(op.Fwd) {
		return nil
	}
	d, g, y := r.Device(), r.BiasGrads(op.Fwd), r.Forward(op.Fwd)
	dy, dx := inBuf(r, nd, 2), r.Buf(g[0])
	s := y.Shape()
	m, c := s[0]*s[2]*s[3], s[1]
	var err error
	if op.Fwd.ReLU {
		err = d.Launch("md_relu_bwd_h", m*c, m*c, r.Buf(y), dy, dx)
	} else {
		err = d.Copy(dx, dy, r.Words(y))
	}
	if err != nil {
		return err
	}
	sums := r.Scratch().HalfSums
	if err := d.Zero(sums); err != nil {
		return err
	}
	chunks := bnChunks(c, m)
	if err := d.Launch("md_chan_sums_h", c*chunks, m, c, chunks, dx, sums); err != nil {
		return err
	}
	return d.Launch("md_d2f", c, c, sums, r.Buf(g[1]))
}
