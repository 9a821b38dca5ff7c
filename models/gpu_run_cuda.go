//go:build cuda || gpuemu

package models

import (
	"errors"
	"fmt"
	"time"

	G "gorgonia.org/gorgonia"

	"github.com/maskdash/maskdash/models/gpu"
	"github.com/maskdash/maskdash/models/ops"
)

// gpuRun is one of a Net's graphs (training or evaluation) on the GPU:
// Gorgonia built the graph and its gradients; this walks its nodes in
// the tape machine's order and runs each op's GPU form on device
// buffers, one per node. The weights are the gpuNet's, shared by both
// runs.
type gpuRun struct {
	net       *gpuNet
	gr        *graph
	order     G.Nodes
	buf       map[*G.Node]gpu.Buffer
	desc      map[*G.Node]*gpu.Tensor
	chans     map[int]*gpu.Tensor // [1, C, 1, 1] descriptions by C
	owned     []gpu.Buffer        // what this run allocated
	convs     map[*ops.Conv2dOp]*gpu.Conv
	bns       map[*ops.BNOp]*ops.BNOnGPU
	opIndex                       // the nodes ops reach past their inputs (gpu_plan.go)
	ins       map[*G.Node]G.Nodes // each node's inputs, in order
	masks     map[*ops.DropoutOp]gpu.Buffer
	winners   map[*ops.MaxPool2Op]gpu.Buffer // each window's winner, a byte an output (gpuPoolKernels)
	xs        [2]gpu.Buffer                  // the batch, in turn: the next is uploaded while the last step's backward pass reads the other
	stage     [gpu.Marks]gpu.Pinned          // the batch on the host, page-locked for the upload, in turn (stageNext)
	xsSlot    int                            // which of xs the step being queued reads
	scratch   gpu.Buffer                     // per-(image, channel) sums of the bias gradients
	gen       int                            // steps run
	held      bool                           // the batch stays on the device (hold): no upload per step
	planned   bool                           // outputs share memory by the plan (gpu_plan.go)
	prof      map[string]*opTime             // per kind of op, when profiling
	profSteps int
	// waited is how long the host has been blocked on the device in
	// steps (the step's one wait, collect; or the host loss's download)
	// since the profile was last reset: beside the steps' wall time it
	// says whether the host or the GPU holds a step up.
	waited time.Duration
	// host is the host's own time in the steps and their updates (their
	// wall time less waited), by what it was doing (gpu_host_cuda.go).
	host    hostTime
	done    map[any]int  // the step an op's shared gradients were computed in
	loss    float64      // the last step's
	lossMem *gpuLossBufs // the loss's memory when it runs on the device (gpu_loss_cuda.go)
	devLoss *DeviceLoss  // the loss to compute on the device this step, or nil
	fetches []*lossFetch // the queued steps' device losses, on their way down, oldest first (collect)
	pinned  []gpu.Pinned // page-locked memory this run allocated, besides stage
	logits  []float32    // the last step's, on the host
	dlogits []float32    // the loss's gradient, on the host
	// --precision bf16 (gpu_half_cuda.go)
	half  map[*G.Node]bool       // the nodes held as bfloat16 NHWC
	wh    map[*G.Node]gpu.Buffer // a kernel's bfloat16 KRSC copy, by its node
	xf    gpu.Buffer             // the batch as uploaded (float32 NCHW): xs's last
	xh    gpu.Buffer             // and in bfloat16 NHWC
	padX  int                    // xh's channels when padded with zeros for the convolutions (gpuNet.padC), else 0
	flat  gpu.Buffer             // a four-dimensional value flattened to float32, for a dense layer
	dwh   gpu.Buffer             // a kernel gradient in bfloat16, before its float32 form
	hsums gpu.Buffer             // a bias gradient's per-channel double sums
	// bf16's input gradients as forward convolutions (gpuHalfDx,
	// gpu_dx_forward_cuda.go), decided when the run is laid out: the mode
	// (off in a run without input gradients), the convolutions that take
	// that form, the turned kernels they read, and each choice made
	dxMode    switchMode
	dxConvs   map[*ops.Conv2dOp]*gpu.Conv
	flipped   gpu.Buffer
	dxChoices []dxChoice
}

func newGPURun(net *gpuNet, gr *graph) (*gpuRun, error) {
	return newGPURunPlanned(net, gr, false)
}

