package ops

import (
	"fmt"
	"slices"
	"sync"

	"github.com/chewxy/hm"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Conv2dOp is a stride-1 2-D convolution of x [N,C,H,W] with w [O,C,K,K]
// and zero padding, done as im2col and one matrix product per image.
type Conv2dOp struct {
	opBase
	K, Pad int
	// NoDx marks a convolution of the network's input: nothing needs the
	// gradient with respect to x, and Gorgonia would otherwise compute it
	// every step.
	NoDx bool
	// Arena lends the backward pass's dx buffers (nil: each op its own).
	Arena *GradArena
	// src is the virtual BatchNorm layer whose output is x (nil: x is
	// stored): x then holds its input, transformed image by image here.
	src *BNOp
	// srcPool is the virtual max pool whose output is x (nil: none): x is
	// then not written, and each image is pooled from the pool's input.
	srcPool *MaxPool2Op
	// outFree: the output's only reader is a training BatchNorm layer, so
	// once that layer's gradient is taken the buffer is dead, and this
	// convolution's dx (taken later) is written into it (see PlanMemory).
	outFree bool
	out     buf
	cols    freeList
	acts    sync.Pool // one image of src's output
	wu      []float32 // the kernel's Winograd transform (winograd.go)
}

func newConv2dOp(k, pad int) *Conv2dOp {
	return &Conv2dOp{opBase: newBase(fmt.Sprintf("conv%dx%d", k, k)), K: k, Pad: pad}
}

// Arity implements G.Op.
func (op *Conv2dOp) Arity() int { return 2 }

// Type implements G.Op.
func (op *Conv2dOp) Type() hm.Type { return fnType(4, 4, 4) }

func (op *Conv2dOp) outHW(h, w int) (int, int) {
	return h + 2*op.Pad - op.K + 1, w + 2*op.Pad - op.K + 1
}

// InferShape implements G.Op.
func (op *Conv2dOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	x, w, err := shapes2(in)
	if err != nil {
		return nil, err
	}
	if len(x) != 4 || len(w) != 4 || x[1] != w[1] {
		return nil, fmt.Errorf("conv: input %v does not fit kernel %v", x, w)
	}
	ho, wo := op.outHW(x[2], x[3])
	return tensor.Shape{x[0], w[0], ho, wo}, nil
}

// image returns image i of x [N,C,HW]: the stored values, or for a
// virtual source its output computed into scratch (*buf, from op.acts).
func (op *Conv2dOp) image(x []float32, i, c, hw int, scratch *[]float32) []float32 {
	pool := op.srcPool
	if (op.src == nil || !op.src.Virtual) && (pool == nil || !pool.Virtual) {
		return x[i*c*hw : (i+1)*c*hw]
	}
	if cap(*scratch) < c*hw {
		*scratch = make([]float32, c*hw)
	}
	*scratch = (*scratch)[:c*hw]
	if pool != nil && pool.Virtual {
		// The pool of a virtual layer's output, from that layer's input.
		bn, h, w := pool.src, pool.h, pool.w
		in := pool.x[i*c*h*w : (i+1)*c*h*w]
		for ch := 0; ch < c; ch++ {
			kPool((*scratch)[ch*hw:(ch+1)*hw], in[ch*h*w:(ch+1)*h*w], h, w, true, bn.scale[ch], bn.shift[ch], bn.ReLU)
		}
		return *scratch
	}
	op.src.actImage(x[i*c*hw:(i+1)*c*hw], *scratch, c, hw)
	return *scratch
}

// scratch takes an image buffer from op.acts (given back with putScratch).
func (op *Conv2dOp) scratch() *[]float32 {
	if s, ok := op.acts.Get().(*[]float32); ok {
		return s
	}
	return new([]float32)
}

// Do implements G.Op.
func (op *Conv2dOp) Do(vals ...G.Value) (G.Value, error) {
	xs, ws := vals[0].Shape(), vals[1].Shape()
	n, c, h, w := xs[0], xs[1], xs[2], xs[3]
	o := ws[0]
	ho, wo := op.outHW(h, w)
	out := op.out.raw(n, o, ho, wo)
	x, wt, y := Float32s(vals[0]), Float32s(vals[1]), Float32s(out)
	if op.winograd(c, h, w, ho, wo) {
		if len(op.wu) != 16*o*c {
			op.wu = make([]float32, 16*o*c)
		}
		winoKernel(op.wu, wt, o, c)
		parallel(n, func(lo, hi int) {
			s := op.scratch()
			for i := lo; i < hi; i++ {
				winoForward(y[i*o*h*w:(i+1)*o*h*w], op.image(x, i, c, h*w, s), op.wu, c, o, h, w)
			}
			op.acts.Put(s)
		})
		return out, nil
	}
	kk := c * op.K * op.K
	parallel(n, func(lo, hi int) {
		ld := colStride(ho * wo)
		col, s := op.cols.take(kk*ld), op.scratch()
		for i := lo; i < hi; i++ {
			im2col(op.image(x, i, c, h*w, s), col, c, h, w, op.K, op.Pad, ho, wo, ld)
			sgemmLdb(false, false, o, ho*wo, kk, 1, wt, col, ld, 0, y[i*o*ho*wo:(i+1)*o*ho*wo])
		}
		op.cols.give(col)
		op.acts.Put(s)
	})
	return out, nil
}

// DiffWRT implements G.SDOp.
func (op *Conv2dOp) DiffWRT(int) []bool { return []bool{!op.NoDx, true} }

// same reports whether the convolution keeps the image size ("same"
// padding), where the backward pass is one im2col of dy for both gradients.
func (op *Conv2dOp) same() bool { return 2*op.Pad == op.K-1 }

// SymDiff implements G.SDOp.
func (op *Conv2dOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dwOp := &ConvDwOp{opBase: newBase("convDw"), Fwd: op}
	if op.NoDx || !op.same() {
		dw, err := G.ApplyOp(dwOp, in[0], grad)
		if err != nil || op.NoDx {
			return G.Nodes{nil, dw}, err
		}
		dx, err := G.ApplyOp(&ConvDxOp{opBase: newBase("convDx"), Fwd: op, xshape: in[0].Shape().Clone()}, in[1], grad)
		return G.Nodes{dx, dw}, err
	}
	// Fused: the dx op also computes dW from its im2col of dy; the dW node
	// takes dx as its input only to run after it.
	dwOp.Fused, dwOp.o = true, in[1].Shape()[0]
	dx, err := G.ApplyOp(&ConvDxOp{opBase: newBase("convDx"), Fwd: op, xshape: in[0].Shape().Clone(), Dw: dwOp}, in[1], grad, in[0])
	if err != nil {
		return nil, err
	}
	dw, err := G.ApplyOp(dwOp, dx)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw}, nil
}

