package models

import (
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// bnStats are one BatchNorm layer's running statistics. The training and
// evaluation graphs share them by pointer: training updates them, the
// evaluation graph only reads them, so neither disturbs the other (unlike
// Gorgonia's own BatchNormOp, whose state a new machine resets).
type bnStats struct {
	mean, vari []float32
	momentum   float32 // PyTorch's momentum: 0.1
	eps        float32 // 1e-5
}

// bnOp normalises x [N,C,H,W] (or [N,C]) per channel, scales by gamma and
// shifts by beta, optionally followed by ReLU (fused: one pass, no
// intermediate tensor). In training it uses batch statistics and updates
// the running ones; in evaluation it uses the running ones.
type bnOp struct {
	opBase
	st     *bnStats
	train  bool
	relu   bool
	out    buf
	xhat   []float32
	invstd []float32
}

func (op *bnOp) Arity() int    { return 3 }
func (op *bnOp) Type() hm.Type { return fnType(4, 4, 1, 1) }

// InferShape implements G.Op.
func (op *bnOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	return s.Clone(), err
}

func dims(s tensor.Shape) (n, c, hw int) {
	n, c, hw = s[0], s[1], 1
	for _, d := range s[2:] {
		hw *= d
	}
	return
}

// Do implements G.Op.
func (op *bnOp) Do(vals ...G.Value) (G.Value, error) {
	s := vals[0].Shape()
	n, c, hw := dims(s)
	out := op.out.get(s...)
	x, gamma, beta, y := f32(vals[0]), f32(vals[1]), f32(vals[2]), f32(out)
	m := n * hw
	if op.train {
		if len(op.xhat) != len(x) {
			op.xhat = make([]float32, len(x))
			op.invstd = make([]float32, c)
		}
	}
	parallel(c, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var mean, inv float32
			if op.train {
				var sum, sq float64
				for i := 0; i < n; i++ {
					for _, v := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
						sum += float64(v)
						sq += float64(v) * float64(v)
					}
				}
				mu := sum / float64(m)
				va := math.Max(sq/float64(m)-mu*mu, 0)
				mean, inv = float32(mu), float32(1/math.Sqrt(va+float64(op.st.eps)))
				op.invstd[ch] = inv
				mo := op.st.momentum
				unbiased := va
				if m > 1 {
					unbiased = va * float64(m) / float64(m-1)
				}
				op.st.mean[ch] = (1-mo)*op.st.mean[ch] + mo*mean
				op.st.vari[ch] = (1-mo)*op.st.vari[ch] + mo*float32(unbiased)
			} else {
				mean = op.st.mean[ch]
				inv = float32(1 / math.Sqrt(float64(op.st.vari[ch])+float64(op.st.eps)))
			}
			g, b := gamma[ch], beta[ch]
			for i := 0; i < n; i++ {
				off := (i*c + ch) * hw
				xs, ys := x[off:off+hw], y[off:off+hw]
				for j, v := range xs {
					h := (v - mean) * inv
					if op.train {
						op.xhat[off+j] = h
					}
					o := g*h + b
					if op.relu && o < 0 {
						o = 0
					}
					ys[j] = o
				}
			}
		}
	})
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *bnOp) DiffWRT(int) []bool { return []bool{true, true, true} }

// SymDiff implements G.SDOp.
func (op *bnOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&bnGradOp{opBase: newBase("bnDx"), f: op, which: 0, shape: in[0].Shape().Clone()}, in[1], in[2], grad)
	if err != nil {
		return nil, err
	}
	dg, err := G.ApplyOp(&bnGradOp{opBase: newBase("bnDgamma"), f: op, which: 1, shape: in[1].Shape().Clone()}, in[1], in[2], grad)
	if err != nil {
		return nil, err
	}
	db, err := G.ApplyOp(&bnGradOp{opBase: newBase("bnDbeta"), f: op, which: 2, shape: in[2].Shape().Clone()}, in[1], in[2], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dg, db}, nil
}

// bnGradOp computes one of the three gradients of a training-mode bnOp
// from its cached normalised input: which 0 is dx, 1 dgamma, 2 dbeta. The
// fused ReLU's mask is recomputed from gamma·x̂+beta.
type bnGradOp struct {
	opBase
	f     *bnOp
	which int
	shape tensor.Shape
	out   buf
}

func (op *bnGradOp) Arity() int { return 3 }

// Type implements G.Op.
func (op *bnGradOp) Type() hm.Type {
	if op.which == 0 {
		return fnType(4, 1, 1, 4)
	}
	return fnType(1, 1, 1, 4)
}

// InferShape implements G.Op.
func (op *bnGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }

// Do implements G.Op.
func (op *bnGradOp) Do(vals ...G.Value) (G.Value, error) {
	gamma, beta, dy := f32(vals[0]), f32(vals[1]), f32(vals[2])
	n, c, hw := dims(vals[2].Shape())
	out := op.out.get(op.shape...)
	o := f32(out)
	xh, relu := op.f.xhat, op.f.relu
	m := float32(n * hw)
	parallel(c, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			g, b := gamma[ch], beta[ch]
			var sdy, sdyx float32
			for i := 0; i < n; i++ {
				off := (i*c + ch) * hw
				for j := off; j < off+hw; j++ {
					d := dy[j]
					if relu && g*xh[j]+b <= 0 {
						continue
					}
					sdy += d
					sdyx += d * xh[j]
				}
			}
			switch op.which {
			case 1:
				o[ch] = sdyx
			case 2:
				o[ch] = sdy
			default:
				k := g * op.f.invstd[ch] / m
				for i := 0; i < n; i++ {
					off := (i*c + ch) * hw
					for j := off; j < off+hw; j++ {
						d := dy[j]
						if relu && g*xh[j]+b <= 0 {
							d = 0
						}
						o[j] = k * (m*d - sdy - xh[j]*sdyx)
					}
				}
			}
		}
	})
	return out, nil
}
