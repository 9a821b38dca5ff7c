package ops

import (
	"fmt"
	"hash"
	"hash/fnv"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var opSeq atomic.Uint64

// opBase carries what every op here shares: a unique identity (so that
// Gorgonia's hash-consing never merges two layers) and the boring parts of
// the Op interface.
type opBase struct {
	id   uint64
	name string
}

func newBase(name string) opBase { return opBase{id: opSeq.Add(1), name: name} }

// WriteHash implements G.Op.
func (o opBase) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s#%d", o.name, o.id) }

// Hashcode implements G.Op.
func (o opBase) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

// String implements fmt.Stringer.
func (o opBase) String() string { return o.name }

// ReturnsPtr implements G.Op.
func (o opBase) ReturnsPtr() bool { return false }

// CallsExtern implements G.Op.
func (o opBase) CallsExtern() bool { return false }

// OverwritesInput implements G.Op.
func (o opBase) OverwritesInput() int { return -1 }

// sameShape gives an op whose output has its first input's shape its
// InferShape.
type sameShape struct{}

// InferShape implements G.Op.
func (sameShape) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	return s.Clone(), err
}

// shapes2 returns the shapes of the first two inputs given to InferShape.
func shapes2(in []G.DimSizer) (a, b tensor.Shape, err error) {
	if a, err = shapeOf(in[0]); err != nil {
		return nil, nil, err
	}
	b, err = shapeOf(in[1])
	return a, b, err
}

// fnType returns the type a → … → r of an op taking tensors of the given
// ranks (0: a scalar) and returning a tensor of rank out (0: a scalar).
func fnType(out int, in ...int) hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, 0, len(in)+1)
	for _, d := range in {
		if d == 0 {
			ts = append(ts, a)
		} else {
			ts = append(ts, &G.TensorType{Dims: d, Of: a})
		}
	}
	if out == 0 {
		ts = append(ts, a)
	} else {
		ts = append(ts, &G.TensorType{Dims: out, Of: a})
	}
	return hm.NewFnType(ts...)
}

// Float32s is the float32 values of one of Gorgonia's values (a tensor
// or a scalar); it panics on another type.
func Float32s(v G.Value) []float32 {
	switch t := v.(type) {
	case *tensor.Dense:
		return t.Data().([]float32)
	case *G.F32:
		return []float32{float32(*t)}
	}
	panic(fmt.Sprintf("ops: unexpected value %T", v))
}

// scalarOf returns the single float of a scalar value.
func scalarOf(v G.Value) float32 {
	switch t := v.(type) {
	case *G.F32:
		return float32(*t)
	case *tensor.Dense:
		return t.Data().([]float32)[0]
	}
	panic(fmt.Sprintf("models: unexpected scalar %T", v))
}

// buf is an output buffer an op reuses from step to step.
type buf struct {
	t *tensor.Dense
}

// raw returns a tensor of the given shape whose contents are undefined,
// reusing the last one when the shape matches: for ops that write every
// element.
func (b *buf) raw(shape ...int) *tensor.Dense {
	if b.t == nil || !b.t.Shape().Eq(tensor.Shape(shape)) {
		b.t = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...))
	}
	return b.t
}

// get returns a zero-filled tensor of the given shape, reusing the last one
// when the shape matches: for ops that accumulate.
func (b *buf) get(shape ...int) *tensor.Dense {
	if b.t == nil || !b.t.Shape().Eq(tensor.Shape(shape)) {
		b.t = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...))
		return b.t
	}
	d := b.t.Data().([]float32)
	clear(d)
	return b.t
}

// workers is how many goroutines run an op's parallel sections: the
// GOMAXPROCS the process started with (read before any init function, so
// the OpenBLAS build's spare scheduler slot, see gemm_openblas.go, is not
// counted).
var workers = max(runtime.GOMAXPROCS(0), 1)

// Workers reports how many goroutines run each op's parallel sections:
// the compute threads a benchmark should compare with another library's.
func Workers() int { return workers }

// chunks returns how many chunks parallelIdx splits n items into: eight
// per worker. Ops that keep one accumulator per chunk (a convolution's
// kernel gradient) sum the chunks in index order, so the split must depend
// only on n and the worker count, never on timing; small chunks keep the
// tail short, where one worker waits for the other's last chunk.
func chunks(n int) int { return chunksOf(n, 8) }

