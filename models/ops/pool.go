package ops

import (
	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MaxPool2Op is 2×2 max pooling with stride 2 on [N,C,H,W]. Its forward
// pass is branch-free; the backward pass routes each gradient to the first
// input equal to the window's maximum.
type MaxPool2Op struct {
	opBase
	arena *GradArena // lends the backward pass's dx buffers (nil: its own)
	src   *BNOp      // a virtual BatchNorm layer whose output x is (see Conv2dOp.src)
	// Virtual: the output is never written; its readers (convolutions)
	// pool the input themselves (see PlanMemory). h, w: the input's size.
	Virtual bool
	h, w    int
	view    lent
	out     buf
	x, y    []float32 // the last training input and output: the backward pass finds each maximum again
}

// Arity implements G.Op.
func (op *MaxPool2Op) Arity() int { return 1 }

// Type implements G.Op.
func (op *MaxPool2Op) Type() hm.Type { return fnType(4, 4) }

// InferShape implements G.Op.
func (op *MaxPool2Op) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{s[0], s[1], s[2] / 2, s[3] / 2}, nil
}

// Do implements G.Op.
func (op *MaxPool2Op) Do(vals ...G.Value) (G.Value, error) {
	s := vals[0].Shape()
	n, c, h, w := s[0], s[1], s[2], s[3]
	ho, wo := h/2, w/2
	op.h, op.w = h, w
	if op.Virtual {
		// A header of the right shape over memory nobody reads through.
		op.x, op.y = Float32s(vals[0]), nil
		return op.view.over(op.x[:n*c*ho*wo], n, c, ho, wo), nil
	}
	out := op.out.raw(n, c, ho, wo)
	x, y := Float32s(vals[0]), Float32s(out)
	op.x, op.y = x, y
	virtual := op.src != nil && op.src.Virtual
	parallel(n*c, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			in, o := x[p*h*w:(p+1)*h*w], y[p*ho*wo:(p+1)*ho*wo]
			if virtual {
				ch := p % c
				kPool(o, in, h, w, true, op.src.scale[ch], op.src.shift[ch], op.src.ReLU)
			} else {
				kPool(o, in, h, w, false, 1, 0, false)
			}
		}
	})
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *MaxPool2Op) DiffWRT(int) []bool { return []bool{true} }

// SymDiff implements G.SDOp.
func (op *MaxPool2Op) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	op.arena.expect(in[0].Shape().TotalSize())
	dx, err := G.ApplyOp(&ScatterOp{opBase: newBase("maxPoolDx"), Fwd: op, shape: in[0].Shape().Clone()}, grad)
	return G.Nodes{dx}, err
}

// ScatterOp routes each output gradient of a max pool to the input that
// was the maximum.
type ScatterOp struct {
	opBase
	Fwd   *MaxPool2Op
	shape tensor.Shape
	out   lent
	// Fused: the layer below reads this op's input g itself (see
	// BNOp.gradScatter), so Do writes nothing and returns a header over
	// the pool's input, which that layer's dx then overwrites.
	Fused bool
	g     []float32
}

// Arity implements G.Op.
func (op *ScatterOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *ScatterOp) Type() hm.Type { return fnType(4, 4) }

// InferShape implements G.Op.
func (op *ScatterOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }

// Do implements G.Op.
func (op *ScatterOp) Do(vals ...G.Value) (G.Value, error) {
	if op.Fused {
		op.g = Float32s(vals[0])
		return op.out.over(op.Fwd.x[:op.shape.TotalSize()], op.shape...), nil
	}
	out := op.out.from(op.Fwd.arena, op.shape...)
	dy, dx := Float32s(vals[0]), Float32s(out)
	n, c, h, w := op.shape[0], op.shape[1], op.shape[2], op.shape[3]
	if h%2 != 0 || w%2 != 0 {
		clear(dx) // the scatter leaves the odd row or column alone
	}
	ho, wo := h/2, w/2
	x, y := op.Fwd.x, op.Fwd.y
	src := op.Fwd.src
	if src != nil && !src.Virtual {
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
	op.Fwd.arena.give(dy)
	return out, nil
}

// GAPOp is global average pooling: [N,C,H,W] to [N,C].
type GAPOp struct {
	opBase
	out buf
}

// Arity implements G.Op.
func (op *GAPOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *GAPOp) Type() hm.Type { return fnType(2, 4) }

// InferShape implements G.Op.
func (op *GAPOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{s[0], s[1]}, nil
}

// Do implements G.Op.
func (op *GAPOp) Do(vals ...G.Value) (G.Value, error) {
	n, c, hw := dims(vals[0].Shape())
	out := op.out.raw(n, c)
	x, y := Float32s(vals[0]), Float32s(out)
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
func (op *GAPOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff implements G.SDOp.
func (op *GAPOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&GAPDxOp{opBase: newBase("gapDx"), OutShape: in[0].Shape().Clone()}, grad)
	return G.Nodes{dx}, err
}

// GAPDxOp spreads each gradient evenly over the pooled positions.
type GAPDxOp struct {
	opBase
	OutShape tensor.Shape
	out      buf
}

// Arity implements G.Op.
func (op *GAPDxOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *GAPDxOp) Type() hm.Type { return fnType(4, 2) }

// InferShape implements G.Op.
func (op *GAPDxOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.OutShape.Clone(), nil }

// Do implements G.Op.
func (op *GAPDxOp) Do(vals ...G.Value) (G.Value, error) {
	n, c, hw := dims(op.OutShape)
	out := op.out.raw(op.OutShape...)
	dy, dx := Float32s(vals[0]), Float32s(out)
	for p := 0; p < n*c; p++ {
		v := dy[p] / float32(hw)
		d := dx[p*hw : (p+1)*hw]
		for j := range d {
			d[j] = v
		}
	}
	return out, nil
}