// colStride is the row stride of an im2col buffer of n columns: n rounded
// up to 16 floats, plus 16. A row of 4,096 floats (a 64×64 plane) is a
// 16 KiB stride, and the 48 rows of a panel the SGEMM packs then share
// one set of the L1 cache: a transposed packing of such rows ran at 0.6×
// the speed of one with this stride (BenchmarkGemmShapes' w2 against w2ld).
func colStride(n int) int { return (n+15)/16*16 + 16 }

// im2col unrolls one image [C,H,W] into col [C·K·K, Ho·Wo], rows ld floats
// apart (see colStride). For each
// kernel offset the valid output columns form one contiguous range, so a
// row is a copy with zeroed edges; with "same" padding a whole row is one
// shifted copy of the plane, with the wrapped edge column and the rows
// past the top or bottom zeroed after.
func im2col(x, col []float32, c, h, w, k, pad, ho, wo, ld int) {
	if ho == h && wo == w {
		im2colSame(x, col, c, h, w, k, pad, ld)
		return
	}
	im2colRows(x, col, c, h, w, k, pad, ho, wo, ld)
}

// im2colRows is im2col for any padding, one output row at a time.
func im2colRows(x, col []float32, c, h, w, k, pad, ho, wo, ld int) {
	row := 0
	for ci := 0; ci < c; ci++ {
		plane := x[ci*h*w : (ci+1)*h*w]
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				dst := col[row*ld : row*ld+ho*wo]
				lo, hi := max(pad-kx, 0), min(wo, w+pad-kx)
				for oy := 0; oy < ho; oy++ {
					iy := oy + ky - pad
					d := dst[oy*wo : (oy+1)*wo]
					if iy < 0 || iy >= h || lo >= hi {
						clear(d)
						continue
					}
					clear(d[:lo])
					copy(d[lo:hi], plane[iy*w+lo+kx-pad:iy*w+hi+kx-pad])
					clear(d[hi:])
				}
				row++
			}
		}
	}
}

