//go:build cuda || gpuemu

package models

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/maskdash/maskdash/models/gpu"
	"github.com/maskdash/maskdash/models/ops"
)

// --precision bf16 on the GPU. The trunk's activations and their
// gradients (every four-dimensional value but the convolutions' kernels
// and their gradients) are bfloat16 in NHWC order; everything else stays
// float32: the weights (the master copy the optimizer moves), every
// gradient of a weight, BatchNorm's statistics, the heads after the
// global average pool (or the flattening of cnn-s), the loss. Each step
// makes a bfloat16 KRSC copy of every convolution's kernel (wh) and of
// the batch, and turns each kernel gradient cuDNN writes in bfloat16 back
// into float32. The kernels are cudakern's kernels_bf16.cu.

// halfOf decides which of the run's nodes are bfloat16 (gpu_half.go).
func (r *gpuRun) halfOf() {
	r.half = map[*G.Node]bool{}
	if r.net.half {
		r.half = halfNodes(r.order, r.gr.grads, r.gr.x)
	}
}

// words is nd's size on the device in 4-byte words.
func (r *gpuRun) words(nd *G.Node) int {
	n := nd.Shape().TotalSize()
	if r.half[nd] {
		return (n + 1) / 2
	}
	return n
}

// allocHalf makes the bf16 path's own buffers: the batch in bfloat16,
// the float32 flattening a dense layer reads from a four-dimensional
// input (and writes its gradient through), the kernel gradients'
// bfloat16 scratch and the per-channel double sums of a bias gradient.
func (r *gpuRun) allocHalf() error {
	if !r.net.half {
		return nil
	}
	d := r.net.dev
	var flat, dw, chans int
	for _, nd := range r.order {
		switch nd.Op().(type) {
		case *ops.LinearOp:
			if x := r.in(nd, 0); r.half[x] {
				flat = max(flat, x.Shape().TotalSize())
			}
		case *ops.Conv2dOp:
			dw = max(dw, (r.in(nd, 1).Shape().TotalSize()+1)/2)
		case *ops.ChanBiasOp:
			chans = max(chans, nd.Shape()[1])
		}
	}
	alloc := func(p *gpu.Buffer, n int) error {
		if n == 0 {
			return nil
		}
		b, err := d.Alloc(n)
		if err != nil {
			return err
		}
		r.owned = append(r.owned, b)
		*p = b
		return nil
	}
	if err := alloc(&r.xh, r.words(r.gr.x)); err != nil {
		return err
	}
	r.buf[r.gr.x] = r.xh
	if err := alloc(&r.flat, flat); err != nil {
		return err
	}
	if err := alloc(&r.dwh, dw); err != nil {
		return err
	}
	return alloc(&r.hsums, 2*chans)
}

// toHalf queues the step's conversions: the batch and every kernel into
// bfloat16 NHWC (KRSC).
func (r *gpuRun) toHalf() error {
	d := r.net.dev
	s := r.gr.x.Shape()
	if err := d.Launch("md_to_nhwc_h", s.TotalSize(), s[0], s[1], s[2]*s[3], r.xf, r.xh); err != nil {
		return err
	}
	for p, wh := range r.net.wh {
		k, c, hw := p.Shape[0], p.Shape[1], p.Shape[2]*p.Shape[3]
		if err := d.Launch("md_to_nhwc_h", len(p.Data), k, c, hw, r.net.weights[p], wh); err != nil {
			return err
		}
	}
	return nil
}

