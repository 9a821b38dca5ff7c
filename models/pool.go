package models

import (
	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// maxPool2Op is 2×2 max pooling with stride 2 on [N,C,H,W]. Its forward
// pass is branch-free; the backward pass routes each gradient to the first
// input equal to the window's maximum.
type maxPool2Op struct {
	opBase
	arena *gradArena // lends the backward pass's dx buffers (nil: its own)
	src   *bnOp      // a virtual BatchNorm layer whose output x is (see conv2dOp.src)
	// virtual: the output is never written; its readers (convolutions)
	// pool the input themselves (see planMemory). h, w: the input's size.
	virtual bool
	h, w    int
	view    lent
	out     buf
	x, y    []float32 // the last training input and output: the backward pass finds each maximum again
}

// Arity implements G.Op.
func (op *maxPool2Op) Arity() int { return 1 }

// Type implements G.Op.
func (op *maxPool2Op) Type() hm.Type { return fnType(4, 4) }

// InferShape implements G.Op.
func (op *maxPool2Op) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{s[0], s[1], s[2] / 2, s[3] / 2}, nil
}

// Do implements G.Op.
func (op *maxPool2Op) Do(vals ...G.Value) (G.Value, error) {
	s := vals[0].Shape()
	n, c, h, w := s[0], s[1], s[2], s[3]
	ho, wo := h/2, w/2
	op.h, op.w = h, w
	if op.virtual {
		// A header of the right shape over memory nobody reads through.
		op.x, op.y = f32(vals[0]), nil
		return op.view.over(op.x[:n*c*ho*wo], n, c, ho, wo), nil
	}
	out := op.out.raw(n, c, ho, wo)
	x, y := f32(vals[0]), f32(out)
	op.x, op.y = x, y
	virtual := op.src != nil && op.src.virtual
	parallel(n*c, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			in, o := x[p*h*w:(p+1)*h*w], y[p*ho*wo:(p+1)*ho*wo]
			if virtual {
				ch := p % c
				kPool(o, in, h, w, true, op.src.scale[ch], op.src.shift[ch], op.src.relu)
			} else {
				kPool(o, in, h, w, false, 1, 0, false)
			}
		}
	})
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *maxPool2Op) DiffWRT(int) []bool { return []bool{true} }

// SymDiff implements G.SDOp.
func (op *maxPool2Op) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	op.arena.expect(in[0].Shape().TotalSize())
	dx, err := G.ApplyOp(&scatterOp{opBase: newBase("maxPoolDx"), f: op, shape: in[0].Shape().Clone()}, grad)
	return G.Nodes{dx}, err
}

// scatterOp routes each output gradient of a max pool to the input that
// was the maximum.
type scatterOp struct {
	opBase
	f     *maxPool2Op
	shape tensor.Shape
	out   lent
	// fused: the layer below reads this op's input g itself (see
	// bnOp.gradScatter), so Do writes nothing and returns a header over
	// the pool's input, which that layer's dx then overwrites.
	fused bool
	g     []float32
}

// Arity implements G.Op.
func (op *scatterOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *scatterOp) Type() hm.Type { return fnType(4, 4) }

// InferShape implements G.Op.
func (op *scatterOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }

// Do implements G.Op.
func (op *scatterOp) Do(vals ...G.Value) (G.Value, error) {
	if op.fused {
		op.g = f32(vals[0])
		return op.out.over(op.f.x[:op.shape.TotalSize()], op.shape...), nil
	}
	out := op.out.from(op.f.arena, op.shape...)
	dy, dx := f32(vals[0]), f32(out)
	n, c, h, w := op.shape[0], op.shape[1], op.shape[2], op.shape[3]
	if h%2 != 0 || w%2 != 0 {
		clear(dx) // the scatter leaves the odd row or column alone
	}
	ho, wo := h/2, w/2
	x, y := op.f.x, op.f.y
	src := op.f.src
	if src != nil && !src.virtual {
		src = nil
	}
	parallel(n*c, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			mode := scatterStored
			if src != nil {
				mode = scatterMax
				if src.scale[p%c] < 0 {
					mode = scatterMin
				}
			}
			kScatter(dx[p*h*w:(p+1)*h*w], dy[p*ho*wo:(p+1)*ho*wo], x[p*h*w:(p+1)*h*w], y[p*ho*wo:(p+1)*ho*wo], h, w, mode)
		}
	})
	// The pool's output has one reader, so its gradient has one too: this.
	op.f.arena.give(dy)
	return out, nil
}

// gapOp is global average pooling: [N,C,H,W] to [N,C].
type gapOp struct {
	opBase
	out buf
}

// Arity implements G.Op.
func (op *gapOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *gapOp) Type() hm.Type { return fnType(2, 4) }

// InferShape implements G.Op.
func (op *gapOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{s[0], s[1]}, nil
}

// Do implements G.Op.
func (op *gapOp) Do(vals ...G.Value) (G.Value, error) {
	n, c, hw := dims(vals[0].Shape())
	out := op.out.raw(n, c)
	x, y := f32(vals[0]), f32(out)
	for p := 0; p < n*c; p++ {
		var s float32
		for _, v := range x[p*hw : (p+1)*hw] {
			s += v
		}
		y[p] = s / float32(hw)
	}
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *gapOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff implements G.SDOp.
func (op *gapOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&gapDxOp{opBase: newBase("gapDx"), shape: in[0].Shape().Clone()}, grad)
	return G.Nodes{dx}, err
}

// gapDxOp spreads each gradient evenly over the pooled positions.
type gapDxOp struct {
	opBase
	shape tensor.Shape
	out   buf
}

// Arity implements G.Op.
func (op *gapDxOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *gapDxOp) Type() hm.Type { return fnType(4, 2) }

// InferShape implements G.Op.
func (op *gapDxOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }

// Do implements G.Op.
func (op *gapDxOp) Do(vals ...G.Value) (G.Value, error) {
	n, c, hw := dims(op.shape)
	out := op.out.raw(op.shape...)
	dy, dx := f32(vals[0]), f32(out)
	for p := 0; p < n*c; p++ {
		v := dy[p] / float32(hw)
		d := dx[p*hw : (p+1)*hw]
		for j := range d {
			d[j] = v
		}
	}
	return out, nil
}