// newGPURunPlanned lays gr out with the memory plan when planned is set
// (the training graph, whose intermediate values nobody reads after the
// step; the evaluation graph's are all kept).
func newGPURunPlanned(net *gpuNet, gr *graph, planned bool) (*gpuRun, error) {
	r := &gpuRun{net: net, gr: gr, buf: map[*G.Node]gpu.Buffer{}, desc: map[*G.Node]*gpu.Tensor{}, chans: map[int]*gpu.Tensor{},
		convs: map[*ops.Conv2dOp]*gpu.Conv{}, bns: map[*ops.BNOp]*ops.BNOnGPU{},
		masks: map[*ops.DropoutOp]gpu.Buffer{}, winners: map[*ops.MaxPool2Op]gpu.Buffer{}, done: map[any]int{}, planned: planned, wh: map[*G.Node]gpu.Buffer{},
		dxConvs: map[*ops.Conv2dOp]*gpu.Conv{}}
	sorted, err := G.Sort(gr.g)
	if err != nil {
		return nil, err
	}
	for i := len(sorted) - 1; i >= 0; i-- {
		r.order = append(r.order, sorted[i])
	}
	r.opIndex = indexOps(r.order)
	r.ins = make(map[*G.Node]G.Nodes, len(r.order))
	for _, nd := range r.order {
		r.ins[nd] = graphChildren(nd)
	}
	r.halfOf()
	if err := r.padOf(); err != nil {
		return nil, err
	}
	if err := r.allocate(); err != nil {
		return nil, errors.Join(err, r.free())
	}
	if err := r.describe(); err != nil {
		return nil, errors.Join(err, r.free())
	}
	return r, nil
}

// allocate gives every node a device buffer: weights are the gpuNet's,
// the input and each op's result are the run's own.
func (r *gpuRun) allocate() error {
	if err := r.allocateNodes(); err != nil {
		return err
	}
	return r.allocHalf()
}

func (r *gpuRun) allocateNodes() error {
	d := r.net.dev
	for _, nd := range r.order {
		if nd.Op() == nil || isConstant(nd) {
			if nd == r.gr.x {
				size := nd.Shape().TotalSize()
				for i := range r.xs {
					b, err := d.Alloc(size)
					if err != nil {
						return err
					}
					r.own(nd, b)
					r.xs[i] = b
				}
				for i := range r.stage {
					var err error
					if r.stage[i], err = d.AllocPinned(size); err != nil {
						return err
					}
				}
				continue
			}
			if v := nd.Value(); v != nil && !nd.IsScalar() {
				p, ok := r.net.byData[&ops.Float32s(v)[0]]
				if !ok {
					return fmt.Errorf("the GPU engine: input %s is neither the batch nor a weight", nd.Name())
				}
				r.buf[nd] = r.net.weights[p]
				if wh, ok := r.net.wh[p]; ok {
					r.wh[nd] = wh
				}
			}
			continue
		}
		switch op := nd.Op().(type) {
		case *ops.LossOp:
			continue // a scalar on the host
		case *ops.ChanBiasOp:
			sh := nd.Shape()
			if need := sh[0] * sh[1]; need > r.scratch.N {
				if err := d.Free(r.scratch); err != nil {
					return err
				}
				var err error
				if r.scratch, err = d.Alloc(need); err != nil {
					return err
				}
			}
		case *ops.MaxPool2Op:
			if s := r.in(nd, 0).Shape(); gpuPoolKernels && !r.half[nd] && s[2]%2 == 0 && s[3]%2 == 0 {
				win, err := d.Alloc((nd.Shape().TotalSize() + 3) / 4) // a byte an output
				if err != nil {
					return err
				}
				r.owned = append(r.owned, win)
				r.winners[op] = win
			}
		case *ops.DropoutOp:
			m, err := d.Alloc(nd.Shape().TotalSize())
			if err != nil {
				return err
			}
			r.owned = append(r.owned, m)
			r.masks[op] = m
		}
		if r.planned {
			continue
		}
		b, err := d.Alloc(r.Words(nd))
		if err != nil {
			return err
		}
		r.own(nd, b)
	}
	if !r.planned {
		return nil
	}
	// The memory plan (gpu_plan.go): outputs never needed at once share.
	keep := map[*G.Node]bool{}
	for _, g := range r.gr.grads {
		keep[g] = true
	}
	slot, sizes := gpuPlan(r.order, gpuSteps(r.order), func(nd *G.Node) bool { return keep[nd] }, r.Words)
	bufs := make([]gpu.Buffer, len(sizes))
	for k, size := range sizes {
		b, err := d.Alloc(size)
		if err != nil {
			return err
		}
		r.owned = append(r.owned, b)
		bufs[k] = b
	}
	for nd, k := range slot {
		r.buf[nd] = bufs[k]
	}
	return nil
}

