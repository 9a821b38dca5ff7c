package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ConcatColsOp joins [N, k_i] matrices side by side into [N, Σk_i]: the
// multi-head models' logits. Its gradient is a column slice per input.
// (Gorgonia's Concat does the same, but in a cuda build it is one of
// Gorgonia's CUDA ops, which a CPU graph must not start.)
type ConcatColsOp struct {
	opBase
	n   int // inputs
	out buf
}

// Arity implements G.Op.
func (op *ConcatColsOp) Arity() int { return op.n }

// Type implements G.Op.
func (op *ConcatColsOp) Type() hm.Type {
	in := make([]int, op.n)
	for i := range in {
		in[i] = 2
	}
	return fnType(2, in...)
}

// InferShape implements G.Op.
func (op *ConcatColsOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	rows, cols := -1, 0
	for _, d := range in {
		s, err := shapeOf(d)
		if err != nil {
			return nil, err
		}
		if len(s) != 2 || rows >= 0 && s[0] != rows {
			return nil, fmt.Errorf("concat: %v does not join the others' rows", s)
		}
		rows, cols = s[0], cols+s[1]
	}
	return tensor.Shape{rows, cols}, nil
}

// Do implements G.Op.
func (op *ConcatColsOp) Do(vals ...G.Value) (G.Value, error) {
	rows := vals[0].Shape()[0]
	cols := 0
	for _, v := range vals {
		cols += v.Shape()[1]
	}
	out := op.out.raw(rows, cols)
	y := Float32s(out)
	off := 0
	for _, v := range vals {
		w := v.Shape()[1]
		x := Float32s(v)
		for r := range rows {
			copy(y[r*cols+off:r*cols+off+w], x[r*w:(r+1)*w])
		}
		off += w
	}
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *ConcatColsOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = true
	}
	return d
}

// SymDiff implements G.SDOp.
func (op *ConcatColsOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	out := make(G.Nodes, len(in))
	off := 0
	for i, x := range in {
		w := x.Shape()[1]
		var err error
		if out[i], err = G.ApplyOp(&SliceColsOp{opBase: newBase("concatDx"), From: off, To: off + w}, grad); err != nil {
			return nil, err
		}
		off += w
	}
	return out, nil
}

// SliceColsOp takes columns [from, to) of an [N, K] matrix.
type SliceColsOp struct {
	opBase
	From, To int
	out      buf
}

// Arity implements G.Op.
func (op *SliceColsOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *SliceColsOp) Type() hm.Type { return fnType(2, 2) }

// InferShape implements G.Op.
func (op *SliceColsOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	if err != nil {
		return nil, err
	}
	if len(s) != 2 || op.To > s[1] {
		return nil, fmt.Errorf("slice [%d, %d) of %v", op.From, op.To, s)
	}
	return tensor.Shape{s[0], op.To - op.From}, nil
}

// Do implements G.Op.
func (op *SliceColsOp) Do(vals ...G.Value) (G.Value, error) {
	s := vals[0].Shape()
	w := op.To - op.From
	out := op.out.raw(s[0], w)
	x, y := Float32s(vals[0]), Float32s(out)
	for r := range s[0] {
		copy(y[r*w:(r+1)*w], x[r*s[1]+op.From:r*s[1]+op.To])
	}
	return out, nil
}
