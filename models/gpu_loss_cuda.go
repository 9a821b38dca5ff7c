//go:build cuda || gpuemu

package models

import (
	"fmt"
	"slices"
	"time"

	G "gorgonia.org/gorgonia"

	"github.com/maskdash/maskdash/models/gpu"
	"github.com/maskdash/maskdash/models/ops"
)

// gpuLossBufs is the device memory of a loss computed on the GPU, for one
// batch size and one set of heads: each head's labels, its logits and
// their gradient copied out of the joint matrix when there are several
// heads, every term's per-row losses, and soft F1's counts.
type gpuLossBufs struct {
	rows, k, terms int
	heads          []int
	labels         []gpu.Buffer // per head, int32 a row
	x, dx          []gpu.Buffer // per head, rows × size (several heads only)
	loss           gpu.Buffer   // heads × terms × rows floats
	counts         gpu.Buffer   // soft F1: tp, sp, sy, size doubles each
	// adj is per head the logit-adjusted loss's shift of the logits, and
	// adjUp the values it holds: they change once an epoch, so a step
	// uploads them only when they differ.
	adj   []gpu.Buffer
	adjUp [][]float32
	// rw is per head the rows' weights (--class-weights), uploaded each
	// step they are given, like the labels.
	rw []gpu.Buffer
	// host is the page-locked memory of each step in flight (gpu.Marks
	// of them; a step takes slot gen % gpu.Marks), so that a step queued
	// before the last one's results are read (QueueTrainStepHeld) writes
	// none of its memory.
	host [gpu.Marks]lossHost
}

// lossHost is one step's loss memory on the host.
type lossHost struct {
	loss   gpu.Pinned // the per-row losses
	logits gpu.Pinned
	// The labels go up from page-locked memory: from pageable memory
	// CUDA may wait for the stream before it copies (the forward pass,
	// queued before them), where from page-locked memory the copy is
	// queued. The slot's next step writes them again only after
	// collect, whose mark comes after these copies.
	labels gpu.Pinned // heads × rows int32
	rw     gpu.Pinned // heads × rows floats: the rows' weights, when given
}

// lossFetch is a step's device loss on its way to the host: deviceLossStep
// queues the downloads of the logits and the per-row losses and the
// backward pass after them; fetchLoss waits for the downloads alone once
// the whole step is queued, so the GPU goes on with the backward pass
// while the host waits (before the twenty-fourth session the host waited
// for the forward pass and the downloads before it queued the backward
// pass, and the GPU sat idle while it did).
type lossFetch struct {
	l    *DeviceLoss
	bufs *gpuLossBufs
	op   *ops.LossOp
	slot int // its host memory and mark
}

// collect waits for the oldest queued step's device loss (lossFetch) and
// sets the run's loss and logits from it; a no-op when no step waits (the
// loss ran on the host, which set them as the step ran).
func (r *gpuRun) collect() error {
	if len(r.fetches) == 0 {
		return nil
	}
	f := r.fetches[0]
	r.fetches = r.fetches[1:]
	t0 := time.Now()
	if err := r.net.dev.WaitMark(f.slot); err != nil {
		return err
	}
	r.waited += time.Since(t0)
	n := f.bufs.rows * f.bufs.k
	if len(r.logits) != n {
		r.logits = make([]float32, n)
	}
	h := &f.bufs.host[f.slot]
	copy(r.logits, h.logits.Floats()[:n])
	r.loss = f.l.Total(h.loss.Floats(), f.bufs.rows)
	f.op.Last = r.loss
	return nil
}

