package ops

import (
	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
)

// ReLUOp is max(0, x) for any shape.
type ReLUOp struct {
	opBase
	sameShape
	rank int
	out  buf
}

// Arity implements G.Op.
func (op *ReLUOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *ReLUOp) Type() hm.Type { return fnType(op.rank, op.rank) }

// Do implements G.Op.
func (op *ReLUOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.out.raw(vals[0].Shape()...)
	x, y := Float32s(vals[0]), Float32s(out)
	for i, v := range x {
		y[i] = max(v, 0)
	}
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *ReLUOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff implements G.SDOp.
func (op *ReLUOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&MaskGradOp{opBase: newBase("reluDx"), rank: op.rank}, in[0], grad)
	return G.Nodes{dx}, err
}

// MaskGradOp passes dy where x > 0.
type MaskGradOp struct {
	opBase
	sameShape
	rank int
	out  buf
}

// Arity implements G.Op.
func (op *MaskGradOp) Arity() int { return 2 }

// Type implements G.Op.
func (op *MaskGradOp) Type() hm.Type { return fnType(op.rank, op.rank, op.rank) }

// Do implements G.Op.
func (op *MaskGradOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.out.raw(vals[0].Shape()...)
	x, dy, dx := Float32s(vals[0]), Float32s(vals[1]), Float32s(out)
	for i, v := range x {
		dx[i] = dy[i] * step(v)
	}
	return out, nil
}

// DropoutOp zeroes each input with probability p and scales the rest by
// 1/(1−p) in training (Gorgonia's own Dropout divides by p, which is wrong
// unless p = 0.5, and seeds from the clock); in evaluation it is the
// identity. Its masks come from its seed and the number of masks drawn
// (DropMask), so a run repeats and the GPU draws the same masks.
type DropoutOp struct {
	opBase
	sameShape
	P     float64
	Train bool
	rank  int
	seed  uint64
	draws uint64 // masks drawn so far
	Mask  []float32
	out   buf
}

// NextKey is the key of the op's next mask (DropMask), and counts it as
// drawn: the GPU draws the mask itself from it.
func (op *DropoutOp) NextKey() uint64 {
	k := DropKey(op.seed, op.draws)
	op.draws++
	return k
}

// Arity implements G.Op.
func (op *DropoutOp) Arity() int { return 1 }

// Draw fills the mask for n values with the op's next mask: 0 for a
// dropped value, 1/(1−p) for a kept one (the GPU engine draws the same).
func (op *DropoutOp) Draw(n int) {
	if len(op.Mask) != n {
		op.Mask = make([]float32, n)
	}
	DropMask(op.Mask, op.P, op.NextKey())
}

// Type implements G.Op.
func (op *DropoutOp) Type() hm.Type { return fnType(op.rank, op.rank) }

// Do implements G.Op.
func (op *DropoutOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.out.raw(vals[0].Shape()...)
	x, y := Float32s(vals[0]), Float32s(out)
	if !op.Train || op.P <= 0 {
		copy(y, x)
		return out, nil
	}
	op.Draw(len(x))
	for i, v := range x {
		y[i] = v * op.Mask[i]
	}
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *DropoutOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff implements G.SDOp.
func (op *DropoutOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&DropDxOp{opBase: newBase("dropoutDx"), Fwd: op}, grad)
	return G.Nodes{dx}, err
}

// DropDxOp multiplies the gradient by the forward pass's mask.
type DropDxOp struct {
	opBase
	sameShape
	Fwd *DropoutOp
	out buf
}

// Arity implements G.Op.
func (op *DropDxOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *DropDxOp) Type() hm.Type { return fnType(op.Fwd.rank, op.Fwd.rank) }

// Do implements G.Op.
func (op *DropDxOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.out.raw(vals[0].Shape()...)
	dy, dx := Float32s(vals[0]), Float32s(out)
	if !op.Fwd.Train || op.Fwd.P <= 0 {
		copy(dx, dy)
		return out, nil
	}
	for i, v := range dy {
		dx[i] = v * op.Fwd.Mask[i]
	}
	return out, nil
}
