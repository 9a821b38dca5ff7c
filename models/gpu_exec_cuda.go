//go:build cuda || gpuemu

package models

import (
	"fmt"
	"time"

	G "gorgonia.org/gorgonia"

	"github.com/maskdash/maskdash/models/gpu"
	"github.com/maskdash/maskdash/models/ops"
)

// run queues every op of the graph, in order, on the device. The loss
// is the one point where the host waits: the logits come down, the
// ops.LossFunc runs, its gradient goes up.
func (r *gpuRun) run() error {
	r.gen++
	if r.net.profile {
		r.profSteps++
	}
	if r.net.half {
		if err := r.toHalf(); err != nil {
			return fmt.Errorf("bf16 copies of the batch and the kernels: %w", err)
		}
	}
	for _, nd := range r.order {
		if nd.Op() == nil || isConstant(nd) {
			continue
		}
		var t0 time.Time
		if r.net.profile {
			t0 = time.Now()
		}
		if err := r.exec(nd); err != nil {
			return fmt.Errorf("%s on the GPU: %w", nd.Op(), err)
		}
		if r.net.profile {
			if err := r.net.dev.Sync(); err != nil {
				return err
			}
			r.timeOp(nd, time.Since(t0))
		}
	}
	return nil
}

// first reports whether key's shared work is still to do this step.
func (r *gpuRun) first(key any) bool {
	if r.done[key] == r.gen {
		return false
	}
	r.done[key] = r.gen
	return true
}