// im2colSame is im2col when the output has the input's size.
func im2colSame(x, col []float32, c, h, w, k, pad, ld int) {
	hw := h * w
	row := 0
	for ci := 0; ci < c; ci++ {
		plane := x[ci*hw : (ci+1)*hw]
		for ky := 0; ky < k; ky++ {
			dy := ky - pad
			for kx := 0; kx < k; kx++ {
				dx := kx - pad
				dst := col[row*ld : row*ld+hw]
				row++
				// dst[p] = plane[p + dy·w + dx] where that stays inside.
				s := dy*w + dx
				lo, hi := max(0, -s), min(hw, hw-s)
				if lo >= hi {
					clear(dst)
					continue
				}
				clear(dst[:lo])
				copy(dst[lo:hi], plane[lo+s:hi+s])
				clear(dst[hi:])
				// Rows that fall above or below the image.
				if dy < 0 {
					clear(dst[:min(-dy*w, hw)])
				} else if dy > 0 {
					clear(dst[max(hw-dy*w, 0):])
				}
				// Columns that wrapped around from the neighbouring row.
				if dx < 0 {
					for y := 0; y < h; y++ {
						clear(dst[y*w : y*w+min(-dx, w)])
					}
				} else if dx > 0 {
					for y := 0; y < h; y++ {
						clear(dst[y*w+max(w-dx, 0) : (y+1)*w])
					}
				}
			}
		}
	}
}

// col2im adds col [C·K·K, Ho·Wo] back into an image [C,H,W].
func col2im(col, x []float32, c, h, w, k, pad, ho, wo int) {
	row := 0
	for ci := 0; ci < c; ci++ {
		plane := x[ci*h*w : (ci+1)*h*w]
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				src := col[row*ho*wo : (row+1)*ho*wo]
				lo, hi := max(pad-kx, 0), min(wo, w+pad-kx)
				row++
				if lo >= hi {
					continue
				}
				for oy := 0; oy < ho; oy++ {
					iy := oy + ky - pad
					if iy < 0 || iy >= h {
						continue
					}
					dst := plane[iy*w+lo+kx-pad : iy*w+hi+kx-pad]
					s := src[oy*wo+lo : oy*wo+hi]
					for i, v := range s {
						dst[i] += v
					}
				}
			}
		}
	}
}

// ConvDxOp is the gradient of a convolution with respect to its input:
// col = Wᵀ·dy, then col2im.
type ConvDxOp struct {
	opBase
	Fwd    *Conv2dOp
	xshape tensor.Shape
	out    lent
	wf     []float32 // the flipped kernel, rebuilt each step
	wuT    []float32 // Winograd's transform of wf (dx by Winograd)
	cols   freeList
	// Dw, when set, is the kernel-gradient op whose result this op computes
	// too (from the same im2col of dy); x is then a third input.
	Dw   *ConvDwOp
	accs [][]float32 // per-chunk sums of dW, reused
}

// Arity implements G.Op.
func (op *ConvDxOp) Arity() int {
	if op.Dw != nil {
		return 3
	}
	return 2
}

// Type implements G.Op.
func (op *ConvDxOp) Type() hm.Type {
	if op.Dw != nil {
		return fnType(4, 4, 4, 4)
	}
	return fnType(4, 4, 4)
}

// InferShape implements G.Op.
func (op *ConvDxOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.xshape.Clone(), nil }