// execHalf runs nd's bfloat16 form when nd reads or writes a bfloat16
// value; handled is false for a float32 op (exec's own forms).
func (r *gpuRun) execHalf(nd *G.Node) (handled bool, err error) {
	touches := r.half[nd]
	for _, in := range r.inputs(nd) {
		touches = touches || r.half[in]
	}
	if !touches {
		return false, nil
	}
	if !hasHalfForm(nd.Op()) {
		return true, fmt.Errorf("the GPU engine has no bf16 form of op %v (%T)", nd.Op(), nd.Op())
	}
	d := r.net.dev
	out := r.buf[nd]
	size := nd.Shape().TotalSize()
	b := func(i int) gpu.Buffer { return r.buf[r.in(nd, i)] }
	nhwc := func(nd *G.Node) (n, c, h, w int) { s := nd.Shape(); return s[0], s[1], s[2], s[3] }
	switch op := nd.Op().(type) {
	case *ops.Conv2dOp:
		return true, d.ConvForward(r.convs[op], b(0), r.wh[r.in(nd, 1)], out)
	case *ops.ConvDxOp:
		cv := r.convs[op.Fwd]
		if err := d.ConvBackwardData(cv, r.wh[r.in(nd, 0)], b(1), out); err != nil {
			return true, err
		}
		if op.Dw != nil {
			return true, r.kernelGrad(cv, r.Dw[op.Dw], b(2), b(1))
		}
		return true, nil
	case *ops.ConvDwOp:
		if op.Fused {
			return true, nil
		}
		return true, r.kernelGrad(r.convs[op.Fwd], nd, b(0), b(1))
	case *ops.BNOp:
		bn := r.bns[op]
		n, c, h, w := nhwc(nd)
		if op.Train && gpuHalfCuDNNBN {
			if err := d.BatchNormTrain(&bn.BatchNorm, b(0), out, b(1), b(2), bn.runMean, bn.runVar); err != nil || !op.ReLU {
				return true, err
			}
			return true, d.Launch("md_relu_fwd_h", size, size, out, out)
		}
		if op.Train {
			return true, r.bnForwardH(bn, op.ReLU, b(0), b(1), b(2), out)
		}
		if err := d.Launch("md_bn_invstd", c, c, bn.runVar, float32(bn.Eps), bn.InvStd); err != nil {
			return true, err
		}
		return true, d.Launch("md_bnh_apply", size, n*h*w, c, b(0), bn.runMean, bn.InvStd, b(1), b(2), flag(op.ReLU), out)
	case *ops.BNGradOp:
		if !r.first(op.Fwd) {
			return true, nil
		}
		bn, g := r.bns[op.Fwd], r.bnGrads[op.Fwd]
		if gpuHalfCuDNNBN {
			dy := b(2)
			if op.Fwd.ReLU { // dy is this layer's alone: masked in place (as exec's)
				n := bn.X.Size()
				if err := d.Launch("md_relu_bwd_h", n, n, r.buf[bn.y], dy, dy); err != nil {
					return true, err
				}
			}
			return true, d.BatchNormBackward(&bn.BatchNorm, r.buf[bn.x], dy, r.gradBuf(g[0]), b(0), r.gradBuf(g[1]), r.gradBuf(g[2]))
		}
		return true, r.bnBackwardH(bn, op.Fwd.ReLU, b(2), b(0), b(1), r.gradBuf(g[0]), r.gradBuf(g[1]), r.gradBuf(g[2]))
	case *ops.ChanBiasOp:
		n, c, h, w := nhwc(nd)
		return true, d.Launch("md_bias_act_h", size, n*h*w, c, b(0), b(1), flag(op.ReLU), out)
	case *ops.ChanBiasGradOp:
		if !r.first(op.Fwd) {
			return true, nil
		}
		g := r.biasGrads[op.Fwd]
		y := r.fwd[op.Fwd]
		dy, dx := b(2), r.gradBuf(g[0])
		n, c, h, w := nhwc(y)
		m := n * h * w
		if op.Fwd.ReLU {
			err = d.Launch("md_relu_bwd_h", m*c, m*c, r.buf[y], dy, dx)
		} else {
			err = d.Copy(dx, dy, r.words(y))
		}
		if err != nil {
			return true, err
		}
		if err := d.Zero(r.hsums); err != nil {
			return true, err
		}
		chunks := bnChunks(c, m)
		if err := d.Launch("md_chan_sums_h", c*chunks, m, c, chunks, dx, r.hsums); err != nil {
			return true, err
		}
		return true, d.Launch("md_d2f", c, c, r.hsums, r.gradBuf(g[1]))
	case *ops.MaxPool2Op:
		n, c, h, w := nhwc(r.in(nd, 0))
		return true, d.Launch("md_maxpool2_h", size, n, h, w, c, b(0), out)
	case *ops.ScatterOp:
		x := r.in(r.fwd[op.Fwd], 0)
		n, c, h, w := nhwc(x)
		return true, d.Launch("md_maxpool2_bwd_h", size, n, h, w, c, r.buf[x], b(0), out)
	case *ops.GAPOp:
		n, c, h, w := nhwc(r.in(nd, 0))
		return true, d.Launch("md_gap_h", n*c, n, h*w, c, b(0), out)
	case *ops.GAPDxOp:
		n, c, h, w := nhwc(nd)
		return true, d.Launch("md_gap_bwd_h", size, n, h*w, c, b(0), out)
	case *ops.LinearOp:
		// A dense layer on a four-dimensional value (cnn-s): flattened in
		// the float32 graph's order first.
		x, wt := r.in(nd, 0), r.in(nd, 1).Shape()
		n, c, h, w := nhwc(x)
		if err := d.Launch("md_to_nchw_f", n*c*h*w, n, c, h*w, b(0), r.flat); err != nil {
			return true, err
		}
		if err := d.Gemm(false, false, n, wt[1], wt[0], 1, r.flat, b(1), 0, out); err != nil {
			return true, err
		}
		return true, d.Launch("md_bias_add", size, n, wt[1], 1, out, b(2))
	case *ops.LinGradOp:
		wt := r.in(nd, 1).Shape()
		k, o := wt[0], wt[1]
		x := r.in(nd, 0)
		n, c, h, w := nhwc(x)
		switch op.Which {
		case 0: // dx, through the float32 flattening
			if err := d.Gemm(false, true, n, k, o, 1, b(2), b(1), 0, r.flat); err != nil {
				return true, err
			}
			return true, d.Launch("md_to_nhwc_h", size, n, c, h*w, r.flat, out)
		case 1:
			if err := d.Launch("md_to_nchw_f", n*c*h*w, n, c, h*w, b(0), r.flat); err != nil {
				return true, err
			}
			return true, d.Gemm(true, false, k, o, n, 1, r.flat, b(2), 0, out)
		}
		return false, nil // the bias's gradient reads dy alone: float32
	case *ops.ReLUOp:
		return true, d.Launch("md_relu_fwd_h", size, size, b(0), out)
	case *ops.MaskGradOp:
		return true, d.Launch("md_relu_bwd_h", size, size, b(0), b(1), out)
	case *ops.AddOp:
		return true, d.Launch("md_add_h", size, size, b(0), b(1), out)
	case *ops.CopyOp:
		return true, d.Copy(out, b(0), r.words(nd))
	case *ops.DropoutOp:
		// cnn-s's dropout before its dense layer. The mask is drawn as on
		// the float32 path but applied in NHWC order: another draw, the
		// same one forward and backward.
		if !op.Train || op.P <= 0 {
			return true, d.Copy(out, b(0), r.words(nd))
		}
		op.Draw(size)
		if err := gpu.Upload(d, r.masks[op], op.Mask); err != nil {
			return true, err
		}
		return true, d.Launch("md_mul_hf", size, size, b(0), r.masks[op], out)
	case *ops.DropDxOp:
		if !op.Fwd.Train || op.Fwd.P <= 0 {
			return true, d.Copy(out, b(0), r.words(nd))
		}
		return true, d.Launch("md_mul_hf", size, size, b(0), r.maskOf(op.Fwd), out)
	}
	return true, fmt.Errorf("the GPU engine's bf16 forms lack op %T, which hasHalfForm lists", nd.Op())
}