func (r *gpuRun) exec(nd *G.Node) error {
	if r.net.half {
		if handled, err := r.execHalf(nd); handled {
			return err
		}
	}
	d := r.net.dev
	out := r.buf[nd]
	size := nd.Shape().TotalSize()
	b := func(i int) gpu.Buffer { return r.buf[r.in(nd, i)] }
	switch op := nd.Op().(type) {
	case *ops.Conv2dOp:
		return d.ConvForward(r.convs[op], b(0), b(1), out)
	case *ops.ConvDxOp:
		cv := r.convs[op.Fwd]
		if err := d.ConvBackwardData(cv, b(0), b(1), out); err != nil {
			return err
		}
		if op.Dw != nil {
			return d.ConvBackwardFilter(cv, b(2), b(1), r.buf[r.Dw[op.Dw]])
		}
		return nil
	case *ops.ConvDwOp:
		if op.Fused {
			return nil // computed by its ops.ConvDxOp
		}
		return d.ConvBackwardFilter(r.convs[op.Fwd], b(0), b(1), out)
	case *ops.BNOp:
		bn := r.bns[op]
		var err error
		if op.Train && gpuFusedBN {
			return r.bnForward(bn, op.ReLU, b(0), b(1), b(2), out)
		}
		if op.Train {
			err = d.BatchNormTrain(&bn.BatchNorm, b(0), out, b(1), b(2), bn.runMean, bn.runVar)
		} else {
			err = d.BatchNormInfer(&bn.BatchNorm, b(0), out, b(1), b(2), bn.runMean, bn.runVar)
		}
		if err != nil || !op.ReLU {
			return err
		}
		return d.Launch("md_relu_fwd", size, size, out, out)
	case *ops.BNGradOp:
		if !r.first(op.Fwd) {
			return nil
		}
		bn, g := r.bns[op.Fwd], r.bnGrads[op.Fwd]
		dy := b(2)
		if gpuFusedBN {
			return r.bnBackward(bn, op.Fwd.ReLU, dy, b(0), b(1), r.gradBuf(g[0]), r.gradBuf(g[1]), r.gradBuf(g[2]))
		}
		if op.Fwd.ReLU {
			// dy is this layer's alone (Gorgonia sums a node's gradients
			// into one before handing it on): masked in place.
			if err := d.Launch("md_relu_bwd", size4(bn.X), size4(bn.X), r.buf[bn.y], dy, dy); err != nil {
				return err
			}
		}
		return d.BatchNormBackward(&bn.BatchNorm, r.buf[bn.x], dy, r.gradBuf(g[0]), b(0), r.gradBuf(g[1]), r.gradBuf(g[2]))
	case *ops.ChanBiasOp:
		sh := nd.Shape()
		relu := 0
		if op.ReLU {
			relu = 1
		}
		return d.Launch("md_bias_act", size, sh[0], sh[1], sh[2]*sh[3], b(0), b(1), relu, out)
	case *ops.ChanBiasGradOp:
		if !r.first(op.Fwd) {
			return nil
		}
		g := r.biasGrads[op.Fwd]
		dy, dx := b(2), r.gradBuf(g[0])
		sh := r.in(nd, 0).Shape()
		n, c, hw := sh[0], sh[1], sh[2]*sh[3]
		var err error
		if op.Fwd.ReLU {
			err = d.Launch("md_relu_bwd", size4(r.desc[r.fwd[op.Fwd]]), n*c*hw, r.buf[r.fwd[op.Fwd]], dy, dx)
		} else {
			err = d.Copy(dx, dy, n*c*hw)
		}
		if err != nil {
			return err
		}
		ones, err := r.net.onesOf(max(n, hw))
		if err != nil {
			return err
		}
		if err := d.RowSums(n*c, hw, 1, dx, ones, r.scratch); err != nil {
			return err
		}
		return d.ColSums(n, c, r.scratch, ones, r.gradBuf(g[1]))
	case *ops.MaxPool2Op:
		x := r.in(nd, 0)
		return d.MaxPool2(r.desc[x], r.buf[x], r.desc[nd], out)
	case *ops.ScatterOp:
		p := r.fwd[op.Fwd]
		x := r.in(p, 0)
		return d.MaxPool2Backward(r.desc[x], r.buf[x], r.desc[p], r.buf[p], b(0), out)
	case *ops.GAPOp:
		s := r.in(nd, 0).Shape()
		ones, err := r.net.onesOf(s[2] * s[3])
		if err != nil {
			return err
		}
		return d.RowSums(s[0]*s[1], s[2]*s[3], 1/float32(s[2]*s[3]), b(0), ones, out)
	case *ops.GAPDxOp:
		return d.Launch("md_gap_bwd", size, op.OutShape[0]*op.OutShape[1], op.OutShape[2]*op.OutShape[3], b(0), out)
	case *ops.LinearOp:
		x, w := r.in(nd, 0).Shape(), r.in(nd, 1).Shape()
		n, k, o := x[0], w[0], w[1]
		if err := d.Gemm(false, false, n, o, k, 1, b(0), b(1), 0, out); err != nil {
			return err
		}
		return d.Launch("md_bias_add", size, n, o, 1, out, b(2))
	case *ops.LinGradOp:
		w := r.in(nd, 1).Shape()
		k, o := w[0], w[1]
		n := r.in(nd, 2).Shape()[0]
		switch op.Which {
		case 0:
			return d.Gemm(false, true, n, k, o, 1, b(2), b(1), 0, out)
		case 1:
			return d.Gemm(true, false, k, o, n, 1, b(0), b(2), 0, out)
		default:
			ones, err := r.net.onesOf(n)
			if err != nil {
				return err
			}
			return d.ColSums(n, o, b(2), ones, out)
		}
	case *ops.ReLUOp:
		return d.Launch("md_relu_fwd", size, size, b(0), out)
	case *ops.MaskGradOp:
		return d.Launch("md_relu_bwd", size, size, b(0), b(1), out)
	case *ops.AddOp:
		return d.Axpby(size, 1, b(0), 1, b(1), out)
	case *ops.CopyOp:
		return d.Copy(out, b(0), size)
	case *ops.DropoutOp:
		if !op.Train || op.P <= 0 {
			return d.Copy(out, b(0), size)
		}
		op.Draw(size)
		if err := gpu.Upload(d, r.masks[op], op.Mask); err != nil {
			return err
		}
		return d.Launch("md_mul", size, size, b(0), r.masks[op], out)
	case *ops.DropDxOp:
		if !op.Fwd.Train || op.Fwd.P <= 0 {
			return d.Copy(out, b(0), size)
		}
		return d.Launch("md_mul", size, size, b(0), r.maskOf(op.Fwd), out)
	case *ops.LossOp:
		if !r.first(op) {
			return nil
		}
		return r.lossStep(nd, op)
	case *ops.LossDxOp:
		// The loss writes it. Its only input is the constant seed, so the
		// order may put it before the loss: run the loss first then.
		if lop, ok := r.lossNode.Op().(*ops.LossOp); ok && r.first(lop) {
			return r.lossStep(r.lossNode, lop)
		}
		return nil
	case *ops.ConcatColsOp:
		rows, width, off := nd.Shape()[0], nd.Shape()[1], 0
		for _, in := range r.inputs(nd) {
			w := in.Shape()[1]
			if err := d.CopyColumns(out, width, off, r.buf[in], w, 0, w, rows); err != nil {
				return err
			}
			off += w
		}
		return nil
	case *ops.SliceColsOp:
		s := r.in(nd, 0).Shape()
		w := op.To - op.From
		return d.CopyColumns(out, w, 0, b(0), s[1], op.From, w, s[0])
	}
	return fmt.Errorf("the GPU engine has no form of op %v (%T)", nd.Op(), nd.Op())
}

// lossStep brings the logits down, runs the ops.LossFunc on the host and
// sends its gradient up.
func (r *gpuRun) lossStep(nd *G.Node, op *ops.LossOp) error {
	if r.devLoss != nil && r.dlossNode != nil {
		err := r.deviceLossStep(nd, r.devLoss)
		op.Last = r.loss
		return err
	}
	d := r.net.dev
	x := r.in(nd, 0)
	s := x.Shape()
	if len(r.logits) != s.TotalSize() {
		r.logits = make([]float32, s.TotalSize())
		r.dlogits = make([]float32, s.TotalSize())
	}
	if err := gpu.Download(d, r.logits, r.buf[x]); err != nil {
		return err
	}
	clear(r.dlogits)
	r.loss = (*op.Fn)(r.logits, s[0], s[1], r.dlogits)
	op.Last = r.loss
	if r.dlossNode == nil {
		return nil
	}
	return gpu.Upload(d, r.buf[r.dlossNode], r.dlogits)
}

// gradBuf is a gradient node's buffer, or nil when the graph has none.
func (r *gpuRun) gradBuf(nd *G.Node) gpu.Buffer {
	if nd == nil {
		return gpu.Buffer{}
	}
	return r.buf[nd]
}

func (r *gpuRun) maskOf(op *ops.DropoutOp) gpu.Buffer { return r.masks[op] }

func size4(t *gpu.Tensor) int { return t.Size() }