// deviceLossStep queues the loss l and its gradient on the device from
// the logits (node nd's input): every term's kernels write its per-row
// losses and add its share of the gradient, which never leaves the GPU;
// the logits (for the metrics) and the per-row losses come down, read
// by collect once the step is queued (TrainStep), or once the next is
// (a pipelined step, QueueTrainStepHeld).
func (r *gpuRun) deviceLossStep(nd *G.Node, l *DeviceLoss, op *ops.LossOp) error {
	d := r.net.dev
	x := r.in(nd, 0)
	s := x.Shape()
	rows, k := s[0], s[1]
	if err := checkDeviceLoss(l, rows, k); err != nil {
		return err
	}
	bufs, err := r.lossBufs(rows, k, len(l.Terms), l.Heads)
	if err != nil {
		return err
	}
	slot := r.gen % gpu.Marks
	host := &bufs.host[slot]
	dlogits := r.buf[r.dlossNode]
	if err := d.Zero(dlogits); err != nil {
		return err
	}
	off := 0
	for h, size := range l.Heads {
		staged := host.labels.Int32s()[h*rows : (h+1)*rows]
		copy(staged, l.Labels[h])
		if err := gpu.Upload(d, bufs.labels[h], staged); err != nil {
			return err
		}
		var rw gpu.Buffer // none: a NULL pointer, every row weighs 1
		if h < len(l.RowWeights) {
			staged := host.rw.Floats()[h*rows : (h+1)*rows]
			copy(staged, l.RowWeights[h])
			if err := gpu.Upload(d, bufs.rw[h], staged); err != nil {
				return err
			}
			rw = bufs.rw[h]
		}
		if h < len(l.Adjust) && !slices.Equal(bufs.adjUp[h], l.Adjust[h]) {
			// Queued after the steps before, which read the old values:
			// from pageable memory, as it changes once an epoch.
			if err := gpu.Upload(d, bufs.adj[h], l.Adjust[h]); err != nil {
				return err
			}
			bufs.adjUp[h] = slices.Clone(l.Adjust[h])
		}
		hx, hdx := r.buf[x], dlogits
		if len(l.Heads) > 1 {
			hx, hdx = bufs.x[h], bufs.dx[h]
			if err := d.CopyColumns(hx, size, 0, r.buf[x], k, off, size, rows); err != nil {
				return err
			}
			if err := d.Zero(hdx); err != nil {
				return err
			}
		}
		for t, term := range l.Terms {
			lossRows := bufs.loss.At((h*len(l.Terms) + t) * rows)
			if err := r.lossTerm(term, l, rows, size, hx, bufs.labels[h], rw, bufs.adj[h], lossRows, bufs.counts, hdx); err != nil {
				return err
			}
		}
		if len(l.Heads) > 1 {
			if err := d.CopyColumns(dlogits, k, off, hdx, size, 0, size, rows); err != nil {
				return err
			}
		}
		off += size
	}
	if err := d.DownloadPinned(host.logits, r.buf[x], rows*k); err != nil {
		return err
	}
	if err := d.DownloadPinned(host.loss, bufs.loss, host.loss.N); err != nil {
		return err
	}
	if err := d.Mark(slot); err != nil {
		return err
	}
	r.fetches = append(r.fetches, &lossFetch{l: l, bufs: bufs, op: op, slot: slot})
	return nil
}

// lossTerm queues one term's kernels for one head: per-row losses into
// loss (soft F1: the batch's into its first value) and weight × the
// term's gradient added to dx; rw is the rows' weights for ce, smooth and
// focal (a zero Buffer: none), adj the head's shift of the logits for the
// logit-adjusted term.
func (r *gpuRun) lossTerm(term DeviceLossTerm, l *DeviceLoss, rows, size int, x, labels, rw, adj, loss, counts, dx gpu.Buffer) error {
	d := r.net.dev
	switch term.Kind {
	case LossCE, LossSmooth:
		s := 0.0
		if term.Kind == LossSmooth {
			s = l.Smoothing
		}
		return d.Launch("md_smooth_ce", rows, rows, size, x, labels, rw, s, term.Weight, loss, dx)
	case LossFocal:
		return d.Launch("md_focal", rows, rows, size, x, labels, rw, l.Gamma, term.Weight, loss, dx)
	case LossLA:
		return d.Launch("md_la_ce", rows, rows, size, x, labels, adj, term.Weight, loss, dx)
	case LossF1:
		tp, sp, sy := counts, counts.At(2*size), counts.At(4*size)
		if err := d.Launch("md_f1_counts", size, rows, size, x, labels, tp, sp, sy); err != nil {
			return err
		}
		return d.Launch("md_f1_grad", rows, rows, size, x, labels, tp, sp, sy, l.Eps, term.Weight, loss, dx)
	}
	return fmt.Errorf("the GPU engine: loss term %d is not one it knows", term.Kind)
}