// kernelGrad queues a convolution's kernel gradient, the node dw:
// cuDNN's bfloat16 KRSC result into dw's float32 [K, C, R, R].
func (r *gpuRun) kernelGrad(cv *gpu.Conv, dw *G.Node, x, dy gpu.Buffer) error {
	d := r.net.dev
	if err := d.ConvBackwardFilter(cv, x, dy, r.dwh); err != nil {
		return err
	}
	s := dw.Shape()
	return d.Launch("md_to_nchw_f", s.TotalSize(), s[0], s[1], s[2]*s[3], r.dwh, r.buf[dw])
}

// bnForwardH is bnForward on bfloat16 NHWC.
func (r *gpuRun) bnForwardH(bn *gpuBN, relu bool, x, gamma, beta, y gpu.Buffer) error {
	d := r.net.dev
	m, c := bn.X.N*bn.X.H*bn.X.W, bn.X.C
	chunks := bnChunks(c, m)
	sum, sumsq := bn.sums, bn.sums.At(2*c)
	if err := d.Zero(bn.sums); err != nil {
		return err
	}
	if err := d.Launch("md_bnh_sums", c*chunks, m, c, chunks, x, sum, sumsq); err != nil {
		return err
	}
	if err := d.Launch("md_bnr_stats", c, c, m, sum, sumsq, float32(bn.Eps), float32(bn.Momentum), bn.Mean, bn.InvStd,
		bn.runMean, bn.runVar); err != nil {
		return err
	}
	return d.Launch("md_bnh_apply", m*c, m, c, x, bn.Mean, bn.InvStd, gamma, beta, flag(relu), y)
}

// bnBackwardH is bnBackward on bfloat16 NHWC.
func (r *gpuRun) bnBackwardH(bn *gpuBN, relu bool, dy, gamma, beta, dx, dgamma, dbeta gpu.Buffer) error {
	d := r.net.dev
	m, c := bn.X.N*bn.X.H*bn.X.W, bn.X.C
	chunks := bnChunks(c, m)
	x := r.buf[bn.x]
	sdy, sdyx := bn.sums, bn.sums.At(2*c)
	if err := d.Zero(bn.sums); err != nil {
		return err
	}
	if err := d.Launch("md_bnh_bwd_sums", c*chunks, m, c, chunks, x, dy, bn.Mean, bn.InvStd, gamma, beta, flag(relu),
		sdy, sdyx); err != nil {
		return err
	}
	if !dx.Nil() {
		if err := d.Launch("md_bnh_bwd_dx", m*c, m, c, x, dy, bn.Mean, bn.InvStd, gamma, beta, flag(relu), sdy, sdyx,
			dx); err != nil {
			return err
		}
	}
	if dgamma.Nil() || dbeta.Nil() {
		return nil
	}
	return d.Launch("md_bnr_bwd_params", c, c, sdy, sdyx, dgamma, dbeta)
}