func (r *gpuRun) own(nd *G.Node, b gpu.Buffer) {
	r.buf[nd] = b
	r.owned = append(r.owned, b)
}

// describe makes the cuDNN descriptions and picks the convolutions'
// algorithms (which writes the buffers: done before the first step).
func (r *gpuRun) describe() error {
	d := r.net.dev
	for _, nd := range r.order {
		switch op := nd.Op().(type) {
		case *ops.Conv2dOp:
			x := r.in(nd, 0)
			s := x.Shape()
			k := nd.Shape()[1]
			var dx, dw gpu.Buffer
			var dxNode *G.Node
			for _, g := range r.order {
				switch gop := g.Op().(type) {
				case *ops.ConvDxOp:
					if gop.Fwd == op {
						dx, dxNode = r.buf[g], g
					}
				case *ops.ConvDwOp:
					if gop.Fwd == op {
						dw = r.buf[g]
					}
				}
			}
			xb, yb, wb := r.buf[x], r.buf[nd], r.buf[r.in(nd, 1)]
			if r.net.half {
				wb = r.wh[r.in(nd, 1)]
				if !dw.Nil() {
					dw = r.dwh
				}
			}
			tmp, err := r.searchBuffers(&xb, &yb, &dx, &dw)
			if err != nil {
				return err
			}
			cv, err := d.NewConv(gpu.ConvShape{N: s[0], C: r.HalfChannels(x), H: s[2], W: s[3], K: k, R: op.K, Pad: op.Pad,
				TF32: r.net.prec.convTF32(), BF16: r.net.half},
				xb, wb, yb, dx, dw)
			if err := errors.Join(err, freeAll(d, tmp)); err != nil {
				return fmt.Errorf("convolution %v→%v: %w", s, nd.Shape(), err)
			}
			r.convs[op] = cv
			if r.net.half && r.dxMode != modeOff && dxNode != nil {
				if err := r.chooseDxForm(op, x, nd, dxNode, cv); err != nil {
					return err
				}
			}
		case *ops.BNOp:
			xt, err := r.tensor(r.in(nd, 0))
			if err != nil {
				return err
			}
			ch, err := r.channels(xt.C)
			if err != nil {
				return err
			}
			bn := &ops.BNOnGPU{BatchNorm: gpu.BatchNorm{X: xt, Ch: ch, Momentum: float64(op.Stats.Momentum), Eps: float64(op.Stats.Eps),
				Persistent: gpuBNPersistent},
				In: r.in(nd, 0), Out: nd}
			mp, ok1 := r.net.byData[&op.Stats.Mean[0]]
			vp, ok2 := r.net.byData[&op.Stats.Var[0]]
			if !ok1 || !ok2 {
				return fmt.Errorf("the GPU engine: a BatchNorm layer's running statistics are not the net's")
			}
			bn.RunMean, bn.RunVar = r.net.weights[mp], r.net.weights[vp]
			if op.Train {
				if bn.Mean, err = d.Alloc(xt.C); err != nil {
					return err
				}
				r.owned = append(r.owned, bn.Mean)
				if bn.InvStd, err = d.Alloc(xt.C); err != nil {
					return err
				}
				r.owned = append(r.owned, bn.InvStd)
				// the fused kernels' two double sums a channel
				if bn.Sums, err = d.Alloc(4 * xt.C); err != nil {
					return err
				}
				r.owned = append(r.owned, bn.Sums)
			} else if r.net.half {
				// evaluation's 1/sqrt(var + eps) (md_bn_invstd)
				if bn.InvStd, err = d.Alloc(xt.C); err != nil {
					return err
				}
				r.owned = append(r.owned, bn.InvStd)
			}
			r.bns[op] = bn
		case *ops.MaxPool2Op, *ops.ScatterOp, *ops.ChanBiasOp, *ops.ChanBiasGradOp:
			for _, n := range append(G.Nodes{nd}, r.Inputs(nd)...) {
				if len(n.Shape()) == 4 {
					if _, err := r.tensor(n); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// searchBuffers gives a convolution's algorithm search buffers of its
// own in place of the non-nil ones of ps when the run is laid out by the
// memory plan, under which its values may share memory (y with dx, dy
// with dx): the search writes them. It returns them, for freeAll after
// the search.
func (r *gpuRun) searchBuffers(ps ...*gpu.Buffer) ([]gpu.Buffer, error) {
	if !r.planned {
		return nil, nil
	}
	d := r.net.dev
	var tmp []gpu.Buffer
	for _, p := range ps {
		if p.Nil() {
			continue
		}
		b, err := d.Alloc(p.N)
		if err != nil {
			return nil, errors.Join(err, freeAll(d, tmp))
		}
		tmp = append(tmp, b)
		*p = b
	}
	return tmp, nil
}

// freeAll frees bs, joining the failures.
func freeAll(d *gpu.Device, bs []gpu.Buffer) error {
	var errs []error
	for _, b := range bs {
		errs = append(errs, d.Free(b))
	}
	return errors.Join(errs...)
}

// tensor is nd's description ([N, C] is [N, C, 1, 1]): NCHW float32, or
// NHWC bfloat16 for a bf16 node.
func (r *gpuRun) tensor(nd *G.Node) (*gpu.Tensor, error) {
	if t, ok := r.desc[nd]; ok {
		return t, nil
	}
	s := nd.Shape()
	dims := [4]int{1, 1, 1, 1}
	if len(s) > 4 {
		return nil, fmt.Errorf("the GPU engine: a tensor of shape %v", s)
	}
	copy(dims[:], s)
	t, err := r.net.dev.NewTensorAs(dims[0], dims[1], dims[2], dims[3], r.half[nd])
	if err != nil {
		return nil, err
	}
	r.desc[nd] = t
	return t, nil
}

func (r *gpuRun) channels(c int) (*gpu.Tensor, error) {
	if t, ok := r.chans[c]; ok {
		return t, nil
	}
	t, err := r.net.dev.NewTensor(1, c, 1, 1)
	if err != nil {
		return nil, err
	}
	r.chans[c] = t
	return t, nil
}

func (r *gpuRun) in(nd *G.Node, i int) *G.Node { return r.Inputs(nd)[i] }

// free returns the run's memory and descriptions; every failure to free
// is joined into the error.
func (r *gpuRun) free() error {
	d := r.net.dev
	var errs []error
	for _, b := range r.owned {
		errs = append(errs, d.Free(b))
	}
	r.owned = nil
	errs = append(errs, d.Free(r.scratch))
	for _, p := range r.stage {
		d.FreePinned(p)
	}
	for _, p := range r.pinned {
		d.FreePinned(p)
	}
	r.pinned = nil
	for _, cv := range r.convs {
		cv.Free()
	}
	for _, cv := range r.dxConvs {
		cv.Free()
	}
	for _, t := range r.desc {
		t.Free()
	}
	for _, t := range r.chans {
		t.Free()
	}
	return errors.Join(errs...)
}

// bytes is the device memory this run allocated.
func (r *gpuRun) bytes() int64 {
	var n int64
	for _, b := range r.owned {
		n += 4 * int64(b.N)
	}
	return n + 4*int64(r.scratch.N)
}

// hold uploads x into both batch buffers once: steps then train on it
// with no upload (what torch_ref.py's bench does: its batch lives on the
// GPU).
func (r *gpuRun) hold(x []float32) error {
	for range r.xs {
		if err := r.upload(x); err != nil {
			return err
		}
		r.gen++
	}
	r.held = true
	return nil
}

// stageNext is the page-locked memory the next step's batch goes up
// from (Net.InputBatch): the stages take turns, so that with a step in
// flight (QueueTrainStep) the host fills one while the other's upload may
// not have run yet. A step's upload is done before its loss's mark
// passes, so a stage is free again once the step before the next has
// been read (TrainResult).
func (r *gpuRun) stageNext() gpu.Pinned { return r.stage[(r.gen+1)%len(r.stage)] }

// upload sends the batch x (zero past its end) up through a pinned stage
// (x itself when it is one, filled in place: Net.InputBatch) into the
// buffer the last step did not use, beside whatever the device is still
// doing; the copy waits until the step before that last one, which read
// the buffer, is done with it.
func (r *gpuRun) upload(x []float32) error {
	st := r.stageNext()
	for _, p := range r.stage {
		if h := p.Floats(); len(x) > 0 && &x[0] == &h[0] { // filled in place: nothing to copy
			st = p
		}
	}
	h := st.Floats()
	if len(x) == 0 || &x[0] != &h[0] {
		ops.Copy(h, x) // split between the workers: a good part of a small net's step, on one core
	}
	clear(h[len(x):])
	r.xsSlot = r.gen % len(r.xs)
	b := r.xs[r.xsSlot]
	r.xf = b
	if !r.net.half {
		r.buf[r.gr.x] = b
	}
	return r.net.dev.UploadPinned(b, st, len(h), r.xsSlot)
}