// Do implements G.Op.
func (op *ConvDxOp) Do(vals ...G.Value) (G.Value, error) {
	ws, ys := vals[0].Shape(), vals[1].Shape()
	n, c, h, w := op.xshape[0], op.xshape[1], op.xshape[2], op.xshape[3]
	o, ho, wo := ws[0], ys[2], ys[3]
	dy := Float32s(vals[1])
	var out *tensor.Dense
	own := op.Fwd.out.t
	switch {
	case !op.Fwd.outFree || own == nil || own.Shape().TotalSize() < n*c*h*w:
		out = op.out.from(op.Fwd.Arena, n, c, h, w)
	case &Float32s(own)[0] != &dy[0]:
		// The convolution's own output buffer is dead by now: reuse it.
		out = op.out.over(Float32s(own)[:n*c*h*w], n, c, h, w)
	case c == o && op.Dw != nil && ho == h && wo == w && op.Fwd.same():
		// dy itself lies in that buffer (BatchNorm's dx wrote over its
		// input, see BNOp.gradScatter). With as many input as output
		// channels, image i's dx goes where its dy was: the loop below
		// copies dy_i into col before it writes dx_i.
		out = op.out.over(dy[:n*c*h*w], n, c, h, w)
	default:
		out = op.out.from(op.Fwd.Arena, n, c, h, w)
	}
	wt, dx := Float32s(vals[0]), Float32s(out)
	k := op.Fwd.K
	if ho == h && wo == w && op.Fwd.same() {
		// "Same" padding: dx is the convolution of dy with the kernel
		// flipped and its channels swapped, so it is an im2col of dy and
		// one matrix product with a long inner dimension (O·K·K) per image,
		// instead of a short one (O) and a scatter (col2im). The same
		// im2col gives dW: x·colᵀ is dW with each window rotated.
		okk := o * k * k
		wf := op.flip(wt, o, c, k)
		// dx by Winograd where the forward pass would use it with dy's
		// channels as input (the flipped kernel is a convolution kernel
		// like any other); the im2col of dy is still made for dW.
		wino := op.Fwd.winograd(o, h, w, h, w)
		if wino {
			if len(op.wuT) != 16*o*c {
				op.wuT = make([]float32, 16*o*c)
			}
			winoKernel(op.wuT, wf, c, o)
		}
		var x []float32
		// dW in Winograd's domain too where x would take the forward's
		// Winograd path (winograd_dw.go): then no im2col of dy at all.
		winoDW := wino && op.Dw != nil && op.Fwd.winograd(c, h, w, h, w)
		acclen := c * okk
		if winoDW {
			acclen = 16 * c * o
		}
		if op.Dw != nil {
			x = Float32s(vals[2])
			op.accs = slices.Grow(op.accs[:0], chunks(n))[:chunks(n)]
		}
		parallelIdx(n, func(ch, lo, hi int) {
			// Its own pool: these buffers are O·K·K rows, the forward's C·K·K.
			ld := colStride(h * w)
			var col []float32
			if !winoDW {
				col = op.cols.take(okk * ld)
				defer op.cols.give(col)
			}
			s := op.Fwd.scratch()
			defer op.Fwd.acts.Put(s)
			var acc []float32
			if x != nil {
				if acc = op.accs[ch]; len(acc) != acclen {
					acc = make([]float32, acclen)
					op.accs[ch] = acc
				}
				clear(acc)
			}
			for i := lo; i < hi; i++ {
				dyi, dxi := dy[i*o*ho*wo:(i+1)*o*ho*wo], dx[i*c*h*w:(i+1)*c*h*w]
				if winoDW {
					// Both transforms of dy_i (winoGradAdd's and
					// winoForward's) read all of it before dx_i, which may
					// lie where dy_i was, is written.
					winoGradAdd(acc, op.Fwd.image(x, i, c, h*w, s), dyi, c, o, h, w)
					winoForward(dxi, dyi, op.wuT, o, c, h, w)
					continue
				}
				im2col(dyi, col, o, ho, wo, k, op.Fwd.Pad, h, w, ld)
				if wino {
					// winoForward reads all of dy_i (its input transform)
					// before it writes dx_i, which may lie where dy_i was.
					winoForward(dxi, dyi, op.wuT, o, c, h, w)
				} else {
					sgemmLdb(false, false, c, h*w, okk, 1, wf, col, ld, 0, dxi)
				}
				if x != nil {
					sgemmLdb(false, true, c, okk, h*w, 1, op.Fwd.image(x, i, c, h*w, s), col, ld, 1, acc)
				}
			}
		})
		if x != nil {
			sumInto(op.accs)
			if winoDW {
				winoGradFold(Float32s(op.Dw.out.get(o, c, k, k)), op.accs[0], o, c)
			} else {
				op.foldDW(o, c, k)
			}
			// dy is read by nothing else now (the fused dW op only
			// waits for this one), so its buffer can go back.
			op.Fwd.Arena.give(dy)
		}
		return out, nil
	}
	kk := c * k * k
	clear(dx) // col2im accumulates
	parallel(n, func(lo, hi int) {
		col := op.Fwd.cols.take(kk * ho * wo)
		for i := lo; i < hi; i++ {
			sgemm(true, false, kk, ho*wo, o, 1, wt, dy[i*o*ho*wo:(i+1)*o*ho*wo], 0, col)
			col2im(col, dx[i*c*h*w:(i+1)*c*h*w], c, h, w, k, op.Fwd.Pad, ho, wo)
		}
		op.Fwd.cols.give(col)
	})
	return out, nil
}

// foldDW sums the per-chunk [C, O·K·K] products in a fixed order into the
// fused dW op's [O, C, K, K] result, rotating each window back. Input
// channels are folded in parallel: each writes its own windows of dW.
func (op *ConvDxOp) foldDW(o, c, k int) {
	dw := Float32s(op.Dw.out.get(o, c, k, k))
	acc := op.accs[0] // the sum of the chunks' (sumInto)
	kk := k * k
	parallel(c, func(lo, hi int) {
		for ci := lo; ci < hi; ci++ {
			row := acc[ci*o*kk : (ci+1)*o*kk]
			for oi := 0; oi < o; oi++ {
				src := row[oi*kk : (oi+1)*kk]
				dst := dw[(oi*c+ci)*kk : (oi*c+ci+1)*kk]
				for j, v := range src {
					dst[kk-1-j] = v
				}
			}
		}
	})
}