// chunksOf splits n items into at most per chunks per worker.
func chunksOf(n, per int) int {
	if n <= 1 {
		return 1
	}
	w := min(per*workers, n)
	step := (n + w - 1) / w
	return (n + step - 1) / step
}

// parallelIdx runs f over [0, n) split into chunks(n) chunks, on one
// goroutine per worker that take chunks in turn: a worker slowed by
// something else (a dashboard redraw, an SSH session, another tenant of
// the machine) simply takes fewer chunks, and no more than one chunk per
// worker holds scratch memory at a time.
func parallelIdx(n int, f func(chunk, lo, hi int)) { parallelK(n, chunks(n), f) }

// parallel runs f over [0, n) like parallelIdx, in up to 16 chunks per
// worker: for ops whose result does not depend on the split, finer chunks
// cost an atomic add each and shorten the tail.
func parallel(n int, f func(lo, hi int)) {
	parallelK(n, chunksOf(n, 16), func(_, lo, hi int) { f(lo, hi) })
}

// Split runs f over [0, n) on the ops' workers, as their parallel
// sections do, when n holds at least minEach items a worker; on the
// caller alone otherwise (a few items are not worth waking the crew).
// For element-wise work outside the graphs: the CPU optimizer's update.
func Split(n, minEach int, f func(lo, hi int)) {
	if n < minEach*workers || workers < 2 {
		f(0, n)
		return
	}
	parallel(n, f)
}

// parallelK runs f over [0, n) in k chunks of equal size (the last may be
// shorter), on the crew (crew.go) or, when it is busy, on goroutines of
// its own.
func parallelK(n, k int, f func(chunk, lo, hi int)) {
	if k <= 1 || n <= 1 {
		f(0, 0, n)
		return
	}
	step := (n + k - 1) / k
	var next atomic.Int64
	work := func() {
		for {
			c := int(next.Add(1) - 1)
			if c >= k {
				return
			}
			lo, hi := c*step, min((c+1)*step, n)
			if lo < hi {
				f(c, lo, hi)
			}
		}
	}
	if theCrew.run(work) {
		return
	}
	var wg sync.WaitGroup
	for range min(workers, k) - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}

// freeList lends float32 scratch buffers (im2col columns, Winograd's
// transforms). Unlike sync.Pool, a buffer given back is found by the next
// take on any thread, so a list holds exactly as many buffers as were
// ever in use at once (the workers); with sync.Pool's per-P slots the
// count, and the peak memory, drifted by a few 4.7 MB buffers from run
// to run.
type freeList struct {
	mu   sync.Mutex
	free [][]float32
}

// take returns a buffer of length n (contents undefined).
func (l *freeList) take(n int) []float32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.free) - 1; i >= 0; i-- {
		if b := l.free[i]; cap(b) >= n {
			l.free = append(l.free[:i], l.free[i+1:]...)
			return b[:n]
		}
	}
	if k := len(l.free); k > 0 {
		// Replace a buffer that is too small rather than keep both.
		l.free = l.free[:k-1]
	}
	return make([]float32, n)
}

// give returns a buffer from take.
func (l *freeList) give(b []float32) {
	l.mu.Lock()
	l.free = append(l.free, b)
	l.mu.Unlock()
}

// shapeOf returns the shape of a DimSizer given to InferShape.
func shapeOf(d G.DimSizer) (tensor.Shape, error) {
	if s, ok := d.(tensor.Shape); ok {
		return s, nil
	}
	return nil, fmt.Errorf("models: expected a shape, got %T", d)
}

// Copy copies src into dst (as copy does, up to the shorter one's
// length) split between the workers when it is large: a batch of 256
// images of 64×64 is 12.6 MB, which one core here copies in 0.38 ms and
// two in 0.21 (`go test ./models/ops -run XX -bench BenchmarkCopy`), a
// quarter of cnn-s's step on an H100 at that batch. It returns how many
// values it copied.
func Copy(dst, src []float32) int {
	n := min(len(dst), len(src))
	Split(n, 1<<16, func(lo, hi int) { copy(dst[lo:hi], src[lo:hi]) })
	return n
}
