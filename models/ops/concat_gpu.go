//go:build cuda || gpuemu

package ops

import G "gorgonia.org/gorgonia"

// The multi-head logits' join and split on the GPU: column copies.

// GPUDo lays its inputs' columns side by side.
func (op *ConcatColsOp) GPUDo(r GPURun, nd *G.Node) error {
	d, out := r.Device(), r.Buf(nd)
	rows, width, off := nd.Shape()[0], nd.Shape()[1], 0
	for _, x := range r.Inputs(nd) {
		w := x.Shape()[1]
		if err := d.CopyColumns(out, width, off, r.Buf(x), w, 0, w, rows); err != nil {
			return err
		}
		off += w
	}
	return nil
}

// GPUDo copies columns From to To of its input.
func (op *SliceColsOp) GPUDo(r GPURun, nd *G.Node) error {
	s := r.Inputs(nd)[0].Shape()
	w := op.To - op.From
	return r.Device().CopyColumns(r.Buf(nd), w, 0, inBuf(r, nd, 0), s[1], op.From, w, s[0])
}
