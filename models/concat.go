package models

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// concatColsOp joins [N, k_i] matrices side by side into [N, Σk_i]: the
// multi-head models' logits. Its gradient is a column slice per input.
// (Gorgonia's Concat does the same, but in a cuda build it is one of
// Gorgonia's CUDA ops, which a CPU graph must not start.)
type concatColsOp struct {
	opBase
	n   int // inputs
	out buf
}

// Arity implements G.Op.
func (op *concatColsOp) Arity() int { return op.n }

// Type implements G.Op.
func (op *concatColsOp) Type() hm.Type {
	in := make([]int, op.n)
	for i := range in {
		in[i] = 2
	}
	return fnType(2, in...)
}

// InferShape implements G.Op.
func (op *concatColsOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
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
func (op *concatColsOp) Do(vals ...G.Value) (G.Value, error) {
	rows := vals[0].Shape()[0]
	cols := 0
	for _, v := range vals {
		cols += v.Shape()[1]
	}
	out := op.out.raw(rows, cols)
	y := f32(out)
	off := 0
	for _, v := range vals {
		w := v.Shape()[1]
		x := f32(v)
		for r := range rows {
			copy(y[r*cols+off:r*cols+off+w], x[r*w:(r+1)*w])
		}
		off += w
	}
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *concatColsOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = true
	}
	return d
}

// SymDiff implements G.SDOp.
func (op *concatColsOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	out := make(G.Nodes, len(in))
	off := 0
	for i, x := range in {
		w := x.Shape()[1]
		var err error
		if out[i], err = G.ApplyOp(&sliceColsOp{opBase: newBase("concatDx"), from: off, to: off + w}, grad); err != nil {
			return nil, err
		}
		off += w
	}
	return out, nil
}

// sliceColsOp takes columns [from, to) of an [N, K] matrix.
type sliceColsOp struct {
	opBase
	from, to int
	out      buf
}

// Arity implements G.Op.
func (op *sliceColsOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *sliceColsOp) Type() hm.Type { return fnType(2, 2) }

// InferShape implements G.Op.
func (op *sliceColsOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	if err != nil {
		return nil, err
	}
	if len(s) != 2 || op.to > s[1] {
		return nil, fmt.Errorf("slice [%d, %d) of %v", op.from, op.to, s)
	}
	return tensor.Shape{s[0], op.to - op.from}, nil
}

// Do implements G.Op.
func (op *sliceColsOp) Do(vals ...G.Value) (G.Value, error) {
	s := vals[0].Shape()
	w := op.to - op.from
	out := op.out.raw(s[0], w)
	x, y := f32(vals[0]), f32(out)
	for r := range s[0] {
		copy(y[r*w:(r+1)*w], x[r*s[1]+op.from:r*s[1]+op.to])
	}
	return out, nil
}
