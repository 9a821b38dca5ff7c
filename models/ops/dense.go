package ops

import (
	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LinearOp is a dense layer y = x·w + b, x being [N,…] flattened to [N,K],
// w [K,O] and b [O].
type LinearOp struct {
	opBase
	xdims int
	out   buf
}

// Arity implements G.Op.
func (op *LinearOp) Arity() int { return 3 }

// Type implements G.Op.
func (op *LinearOp) Type() hm.Type { return fnType(2, op.xdims, 2, 1) }

// InferShape implements G.Op.
func (op *LinearOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	x, w, err := shapes2(in)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{x[0], w[1]}, nil
}

// Do implements G.Op.
func (op *LinearOp) Do(vals ...G.Value) (G.Value, error) {
	n := vals[0].Shape()[0]
	ws := vals[1].Shape()
	k, o := ws[0], ws[1]
	out := op.out.raw(n, o)
	x, w, b, y := Float32s(vals[0]), Float32s(vals[1]), Float32s(vals[2]), Float32s(out)
	for i := 0; i < n; i++ {
		copy(y[i*o:(i+1)*o], b)
	}
	sgemm(false, false, n, o, k, 1, x, w, 1, y)
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *LinearOp) DiffWRT(int) []bool { return []bool{true, true, true} }

// SymDiff implements G.SDOp.
func (op *LinearOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	xs := in[0].Shape().Clone()
	dx, err := G.ApplyOp(&LinGradOp{opBase: newBase("linDx"), Which: 0, shape: xs}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	dw, err := G.ApplyOp(&LinGradOp{opBase: newBase("linDw"), Which: 1, shape: in[1].Shape().Clone(), xdims: len(xs)}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	db, err := G.ApplyOp(&LinGradOp{opBase: newBase("linDb"), Which: 2, shape: in[2].Shape().Clone(), xdims: len(xs)}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

// LinGradOp computes dx = dy·wᵀ (which 0), dw = xᵀ·dy (1) or db = Σdy (2).
type LinGradOp struct {
	opBase
	Which int
	shape tensor.Shape
	xdims int
	out   buf
}

// Arity implements G.Op.
func (op *LinGradOp) Arity() int { return 3 }

// Type implements G.Op.
func (op *LinGradOp) Type() hm.Type {
	xd := len(op.shape)
	if op.Which != 0 {
		xd = op.xdims
	}
	return fnType(len(op.shape), xd, 2, 2)
}

// InferShape implements G.Op.
func (op *LinGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }

// Do implements G.Op.
func (op *LinGradOp) Do(vals ...G.Value) (G.Value, error) {
	x, w, dy := Float32s(vals[0]), Float32s(vals[1]), Float32s(vals[2])
	ws := vals[1].Shape()
	k, o := ws[0], ws[1]
	n := vals[2].Shape()[0]
	out := op.out.get(op.shape...)
	r := Float32s(out)
	switch op.Which {
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