// checkDeviceLoss says, as an error, what in l does not fit logits of
// rows × k.
func checkDeviceLoss(l *DeviceLoss, rows, k int) error {
	sum := 0
	for _, h := range l.Heads {
		sum += h
	}
	switch {
	case len(l.Heads) == 0 || sum != k:
		return fmt.Errorf("the loss on the GPU: heads %v for %d logits a row", l.Heads, k)
	case len(l.Labels) != len(l.Heads):
		return fmt.Errorf("the loss on the GPU: labels for %d heads, %d heads", len(l.Labels), len(l.Heads))
	case len(l.Terms) == 0:
		return fmt.Errorf("the loss on the GPU: no terms")
	}
	if slices.ContainsFunc(l.Terms, func(t DeviceLossTerm) bool { return t.Kind == LossLA }) {
		if len(l.Adjust) != len(l.Heads) {
			return fmt.Errorf("the loss on the GPU: the logit-adjusted term has shifts for %d heads, %d heads", len(l.Adjust), len(l.Heads))
		}
		for h, a := range l.Adjust {
			if len(a) != l.Heads[h] {
				return fmt.Errorf("the loss on the GPU: %d shifts for head %d of %d classes", len(a), h, l.Heads[h])
			}
		}
	}
	if l.RowWeights != nil && len(l.RowWeights) != len(l.Heads) {
		return fmt.Errorf("the loss on the GPU: row weights for %d heads, %d heads", len(l.RowWeights), len(l.Heads))
	}
	for h, rw := range l.RowWeights {
		if len(rw) != rows {
			return fmt.Errorf("the loss on the GPU: %d row weights for head %d, %d rows", len(rw), h, rows)
		}
	}
	for h, lab := range l.Labels {
		if len(lab) != rows {
			return fmt.Errorf("the loss on the GPU: %d labels for head %d, %d rows", len(lab), h, rows)
		}
		for _, c := range lab {
			if c < 0 || int(c) >= l.Heads[h] {
				return fmt.Errorf("the loss on the GPU: label %d for a head of %d classes", c, l.Heads[h])
			}
		}
	}
	return nil
}

// lossBufs returns the loss's device memory for this shape, made on first
// use (and again when the shape changes; the old is freed with the run).
func (r *gpuRun) lossBufs(rows, k, terms int, heads []int) (*gpuLossBufs, error) {
	if b := r.lossMem; b != nil && b.rows == rows && b.k == k && b.terms == terms && slices.Equal(b.heads, heads) {
		return b, nil
	}
	d := r.net.dev
	b := &gpuLossBufs{rows: rows, k: k, terms: terms, heads: append([]int(nil), heads...)}
	pin := func(n int) (gpu.Pinned, error) {
		p, err := d.AllocPinned(n)
		if err == nil {
			r.pinned = append(r.pinned, p)
		}
		return p, err
	}
	alloc := func(n int) (gpu.Buffer, error) {
		buf, err := d.Alloc(n)
		if err == nil {
			r.owned = append(r.owned, buf)
		}
		return buf, err
	}
	var err error
	widest := 0
	for _, size := range heads {
		widest = max(widest, size)
		lab, err := alloc(rows)
		if err != nil {
			return nil, err
		}
		b.labels = append(b.labels, lab)
		adj, err := alloc(size)
		if err != nil {
			return nil, err
		}
		b.adj, b.adjUp = append(b.adj, adj), append(b.adjUp, nil)
		rw, err := alloc(rows)
		if err != nil {
			return nil, err
		}
		b.rw = append(b.rw, rw)
		if len(heads) > 1 {
			hx, err := alloc(rows * size)
			if err != nil {
				return nil, err
			}
			hdx, err := alloc(rows * size)
			if err != nil {
				return nil, err
			}
			b.x, b.dx = append(b.x, hx), append(b.dx, hdx)
		}
	}
	if b.loss, err = alloc(len(heads) * terms * rows); err != nil {
		return nil, err
	}
	if b.counts, err = alloc(6 * widest); err != nil { // three doubles a class
		return nil, err
	}
	for i := range b.host {
		h := &b.host[i]
		if h.loss, err = pin(len(heads) * terms * rows); err != nil {
			return nil, err
		}
		if h.logits, err = pin(rows * k); err != nil {
			return nil, err
		}
		if h.labels, err = pin(len(heads) * rows); err != nil {
			return nil, err
		}
		if h.rw, err = pin(len(heads) * rows); err != nil {
			return nil, err
		}
	}
	r.lossMem = b
	return b, nil
}
