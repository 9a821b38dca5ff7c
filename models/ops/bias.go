package ops

import (
	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ChanBiasOp adds a per-channel bias to [N,C,H,W], optionally followed by
// ReLU (fused).
type ChanBiasOp struct {
	opBase
	sameShape
	ReLU bool
	out  buf
	// The gradient, computed once per step by whichever of the two
	// gradient ops runs first: dx (dy masked by the ReLU) and its sum per
	// plane (dbias adds the planes of a channel).
	gen, gradGen int
	dx           buf
	planeSums    []float32
}

// Arity implements G.Op.
func (op *ChanBiasOp) Arity() int { return 2 }

// Type implements G.Op.
func (op *ChanBiasOp) Type() hm.Type { return fnType(4, 4, 1) }

// Do implements G.Op.
func (op *ChanBiasOp) Do(vals ...G.Value) (G.Value, error) {
	s := vals[0].Shape()
	n, c, hw := dims(s)
	out := op.out.raw(s...)
	x, b, y := Float32s(vals[0]), Float32s(vals[1]), Float32s(out)
	op.gen++
	parallel(n*c, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			// 1·v + b is exactly v + b.
			kAffine(y[p*hw:(p+1)*hw], x[p*hw:(p+1)*hw], 1, b[p%c], op.ReLU)
		}
	})
	return out, nil
}

// grads computes dx and the per-plane sums of dy·mask, once per step.
func (op *ChanBiasOp) grads(x, b, dy []float32, shape tensor.Shape) {
	if op.gradGen == op.gen && op.dx.t != nil {
		return
	}
	n, c, hw := dims(shape)
	r := Float32s(op.dx.raw(shape...))
	if len(op.planeSums) != n*c {
		op.planeSums = make([]float32, n*c)
	}
	parallel(n*c, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			d, rs := dy[p*hw:(p+1)*hw], r[p*hw:(p+1)*hw]
			if op.ReLU {
				// dy masked by the pre-activation 1·x + b, written into
				// dx and summed as it goes.
				op.planeSums[p], _ = kSumsAct(rs, d, x[p*hw:(p+1)*hw], 1, b[p%c], 0)
			} else {
				copy(rs, d)
				op.planeSums[p], _ = kSumSq(rs)
			}
		}
	})
	op.gradGen = op.gen
}

// DiffWRT implements G.SDOp.
func (op *ChanBiasOp) DiffWRT(int) []bool { return []bool{true, true} }

// SymDiff implements G.SDOp.
func (op *ChanBiasOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&ChanBiasGradOp{opBase: newBase("biasDx"), Fwd: op, Which: 0, shape: in[0].Shape().Clone()}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	db, err := G.ApplyOp(&ChanBiasGradOp{opBase: newBase("biasDb"), Fwd: op, Which: 1, shape: in[1].Shape().Clone()}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, db}, nil
}

// ChanBiasGradOp is dx (which 0) or dbias (which 1) of a ChanBiasOp.
type ChanBiasGradOp struct {
	opBase
	Fwd   *ChanBiasOp
	Which int
	shape tensor.Shape
	out   buf
}

// Arity implements G.Op.
func (op *ChanBiasGradOp) Arity() int { return 3 }

// Type implements G.Op.
func (op *ChanBiasGradOp) Type() hm.Type {
	if op.Which == 0 {
		return fnType(4, 4, 1, 4)
	}
	return fnType(1, 4, 1, 4)
}

// InferShape implements G.Op.
func (op *ChanBiasGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.shape.Clone(), nil
}

// Do implements G.Op.
func (op *ChanBiasGradOp) Do(vals ...G.Value) (G.Value, error) {
	n, c, _ := dims(vals[0].Shape())
	x, b, dy := Float32s(vals[0]), Float32s(vals[1]), Float32s(vals[2])
	op.Fwd.grads(x, b, dy, vals[0].Shape())
	if op.Which == 0 {
		return op.Fwd.dx.t, nil
	}
	// dbias: the planes' sums added per channel in a fixed order.
	out := op.out.get(op.shape...)
	r := Float32s(out)
	for p := 0; p < n*c; p++ {
		r[p%c] += op.Fwd.planeSums[p]
	}
	return out, nil
}

// step is 1 for t > 0 and 0 otherwise, without a branch (t·1e38
// saturates for any normal t).
func step(t float32) float32 { return min(max(t*1e38, 0), 1) }
