package ops

import (
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BNStats are one BatchNorm layer's running statistics. The training and
// evaluation graphs share them by pointer: training updates them, the
// evaluation graph only reads them, so neither disturbs the other (unlike
// Gorgonia's own BatchNormOp, whose state a new machine resets).
type BNStats struct {
	Mean, Var []float32
	Momentum  float32 // PyTorch's momentum: 0.1
	Eps       float32 // 1e-5
}

// Fold adds one training batch's statistics of channel ch (mean, biased
// variance, over m values) to the running ones: PyTorch's rule, momentum
// on the new value, unbiased variance.
func (st *BNStats) Fold(ch int, mean float32, biasedVar float64, m int) {
	unbiased := biasedVar
	if m > 1 {
		unbiased = biasedVar * float64(m) / float64(m-1)
	}
	mo := st.Momentum
	st.Mean[ch] = (1-mo)*st.Mean[ch] + mo*mean
	st.Var[ch] = (1-mo)*st.Var[ch] + mo*float32(unbiased)
}

// InvStd is 1/√(running variance + ε) of channel ch, what evaluation
// divides by.
func (st *BNStats) InvStd(ch int) float32 {
	return float32(1 / math.Sqrt(float64(st.Var[ch])+float64(st.Eps)))
}

// BNOp normalises x [N,C,H,W] (or [N,C]) per channel, scales by gamma and
// shifts by beta, optionally followed by ReLU (fused: one pass, no
// intermediate tensor). In training it uses batch statistics and updates
// the running ones; in evaluation it uses the running ones.
type BNOp struct {
	opBase
	sameShape
	Stats  *BNStats
	Train  bool
	ReLU   bool
	out    buf
	x      []float32 // the last training input (x̂ is recomputed from it: no copy kept)
	mean   []float32 // its batch mean per channel
	invstd []float32
	gen    int       // forward passes so far
	sumGen int       // the pass the sums below belong to
	sdy    []float32 // per channel: Σ dy (after the ReLU mask)
	sdyx   []float32 // per channel: Σ dy·x̂
	y      []float32 // the last training output (the ReLU mask is y > 0); nil when virtual
	// scale and shift are the last training pass's per-channel transform:
	// y = max(scale·x + shift, 0) (no max without ReLU).
	scale, shift []float32
	// Virtual: the output is never written. Every reader is one of this
	// package's convolutions or max pools, which apply the transform to x
	// as they read it (see PlanMemory), so the layer keeps no output and
	// the forward pass writes one activation-sized tensor less.
	Virtual bool
	view    *tensor.Dense // virtual: the output value, a header over x
	// maskInDy: the sums write dy·mask back into dy (which only this
	// layer's gradient ops read), and dx reads it unmasked.
	maskInDy bool
	// gradScatter is the max-pool gradient op that gives this layer its
	// dy, if one does; pooled marks it fused (see PlanMemory): the layer's
	// gradient ops then read the pool's gradient and pick each window's
	// input themselves, and dx overwrites the layer's input x.
	gradScatter *ScatterOp
	pooled      bool
	picks       []uint8 // pooled: each window's picked input (2 bits), from the sums for dx
}

// actImage writes one image's output [C,HW] from its input into dst.
func (op *BNOp) actImage(x, dst []float32, c, hw int) {
	for ch := 0; ch < c; ch++ {
		kAffine(dst[ch*hw:(ch+1)*hw], x[ch*hw:(ch+1)*hw], op.scale[ch], op.shift[ch], op.ReLU)
	}
}

// sums computes the per-channel sums the three gradients share, once per
// forward pass (whichever gradient op runs first pays).
func (op *BNOp) sums(gamma, beta, dy []float32, n, c, hw int) {
	if op.sumGen == op.gen && len(op.sdy) == c {
		return
	}
	if len(op.sdy) != c {
		op.sdy, op.sdyx = make([]float32, c), make([]float32, c)
	}
	xs, relu, ys, mask := op.x, op.ReLU, op.y, op.maskInDy
	var h, w, hwo, pb int
	if op.pooled {
		h, w = op.gradScatter.shape[2], op.gradScatter.shape[3]
		hwo = (h / 2) * (w / 2)
		pb = (hwo + 3) / 4 // bytes of picks per plane
		if len(op.picks) != n*c*pb {
			op.picks = make([]uint8, n*c*pb)
		}
	}
	parallel(c, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var sdy, sdyx float32
			mu := op.mean[ch]
			for i := 0; i < n; i++ {
				off := (i*c + ch) * hw
				d, x := dy[off:off+hw], xs[off:off+hw]
				var a, b float32
				switch {
				case op.pooled:
					g := op.gradScatter.g[(i*c+ch)*hwo : (i*c+ch+1)*hwo]
					a, b = kSumsPooled(g, x, op.picks[(i*c+ch)*pb:(i*c+ch+1)*pb], h, w, op.scale[ch], op.shift[ch], mu, relu, true)
				case relu && op.Virtual:
					var to []float32 // nil: no write
					if mask {
						to = d
					}
					a, b = kSumsAct(to, d, x, op.scale[ch], op.shift[ch], mu)
				case relu:
					a, b = goSumsMasked(d, x, ys[off:off+hw], mu, mask)
				default:
					a, b = goSumsPlain(d, x, mu)
				}
				sdy += a
				sdyx += b
			}
			op.sdy[ch], op.sdyx[ch] = sdy, sdyx*op.invstd[ch]
		}
	})
	op.sumGen = op.gen
}

