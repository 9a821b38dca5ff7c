package models

import (
	"math/rand/v2"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
)

// reluOp is max(0, x) for any shape.
type reluOp struct {
	opBase
	sameShape
	rank int
	out  buf
}

// Arity implements G.Op.
func (op *reluOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *reluOp) Type() hm.Type { return fnType(op.rank, op.rank) }

// Do implements G.Op.
func (op *reluOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.out.raw(vals[0].Shape()...)
	x, y := f32(vals[0]), f32(out)
	for i, v := range x {
		y[i] = max(v, 0)
	}
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *reluOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff implements G.SDOp.
func (op *reluOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&maskGradOp{opBase: newBase("reluDx"), rank: op.rank}, in[0], grad)
	return G.Nodes{dx}, err
}

// maskGradOp passes dy where x > 0.
type maskGradOp struct {
	opBase
	sameShape
	rank int
	out  buf
}

// Arity implements G.Op.
func (op *maskGradOp) Arity() int { return 2 }

// Type implements G.Op.
func (op *maskGradOp) Type() hm.Type { return fnType(op.rank, op.rank, op.rank) }

// Do implements G.Op.
func (op *maskGradOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.out.raw(vals[0].Shape()...)
	x, dy, dx := f32(vals[0]), f32(vals[1]), f32(out)
	for i, v := range x {
		dx[i] = dy[i] * step(v)
	}
	return out, nil
}

// dropoutOp zeroes each input with probability p and scales the rest by
// 1/(1−p) in training (Gorgonia's own Dropout divides by p, which is wrong
// unless p = 0.5, and seeds from the clock); in evaluation it is the
// identity. Its random source is seeded, so a run repeats.
type dropoutOp struct {
	opBase
	sameShape
	p     float64
	train bool
	rank  int
	rng   *rand.Rand
	mask  []float32
	out   buf
}

// Arity implements G.Op.
func (op *dropoutOp) Arity() int { return 1 }

// draw fills the mask for n values from the op's generator: 0 for a
// dropped value, 1/(1−p) for a kept one (the GPU engine draws the same).
func (op *dropoutOp) draw(n int) {
	if len(op.mask) != n {
		op.mask = make([]float32, n)
	}
	keep := float32(1 / (1 - op.p))
	for i := range op.mask {
		if op.rng.Float64() < op.p {
			op.mask[i] = 0
		} else {
			op.mask[i] = keep
		}
	}
}

// Type implements G.Op.
func (op *dropoutOp) Type() hm.Type { return fnType(op.rank, op.rank) }

// Do implements G.Op.
func (op *dropoutOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.out.raw(vals[0].Shape()...)
	x, y := f32(vals[0]), f32(out)
	if !op.train || op.p <= 0 {
		copy(y, x)
		return out, nil
	}
	op.draw(len(x))
	for i, v := range x {
		y[i] = v * op.mask[i]
	}
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *dropoutOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff implements G.SDOp.
func (op *dropoutOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&dropDxOp{opBase: newBase("dropoutDx"), f: op}, grad)
	return G.Nodes{dx}, err
}

// dropDxOp multiplies the gradient by the forward pass's mask.
type dropDxOp struct {
	opBase
	sameShape
	f   *dropoutOp
	out buf
}

// Arity implements G.Op.
func (op *dropDxOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *dropDxOp) Type() hm.Type { return fnType(op.f.rank, op.f.rank) }

// Do implements G.Op.
func (op *dropDxOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.out.raw(vals[0].Shape()...)
	dy, dx := f32(vals[0]), f32(out)
	if !op.f.train || op.f.p <= 0 {
		copy(dx, dy)
		return out, nil
	}
	for i, v := range dy {
		dx[i] = v * op.f.mask[i]
	}
	return out, nil
}