// sumInto adds accs[1:] to accs[0], in index order whatever the split
// across workers (so that a run is repeatable), each worker over its own
// range of elements.
func sumInto(accs [][]float32) {
	if len(accs) < 2 {
		return
	}
	total := accs[0]
	parallel(len(total), func(lo, hi int) {
		dst := total[lo:hi]
		for _, a := range accs[1:] {
			for j, v := range a[lo:hi] {
				dst[j] += v
			}
		}
	})
}

// flip returns the kernel [O,C,K,K] rearranged as [C, O·K·K] with each
// K×K window rotated by 180°.
func (op *ConvDxOp) flip(wt []float32, o, c, k int) []float32 {
	if len(op.wf) != len(wt) {
		op.wf = make([]float32, len(wt))
	}
	kk := k * k
	for oi := 0; oi < o; oi++ {
		for ci := 0; ci < c; ci++ {
			src := wt[(oi*c+ci)*kk : (oi*c+ci+1)*kk]
			dst := op.wf[ci*o*kk+oi*kk : ci*o*kk+(oi+1)*kk]
			for j := range kk {
				dst[kk-1-j] = src[j]
			}
		}
	}
	return op.wf
}

// ConvDwOp is the gradient of a convolution with respect to its kernel:
// the sum over images of dy·colᵀ.
type ConvDwOp struct {
	opBase
	Fwd *Conv2dOp
	out buf
	// Fused: the result is computed by the ConvDxOp that is this op's only
	// input, and Do just hands it on; o is then the number of kernels.
	Fused bool
	o     int
}

// Arity implements G.Op.
func (op *ConvDwOp) Arity() int {
	if op.Fused {
		return 1
	}
	return 2
}

// Type implements G.Op.
func (op *ConvDwOp) Type() hm.Type {
	if op.Fused {
		return fnType(4, 4)
	}
	return fnType(4, 4, 4)
}

// InferShape implements G.Op.
func (op *ConvDwOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if op.Fused {
		// The input is dx, shaped like the convolution's x.
		x, err := shapeOf(in[0])
		if err != nil {
			return nil, err
		}
		return tensor.Shape{op.o, x[1], op.Fwd.K, op.Fwd.K}, nil
	}
	x, dy, err := shapes2(in)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{dy[1], x[1], op.Fwd.K, op.Fwd.K}, nil
}

// Do implements G.Op.
func (op *ConvDwOp) Do(vals ...G.Value) (G.Value, error) {
	if op.Fused {
		if op.out.t == nil {
			return nil, fmt.Errorf("convDw: the fused dx op has not run")
		}
		return op.out.t, nil
	}
	xs, ys := vals[0].Shape(), vals[1].Shape()
	n, c, h, w := xs[0], xs[1], xs[2], xs[3]
	o, ho, wo := ys[1], ys[2], ys[3]
	kk := c * op.Fwd.K * op.Fwd.K
	out := op.out.get(o, c, op.Fwd.K, op.Fwd.K)
	x, dy, dw := Float32s(vals[0]), Float32s(vals[1]), Float32s(out)
	// Each chunk accumulates on its own; the chunks are summed in a fixed
	// order so that a run is repeatable.
	accs := make([][]float32, chunks(n))
	parallelIdx(n, func(ch, lo, hi int) {
		ld := colStride(ho * wo)
		col, s := op.Fwd.cols.take(kk*ld), op.Fwd.scratch()
		defer op.Fwd.acts.Put(s)
		acc := make([]float32, o*kk)
		for i := lo; i < hi; i++ {
			im2col(op.Fwd.image(x, i, c, h*w, s), col, c, h, w, op.Fwd.K, op.Fwd.Pad, ho, wo, ld)
			sgemmLdb(false, true, o, kk, ho*wo, 1, dy[i*o*ho*wo:(i+1)*o*ho*wo], col, ld, 1, acc)
		}
		op.Fwd.cols.give(col)
		accs[ch] = acc
	})
	parallel(o, func(lo, hi int) {
		for _, acc := range accs {
			for j := lo * kk; j < hi*kk; j++ {
				dw[j] += acc[j]
			}
		}
	})
	return out, nil
}
