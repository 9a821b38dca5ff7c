package models

import (
	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
)

// addOp adds two tensors of the same shape (the residual connection). Its
// gradient hands each input its own copy of the incoming gradient: with
// Gorgonia's Add both inputs share one gradient node, which its in-place
// gradient accumulation can then overwrite while the other branch still
// needs it.
type addOp struct {
	opBase
	sameShape
	rank int
	out  buf
}

// Arity implements G.Op.
func (op *addOp) Arity() int { return 2 }

// Type implements G.Op.
func (op *addOp) Type() hm.Type { return fnType(op.rank, op.rank, op.rank) }

// Do implements G.Op.
func (op *addOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.out.raw(vals[0].Shape()...)
	a, b, y := f32(vals[0]), f32(vals[1]), f32(out)
	for i := range y {
		y[i] = a[i] + b[i]
	}
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *addOp) DiffWRT(int) []bool { return []bool{true, true} }

// SymDiff implements G.SDOp.
func (op *addOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	da, err := G.ApplyOp(&copyOp{opBase: newBase("addDa"), rank: op.rank}, grad)
	if err != nil {
		return nil, err
	}
	db, err := G.ApplyOp(&copyOp{opBase: newBase("addDb"), rank: op.rank}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{da, db}, nil
}

// copyOp copies its input into a buffer of its own.
type copyOp struct {
	opBase
	sameShape
	rank int
	out  buf
}

// Arity implements G.Op.
func (op *copyOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *copyOp) Type() hm.Type { return fnType(op.rank, op.rank) }

// Do implements G.Op.
func (op *copyOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.out.raw(vals[0].Shape()...)
	copy(f32(out), f32(vals[0]))
	return out, nil
}
