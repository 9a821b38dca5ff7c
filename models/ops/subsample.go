package ops

import (
	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// SubsampleOp keeps every second row and column of [N,C,H,W], from the
// first: [N,C,⌈H/2⌉,⌈W/2⌉]. After a stride-1 "same" convolution it gives
// that convolution with stride 2 (PyTorch's Conv2d(k, stride=2,
// padding=k/2): its output at i is the stride-1 one at 2i), and before a
// 1×1 convolution the same; torchvision's ResNets downsample so. The
// stride-1 convolution computes four times the outputs it keeps: its
// im2col and Winograd kernels stay as they are (NOTES.md, thirty-fourth
// session).
type SubsampleOp struct {
	opBase
	out buf
}

// subsampled is the size a subsample keeps of n.
func subsampled(n int) int { return (n + 1) / 2 }

// Arity implements G.Op.
func (op *SubsampleOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *SubsampleOp) Type() hm.Type { return fnType(4, 4) }

// InferShape implements G.Op.
func (op *SubsampleOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{s[0], s[1], subsampled(s[2]), subsampled(s[3])}, nil
}

// Do implements G.Op.
func (op *SubsampleOp) Do(vals ...G.Value) (G.Value, error) {
	s := vals[0].Shape()
	n, c, h, w := s[0], s[1], s[2], s[3]
	ho, wo := subsampled(h), subsampled(w)
	out := op.out.raw(n, c, ho, wo)
	x, y := Float32s(vals[0]), Float32s(out)
	parallel(n*c, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			in, o := x[p*h*w:(p+1)*h*w], y[p*ho*wo:(p+1)*ho*wo]
			for i := range ho {
				row, orow := in[2*i*w:], o[i*wo:(i+1)*wo]
				for j := range orow {
					orow[j] = row[2*j]
				}
			}
		}
	})
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *SubsampleOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff implements G.SDOp.
func (op *SubsampleOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&SubsampleDxOp{opBase: newBase("subsampleDx"), shape: in[0].Shape().Clone()}, grad)
	return G.Nodes{dx}, err
}

// SubsampleDxOp puts each gradient back where its value was kept, and 0
// at the rows and columns the subsample passed over.
type SubsampleDxOp struct {
	opBase
	shape tensor.Shape
	out   buf
}

// Arity implements G.Op.
func (op *SubsampleDxOp) Arity() int { return 1 }

// Type implements G.Op.
func (op *SubsampleDxOp) Type() hm.Type { return fnType(4, 4) }

// InferShape implements G.Op.
func (op *SubsampleDxOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.shape.Clone(), nil
}

// Do implements G.Op.
func (op *SubsampleDxOp) Do(vals ...G.Value) (G.Value, error) {
	n, c, h, w := op.shape[0], op.shape[1], op.shape[2], op.shape[3]
	ho, wo := subsampled(h), subsampled(w)
	out := op.out.raw(op.shape...)
	dy, dx := Float32s(vals[0]), Float32s(out)
	parallel(n*c, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			d, g := dx[p*h*w:(p+1)*h*w], dy[p*ho*wo:(p+1)*ho*wo]
			clear(d)
			for i := range ho {
				row, grow := d[2*i*w:], g[i*wo:(i+1)*wo]
				for j, v := range grow {
					row[2*j] = v
				}
			}
		}
	})
	return out, nil
}
