package models

import (
	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// linearOp is a dense layer y = x·w + b, x being [N,…] flattened to [N,K],
// w [K,O] and b [O].
type linearOp struct {
	opBase
	xdims int
	out   buf
}

// Arity implements G.Op.
func (op *linearOp) Arity() int { return 3 }

// Type implements G.Op.
func (op *linearOp) Type() hm.Type { return fnType(2, op.xdims, 2, 1) }

// InferShape implements G.Op.
func (op *linearOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	x, w, err := shapes2(in)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{x[0], w[1]}, nil
}

// Do implements G.Op.
func (op *linearOp) Do(vals ...G.Value) (G.Value, error) {
	n := vals[0].Shape()[0]
	ws := vals[1].Shape()
	k, o := ws[0], ws[1]
	out := op.out.raw(n, o)
	x, w, b, y := f32(vals[0]), f32(vals[1]), f32(vals[2]), f32(out)
	for i := 0; i < n; i++ {
		copy(y[i*o:(i+1)*o], b)
	}
	sgemm(false, false, n, o, k, 1, x, w, 1, y)
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *linearOp) DiffWRT(int) []bool { return []bool{true, true, true} }

// SymDiff implements G.SDOp.
func (op *linearOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	xs := in[0].Shape().Clone()
	dx, err := G.ApplyOp(&linGradOp{opBase: newBase("linDx"), which: 0, shape: xs}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	dw, err := G.ApplyOp(&linGradOp{opBase: newBase("linDw"), which: 1, shape: in[1].Shape().Clone(), xdims: len(xs)}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	db, err := G.ApplyOp(&linGradOp{opBase: newBase("linDb"), which: 2, shape: in[2].Shape().Clone(), xdims: len(xs)}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

// linGradOp computes dx = dy·wᵀ (which 0), dw = xᵀ·dy (1) or db = Σdy (2).
type linGradOp struct {
	opBase
	which int
	shape tensor.Shape
	xdims int
	out   buf
}

// Arity implements G.Op.
func (op *linGradOp) Arity() int { return 3 }

// Type implements G.Op.
func (op *linGradOp) Type() hm.Type {
	xd := len(op.shape)
	if op.which != 0 {
		xd = op.xdims
	}
	return fnType(len(op.shape), xd, 2, 2)
}

// InferShape implements G.Op.
func (op *linGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }

// Do implements G.Op.
func (op *linGradOp) Do(vals ...G.Value) (G.Value, error) {
	x, w, dy := f32(vals[0]), f32(vals[1]), f32(vals[2])
	ws := vals[1].Shape()
	k, o := ws[0], ws[1]
	n := vals[2].Shape()[0]
	out := op.out.get(op.shape...)
	r := f32(out)
	switch op.which {
	case 0:
		sgemm(false, true, n, k, o, 1, dy, w, 0, r)
	case 1:
		sgemm(true, false, k, o, n, 1, x, dy, 0, r)
	default:
		for i := 0; i < n; i++ {
			for j, v := range dy[i*o : (i+1)*o] {
				r[j] += v
			}
		}
	}
	return out, nil
}
