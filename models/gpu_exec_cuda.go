//go:build cuda || gpuemu

package models

import (
	"fmt"
	"time"

	G "gorgonia.org/gorgonia"

	"github.com/maskdash/maskdash/models/gpu"
	"github.com/maskdash/maskdash/models/ops"
)

// run queues every op of the graph, in order, on the device (queue), and
// waits for the step's loss and logits (collect). With the loss on the
// host, the loss is the one point where the host waits: the logits come
// down, the ops.LossFunc runs, its gradient goes up. With the loss on the
// device (DeviceLoss) the host waits once the whole step is queued, for
// the loss and logits alone.
func (r *gpuRun) run() error {
	if len(r.fetches) > 0 {
		return fmt.Errorf("%d queued steps' results were not read (TrainResult)", len(r.fetches))
	}
	if err := r.queue(); err != nil {
		return err
	}
	return r.collect()
}

// step uploads batch x (nil: the one held on the device) and queues a
// training step; with wait it collects the step's results too. It counts
// the host's own time in it (the waits left out).
func (r *gpuRun) step(x []float32, wait bool) error {
	start, w0 := time.Now(), r.waited
	if x != nil {
		r.held = false
		t0 := time.Now()
		if err := r.upload(x); err != nil {
			return err
		}
		r.host.add(hostUpload, time.Since(t0))
	}
	if err := r.queue(); err != nil {
		return fmt.Errorf("training step: %w", err)
	}
	if wait {
		if err := r.collect(); err != nil {
			return fmt.Errorf("training step: %w", err)
		}
	}
	if !r.net.profile {
		r.host.step(time.Since(start) - (r.waited - w0))
	}
	return nil
}

// queue queues every op of the graph, in order, on the device; with the
// loss on the device the step's results wait in r.fetches for collect.
func (r *gpuRun) queue() error {
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
		t0 := time.Now()
		w0 := r.waited
		if err := r.exec(nd); err != nil {
			return fmt.Errorf("%s on the GPU: %w", nd.Op(), err)
		}
		if r.net.profile {
			if err := r.net.dev.Sync(); err != nil {
				return err
			}
			r.timeOp(nd, time.Since(t0))
			continue
		}
		r.host.add(opKind(nd), time.Since(t0)-(r.waited-w0)) // the host loss waits inside
	}
	// Past here the step no longer reads its batch's buffer: an upload
	// into it for a later step may begin.
	return r.net.dev.ReleaseInput(r.xsSlot)
}

// First reports whether key's shared work is still to do this step.
func (r *gpuRun) First(key any) bool {
	if r.done[key] == r.gen {
		return false
	}
	r.done[key] = r.gen
	return true
}

// exec queues node nd's op: the loss here (where the run meets the host),
// every other op by its GPU form in package ops, the bfloat16 one when
// nd reads or writes a bfloat16 value.
func (r *gpuRun) exec(nd *G.Node) error {
	switch op := nd.Op().(type) {
	case *ops.LossOp:
		if !r.First(op) {
			return nil
		}
		return r.lossStep(nd, op)
	case *ops.LossDxOp:
		// The loss writes it. Its only input is the constant seed, so the
		// order may put it before the loss: run the loss first then.
		if lop, ok := r.lossNode.Op().(*ops.LossOp); ok && r.First(lop) {
			return r.lossStep(r.lossNode, lop)
		}
		return nil
	}
	if r.touchesHalf(nd) {
		h, ok := nd.Op().(ops.GPUHalfDoer)
		if !ok {
			return fmt.Errorf("the GPU engine has no bf16 form of op %v (%T)", nd.Op(), nd.Op())
		}
		return h.GPUDoHalf(r, nd)
	}
	f, ok := nd.Op().(ops.GPUDoer)
	if !ok {
		return fmt.Errorf("the GPU engine has no form of op %v (%T)", nd.Op(), nd.Op())
	}
	return f.GPUDo(r, nd)
}

// touchesHalf reports whether nd reads or writes a bfloat16 value.
func (r *gpuRun) touchesHalf(nd *G.Node) bool {
	if r.half[nd] {
		return true
	}
	for _, in := range r.Inputs(nd) {
		if r.half[in] {
			return true
		}
	}
	return false
}

// lossStep brings the logits down, runs the ops.LossFunc on the host and
// sends its gradient up.
func (r *gpuRun) lossStep(nd *G.Node, op *ops.LossOp) error {
	if r.devLoss != nil && r.dlossNode != nil {
		return r.deviceLossStep(nd, r.devLoss, op)
	}
	d := r.net.dev
	x := r.in(nd, 0)
	s := x.Shape()
	// A step with the loss on the device sizes the logits but not their
	// gradient, which stays there: a host step after it (a CutMix batch)
	// sizes both.
	if len(r.logits) != s.TotalSize() || len(r.dlogits) != s.TotalSize() {
		r.logits = make([]float32, s.TotalSize())
		r.dlogits = make([]float32, s.TotalSize())
	}
	t0 := time.Now()
	if err := gpu.Download(d, r.logits, r.buf[x]); err != nil {
		return err
	}
	r.waited += time.Since(t0)
	clear(r.dlogits)
	r.loss = (*op.Fn)(r.logits, s[0], s[1], r.dlogits)
	op.Last = r.loss
	if r.dlossNode == nil {
		return nil
	}
	return gpu.Upload(d, r.buf[r.dlossNode], r.dlogits)
}
