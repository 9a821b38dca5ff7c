package ops

import (
	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
)

// AddOp adds two tensors of the same shape (the residual connection). Its
// gradient hands each input its own copy of the incoming gradient: with
// Gorgonia's Add both inputs share one gradient node, which its in-place
// gradient accumulation can then overwrite while the other branch still
// needs it.
type AddOp struct {
	opBase
	sameShape
	rank int
	out  buf
}

// Arity implements G.Op.
func (op *AddOp) Arity() int { return 2 }

// Type implements G.Op.
func (op *AddOp) Type() hm.Type { return fnType(op.rank, op.rank, op.rank) }

// Do implements G.Op.
func (op *AddOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.out.raw(vals[0].Shape()...)
	a, b, y := Float32s(vals[0]), Float32s(vals[1]), Float32s(out)
	for i := range y {
		y[i] = a[i] + b[i]
	}
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *AddOp) DiffWRT(int) []bool { return []bool{true, true} }

// SymDiff implements G.SDOp.
func (op *AddOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	da, err := G.ApplyOp(&CopyOp{opBase: newBase("addDa"), rank: op.rank}, grad)
	if err != nil {
		return nil, err
	}
	db, err := G.ApplyOp(&CopyOp{opBase: newBase("addDb"), rank: op.rank}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{da, db}, nil
}

// CopyOp copies its input into a buffer of its own.
type CopyOp struct {
	opBase
	sameShape
	rank int
	out  buf
}

// Arity implements G.Op.
func (op *CopyOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *CopyOp) Type() hm.Type { return fnType(op.rank, op.rank) }

// Do implements G.Op.
func (op *CopyOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.out.raw(vals[0].Shape()...)
	copy(Float32s(out), Float32s(vals[0]))
	return out, nil
}