// Arity implements G.Op.
func (op *BNOp) Arity() int { return 3 }

// Type implements G.Op.
func (op *BNOp) Type() hm.Type { return fnType(4, 4, 1, 1) }

func dims(s tensor.Shape) (n, c, hw int) {
	n, c, hw = s[0], s[1], 1
	for _, d := range s[2:] {
		hw *= d
	}
	return
}

// Do implements G.Op.
func (op *BNOp) Do(vals ...G.Value) (G.Value, error) {
	s := vals[0].Shape()
	n, c, hw := dims(s)
	x, gamma, beta := Float32s(vals[0]), Float32s(vals[1]), Float32s(vals[2])
	var out *tensor.Dense
	if op.Virtual {
		if op.view == nil || !op.view.Shape().Eq(s) || &Float32s(op.view)[0] != &x[0] {
			op.view = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(s...), tensor.WithBacking(x))
		}
		out = op.view
	} else {
		out = op.out.raw(s...)
	}
	var y []float32
	if !op.Virtual {
		y = Float32s(out)
	}
	m := n * hw
	if op.Train {
		op.gen++
		op.y, op.x = y, x
		if len(op.invstd) != c {
			op.invstd, op.mean = make([]float32, c), make([]float32, c)
			op.scale, op.shift = make([]float32, c), make([]float32, c)
		}
	}
	parallel(c, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var mean, inv float32
			if op.Train {
				// Float32 sums per plane, float64 across planes: accurate
				// and fast.
				var sum, sq float64
				for i := 0; i < n; i++ {
					s, s2 := kSumSq(x[(i*c+ch)*hw : (i*c+ch+1)*hw])
					sum += float64(s)
					sq += float64(s2)
				}
				mu := sum / float64(m)
				va := math.Max(sq/float64(m)-mu*mu, 0)
				mean, inv = float32(mu), float32(1/math.Sqrt(va+float64(op.Stats.Eps)))
				op.invstd[ch], op.mean[ch] = inv, mean
				op.Stats.Fold(ch, mean, va, m)
			} else {
				mean, inv = op.Stats.Mean[ch], op.Stats.InvStd(ch)
			}
			g, b := gamma[ch], beta[ch]
			gi, bi := g*inv, b-g*inv*mean
			if op.Train {
				op.scale[ch], op.shift[ch] = gi, bi
			}
			if op.Virtual {
				continue
			}
			for i := 0; i < n; i++ {
				off := (i*c + ch) * hw
				xs, ys := x[off:off+hw], y[off:off+hw]
				kAffine(ys, xs, gi, bi, op.ReLU)
			}
		}
	})
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *BNOp) DiffWRT(int) []bool { return []bool{true, true, true} }

