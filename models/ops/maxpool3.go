package ops

import (
	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MaxPool3Op is 3×3 max pooling with stride 2 and padding 1 on [N,C,H,W]
// (to [N,C,⌈H/2⌉,⌈W/2⌉]): torchvision's ResNets pool so after their
// first convolution. A window's maximum is its first largest value in
// row order, as PyTorch's CPU kernel takes it, and a NaN wins, as there;
// its place is kept for the backward pass.
type MaxPool3Op struct {
	opBase
	out buf
	arg []int32 // per output: where in its input plane the maximum was
	h   int
	w   int
}

// Arity implements G.Op.
func (op *MaxPool3Op) Arity() int { return 1 }

// Type implements G.Op.
func (op *MaxPool3Op) Type() hm.Type { return fnType(4, 4) }

// InferShape implements G.Op.
func (op *MaxPool3Op) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{s[0], s[1], subsampled(s[2]), subsampled(s[3])}, nil
}

// Do implements G.Op.
func (op *MaxPool3Op) Do(vals ...G.Value) (G.Value, error) {
	s := vals[0].Shape()
	n, c, h, w := s[0], s[1], s[2], s[3]
	ho, wo := subsampled(h), subsampled(w)
	out := op.out.raw(n, c, ho, wo)
	x, y := Float32s(vals[0]), Float32s(out)
	op.h, op.w = h, w
	if cap(op.arg) < len(y) {
		op.arg = make([]int32, len(y))
	}
	op.arg = op.arg[:len(y)]
	parallel(n*c, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			in, o, arg := x[p*h*w:(p+1)*h*w], y[p*ho*wo:(p+1)*ho*wo], op.arg[p*ho*wo:(p+1)*ho*wo]
			for i := range ho {
				r0, r1 := max(2*i-1, 0), min(2*i+2, h)
				for j := range wo {
					c0, c1 := max(2*j-1, 0), min(2*j+2, w)
					at := r0*w + c0
					m := in[at]
					for r := r0; r < r1; r++ {
						for q := c0; q < c1; q++ {
							if v := in[r*w+q]; v > m || (v != v && m == m) { // a NaN, once taken, stays
								m, at = v, r*w+q
							}
						}
					}
					o[i*wo+j], arg[i*wo+j] = m, int32(at)
				}
			}
		}
	})
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *MaxPool3Op) DiffWRT(int) []bool { return []bool{true} }

// SymDiff implements G.SDOp.
func (op *MaxPool3Op) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&MaxPool3DxOp{opBase: newBase("maxpool3Dx"), Fwd: op, shape: in[0].Shape().Clone()}, grad)
	return G.Nodes{dx}, err
}

// MaxPool3DxOp adds each output gradient of a MaxPool3Op to the input that
// was its window's maximum (windows overlap: an input can take several).
type MaxPool3DxOp struct {
	opBase
	Fwd   *MaxPool3Op
	shape tensor.Shape
	out   buf
}

// Arity implements G.Op.
func (op *MaxPool3DxOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *MaxPool3DxOp) Type() hm.Type { return fnType(4, 4) }

// InferShape implements G.Op.
func (op *MaxPool3DxOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.shape.Clone(), nil
}

// Do implements G.Op.
func (op *MaxPool3DxOp) Do(vals ...G.Value) (G.Value, error) {
	n, c, h, w := op.shape[0], op.shape[1], op.shape[2], op.shape[3]
	plane, oplane := h*w, subsampled(h)*subsampled(w)
	out := op.out.raw(op.shape...)
	dy, dx := Float32s(vals[0]), Float32s(out)
	parallel(n*c, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			d := dx[p*plane : (p+1)*plane]
			clear(d)
			for k, g := range dy[p*oplane : (p+1)*oplane] {
				d[op.Fwd.arg[p*oplane+k]] += g
			}
		}
	})
	return out, nil
}
