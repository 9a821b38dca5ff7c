package models

import (
	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// chanBiasOp adds a per-channel bias to [N,C,H,W], optionally followed by
// ReLU (fused).
type chanBiasOp struct {
	opBase
	sameShape
	relu bool
	out  buf
}

// Arity implements G.Op.
func (op *chanBiasOp) Arity() int { return 2 }

// Type implements G.Op.
func (op *chanBiasOp) Type() hm.Type { return fnType(4, 4, 1) }

// Do implements G.Op.
func (op *chanBiasOp) Do(vals ...G.Value) (G.Value, error) {
	s := vals[0].Shape()
	n, c, hw := dims(s)
	out := op.out.raw(s...)
	x, b, y := f32(vals[0]), f32(vals[1]), f32(out)
	relu := op.relu
	parallel(n*c, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			bb := b[p%c]
			ys, xs := y[p*hw:(p+1)*hw], x[p*hw:(p+1)*hw]
			if relu {
				for j, v := range xs {
					ys[j] = max(v+bb, 0)
				}
			} else {
				for j, v := range xs {
					ys[j] = v + bb
				}
			}
		}
	})
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *chanBiasOp) DiffWRT(int) []bool { return []bool{true, true} }

// SymDiff implements G.SDOp.
func (op *chanBiasOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&chanBiasGradOp{opBase: newBase("biasDx"), f: op, which: 0, shape: in[0].Shape().Clone()}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	db, err := G.ApplyOp(&chanBiasGradOp{opBase: newBase("biasDb"), f: op, which: 1, shape: in[1].Shape().Clone()}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, db}, nil
}

// chanBiasGradOp is dx (which 0) or dbias (which 1) of a chanBiasOp.
type chanBiasGradOp struct {
	opBase
	f     *chanBiasOp
	which int
	shape tensor.Shape
	out   buf
}

// Arity implements G.Op.
func (op *chanBiasGradOp) Arity() int { return 3 }

// Type implements G.Op.
func (op *chanBiasGradOp) Type() hm.Type {
	if op.which == 0 {
		return fnType(4, 4, 1, 4)
	}
	return fnType(1, 4, 1, 4)
}

// InferShape implements G.Op.
func (op *chanBiasGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.shape.Clone(), nil
}

// Do implements G.Op.
func (op *chanBiasGradOp) Do(vals ...G.Value) (G.Value, error) {
	n, c, hw := dims(vals[0].Shape())
	x, b, dy := f32(vals[0]), f32(vals[1]), f32(vals[2])
	out := op.out.get(op.shape...)
	r := f32(out)
	relu := op.f.relu
	if op.which == 0 {
		parallel(n*c, func(lo, hi int) {
			for p := lo; p < hi; p++ {
				bb := b[p%c]
				d, xs, rs := dy[p*hw:(p+1)*hw], x[p*hw:(p+1)*hw], r[p*hw:(p+1)*hw]
				if !relu {
					copy(rs, d)
					continue
				}
				for j, v := range d {
					rs[j] = v * step(xs[j]+bb)
				}
			}
		})
		return out, nil
	}
	// dbias: per-chunk partial sums, added in a fixed order.
	parts := make([][]float32, chunks(n*c))
	parallelIdx(n*c, func(ch, lo, hi int) {
		acc := make([]float32, c)
		for p := lo; p < hi; p++ {
			bb := b[p%c]
			d, xs := dy[p*hw:(p+1)*hw], x[p*hw:(p+1)*hw]
			var s float32
			if relu {
				for j, v := range d {
					s += v * step(xs[j]+bb)
				}
			} else {
				for _, v := range d {
					s += v
				}
			}
			acc[p%c] += s
		}
		parts[ch] = acc
	})
	for _, acc := range parts {
		for j, v := range acc {
			r[j] += v
		}
	}
	return out, nil
}

// step is 1 for t > 0 and 0 otherwise, without a branch (t·1e38
// saturates for any normal t).
func step(t float32) float32 { return min(max(t*1e38, 0), 1) }