// SymDiff implements G.SDOp.
func (op *BNOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	// dx may overwrite dy when dy is one of this package's gradient
	// buffers that nothing else reads: a sum of several gradients (a
	// residual's) is a Gorgonia node, never one of these ops.
	var inplace bool
	switch sc := grad.Op().(type) {
	case *ConvDxOp:
		inplace = true
	case *ScatterOp:
		inplace = true
		op.gradScatter = sc
	}
	// Then the sums may also leave the ReLU-masked dy in dy, so that dx
	// need not mask again.
	op.maskInDy = inplace && op.ReLU
	dx, err := G.ApplyOp(&BNGradOp{opBase: newBase("bnDx"), Fwd: op, Which: 0, shape: in[0].Shape().Clone(), inplace: inplace}, in[1], in[2], grad)
	if err != nil {
		return nil, err
	}
	dg, err := G.ApplyOp(&BNGradOp{opBase: newBase("bnDgamma"), Fwd: op, Which: 1, shape: in[1].Shape().Clone()}, in[1], in[2], grad)
	if err != nil {
		return nil, err
	}
	db, err := G.ApplyOp(&BNGradOp{opBase: newBase("bnDbeta"), Fwd: op, Which: 2, shape: in[2].Shape().Clone()}, in[1], in[2], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dg, db}, nil
}

// BNGradOp computes one of the three gradients of a training-mode BNOp
// from its last input and batch statistics: which 0 is dx, 1 dgamma, 2
// dbeta. The fused ReLU's mask comes from the forward output (y > 0).
type BNGradOp struct {
	opBase
	Fwd   *BNOp
	Which int
	shape tensor.Shape
	out   buf
	// inplace: dx is written over dy (after the sums are taken), saving a
	// buffer the size of the layer's activations.
	inplace bool
}

// Arity implements G.Op.
func (op *BNGradOp) Arity() int { return 3 }

// Type implements G.Op.
func (op *BNGradOp) Type() hm.Type {
	if op.Which == 0 {
		return fnType(4, 1, 1, 4)
	}
	return fnType(1, 1, 1, 4)
}

// InferShape implements G.Op.
func (op *BNGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }

// Do implements G.Op.
func (op *BNGradOp) Do(vals ...G.Value) (G.Value, error) {
	gamma, beta, dy := Float32s(vals[0]), Float32s(vals[1]), Float32s(vals[2])
	n, c, hw := dims(vals[2].Shape())
	f := op.Fwd
	f.sums(gamma, beta, dy, n, c, hw)
	var out G.Value
	if op.Which == 0 && op.inplace {
		out = vals[2]
	} else {
		out = op.out.raw(op.shape...)
	}
	o := Float32s(out)
	switch op.Which {
	case 1:
		copy(o, f.sdyx)
		return out, nil
	case 2:
		copy(o, f.sdy)
		return out, nil
	}
	xs, relu := f.x, f.ReLU
	m := float32(n * hw)
	var h, w, hwo, pb int
	if f.pooled {
		h, w = f.gradScatter.shape[2], f.gradScatter.shape[3]
		hwo = (h / 2) * (w / 2)
		pb = (hwo + 3) / 4
	}
	parallel(c, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			g := gamma[ch]
			inv, mu := f.invstd[ch], f.mean[ch]
			sdy, sdyx := f.sdy[ch], f.sdyx[ch]
			k := g * inv / m
			// x̂·sdyx = (x − μ)·inv·sdyx: fold the constants.
			a, b := inv*sdyx, sdy-mu*inv*sdyx
			for i := 0; i < n; i++ {
				off := (i*c + ch) * hw
				d, x, r := dy[off:off+hw], xs[off:off+hw], o[off:off+hw]
				switch {
				case f.pooled:
					// o is x's own buffer here (the scatter's output is a
					// header over it): dx overwrites x.
					g := f.gradScatter.g[(i*c+ch)*hwo : (i*c+ch+1)*hwo]
					kDxPooled(r, g, x, f.picks[(i*c+ch)*pb:(i*c+ch+1)*pb], h, w, k, m, a, b)
				case !relu || f.maskInDy:
					// Without a ReLU, or dy already holds dy·mask (see sums).
					kDx(r, d, x, k, m, a, b)
				case f.Virtual:
					sc, sh := f.scale[ch], f.shift[ch]
					for j, v := range d {
						r[j] = k * (m*keepPos(v, float32(sc*x[j])+sh) - b - x[j]*a)
					}
				default:
					y := f.y[off : off+hw]
					for j, v := range d {
						r[j] = k * (m*keepPos(v, y[j]) - b - x[j]*a)
					}
				}
			}
		}
	})
	return out, nil
}
