package ops

import (
	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LossFunc computes a loss from logits [n, k] (row-major) and writes its
// gradient with respect to the logits into grad. The training package
// supplies it; the graph only carries it.
type LossFunc func(logits []float32, n, k int, grad []float32) float64

// LossOp turns logits into a scalar loss through a LossFunc, which can be
// swapped between two steps without rebuilding the graph.
type LossOp struct {
	opBase
	Fn   *LossFunc
	grad []float32
	Last float64
}

// Arity implements G.Op.
func (op *LossOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *LossOp) Type() hm.Type { return fnType(0, 2) }

// InferShape implements G.Op.
func (op *LossOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return tensor.ScalarShape(), nil }

// Do implements G.Op.
func (op *LossOp) Do(vals ...G.Value) (G.Value, error) {
	s := vals[0].Shape()
	x := Float32s(vals[0])
	if len(op.grad) != len(x) {
		op.grad = make([]float32, len(x))
	}
	clear(op.grad)
	op.Last = (*op.Fn)(x, s[0], s[1], op.grad)
	return G.NewF32(float32(op.Last)), nil
}

// DiffWRT implements G.SDOp.
func (op *LossOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff implements G.SDOp.
func (op *LossOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&LossDxOp{opBase: newBase("lossDx"), f: op, shape: in[0].Shape().Clone()}, grad)
	return G.Nodes{dx}, err
}

// LossDxOp hands back the gradient the LossFunc wrote, scaled by the
// incoming scalar gradient.
type LossDxOp struct {
	opBase
	f     *LossOp
	shape tensor.Shape
	out   buf
}

// Arity implements G.Op.
func (op *LossDxOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *LossDxOp) Type() hm.Type { return fnType(2, 0) }

// InferShape implements G.Op.
func (op *LossDxOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }

// Do implements G.Op.
func (op *LossDxOp) Do(vals ...G.Value) (G.Value, error) {
	g := scalarOf(vals[0])
	out := op.out.raw(op.shape...)
	d := Float32s(out)
	for i, v := range op.f.grad {
		d[i] = v * g
	}
	return out, nil
}
