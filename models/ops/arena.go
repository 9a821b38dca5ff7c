package ops

import (
	"sync"

	"gorgonia.org/tensor"
)

// GradArena lends the backward pass's activation-sized gradient buffers.
// Gorgonia gives every node a value of its own for the whole step, so a
// network would hold one gradient per layer at once; here a gradient
// buffer goes back to the arena as soon as the op that reads it is done
// (its only reader: see BNOp.SymDiff), and the next layer's gradient
// reuses it. The lending pattern is the same every step, so after the
// first step nothing is allocated.
type GradArena struct {
	mu   sync.Mutex
	all  [][]float32 // every buffer made, in order
	free []bool      // free[i]: all[i] may be lent
	hint int         // the largest request announced (see expect)
}

// expect announces a request of n floats that some op will make, so that
// the first buffer made is large enough for all of them and the first
// step leaves no smaller ones behind for the garbage collector.
func (a *GradArena) expect(n int) {
	if a != nil {
		a.mu.Lock()
		a.hint = max(a.hint, n)
		a.mu.Unlock()
	}
}

// Reset makes every buffer free again: at the start of a step, whatever
// the last step's backward pass still held is done with.
func (a *GradArena) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.free {
		a.free[i] = true
	}
}

// take lends a buffer of n floats (contents undefined): the smallest free
// one that fits; else a new one, in place of the largest free one that is
// too small (so that layers growing towards the input leave one buffer,
// not one per size).
func (a *GradArena) take(n int) []float32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	best, small := -1, -1
	for i, b := range a.all {
		switch {
		case !a.free[i]:
		case cap(b) >= n && (best < 0 || cap(b) < cap(a.all[best])):
			best = i
		case cap(b) < n && (small < 0 || cap(b) > cap(a.all[small])):
			small = i
		}
	}
	switch {
	case best >= 0:
	case small >= 0:
		best = small
		a.all[best] = make([]float32, max(n, a.hint))
	default:
		a.all = append(a.all, make([]float32, max(n, a.hint)))
		a.free = append(a.free, false)
		best = len(a.all) - 1
	}
	a.free[best] = false
	return a.all[best][:n]
}

// give returns a buffer lent by take; a slice the arena did not lend is
// ignored, so a reader may give back whatever it read.
func (a *GradArena) give(d []float32) {
	if a == nil || cap(d) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	p := &d[:1][0]
	for i, b := range a.all {
		if &b[:1][0] == p {
			a.free[i] = true
			return
		}
	}
}

// lent is a tensor over a buffer from a GradArena, its header reused while
// the arena lends the op the same buffer.
type lent struct {
	t *tensor.Dense
}

// over returns a tensor of the given shape over d.
func (l *lent) over(d []float32, shape ...int) *tensor.Dense {
	if l.t != nil && l.t.Shape().Eq(tensor.Shape(shape)) && &Float32s(l.t)[0] == &d[0] {
		return l.t
	}
	l.t = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...), tensor.WithBacking(d))
	return l.t
}

// from returns a tensor of the given shape over a buffer taken from a
// (or, with no arena, a buffer of the op's own, like buf.raw).
func (l *lent) from(a *GradArena, shape ...int) *tensor.Dense {
	n := 1
	for _, d := range shape {
		n *= d
	}
	var d []float32
	switch {
	case a != nil:
		d = a.take(n)
	case l.t != nil && l.t.Shape().TotalSize() == n:
		d = Float32s(l.t)
	default:
		d = make([]float32, n)
	}
	return l.over(d, shape...)
}
