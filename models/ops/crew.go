package ops

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A crew is the workers−1 goroutines that run the ops' parallel sections
// together with the goroutine that asks. Starting fresh goroutines for each
// section left the second core idle for about 110 µs a section on this
// machine (its thread was parked in the kernel and had to be woken): a
// vgg-s step has 37 sections, so 4 ms of its 100 on one core. Helpers
// that stay, and spin a little after each section before they park, start
// within microseconds.
//
// One section runs on the crew at a time; a section that finds the crew
// busy (a second network training in the same process, or a section inside
// a section) starts goroutines of its own, as before.
type crew struct {
	mu      sync.Mutex // held by the section running on the crew
	once    sync.Once
	helpers int

	seq     atomic.Uint64 // bumped for each section
	work    func()        // the current section's; written before seq is bumped
	pending atomic.Int32  // helpers still in the current section
	done    sync.WaitGroup

	parked atomic.Int32 // helpers waiting on wake (changed with parkMu held)
	parkMu sync.Mutex
	wake   *sync.Cond // on parkMu: broadcast when seq moves while a helper waits
}

// spinFor is how long a helper polls for the next section before it parks,
// and how long the asking goroutine polls for the helpers to finish before
// it blocks. A training step's gaps between sections are tens of
// microseconds; the longer ones (the optimizer, the data loader) are
// worth a park.
const spinFor = time.Millisecond

var theCrew = &crew{helpers: workers - 1}

// run runs work on the calling goroutine and every helper, and returns
// when all have returned. It reports false, having run nothing, when the
// crew is busy or has no helpers.
func (c *crew) run(work func()) bool {
	if c.helpers < 1 || !c.mu.TryLock() {
		return false
	}
	defer c.mu.Unlock()
	c.once.Do(c.start)
	c.work = work
	c.pending.Store(int32(c.helpers))
	c.done.Add(c.helpers)
	c.seq.Add(1)
	if c.parked.Load() > 0 {
		c.parkMu.Lock()
		c.wake.Broadcast()
		c.parkMu.Unlock()
	}
	work()
	for deadline := time.Now().Add(spinFor); c.pending.Load() > 0 && time.Now().Before(deadline); {
		runtime.Gosched()
	}
	c.done.Wait()
	return true
}

func (c *crew) start() {
	c.wake = sync.NewCond(&c.parkMu)
	for range c.helpers {
		go c.helper()
	}
}

// helper runs each section once, then waits for the next.
func (c *crew) helper() {
	var seen uint64
	for {
		seen = c.next(seen)
		c.work()
		c.pending.Add(-1)
		c.done.Done()
	}
}

// next waits until a section after seen is published and returns its
// number: polling for spinFor, then parked until run wakes it. A helper
// counts itself parked, under parkMu, before its last look, so a section
// published after that look finds it counted and broadcasts, which it
// cannot do before the helper waits (the broadcast takes parkMu too).
// The wake-up is the condition itself, looked at again, not a token: an
// earlier version sent one token per helper on a channel, and a helper
// that had already run the section could take a token meant for one
// still parked, which then slept through the section while run waited
// for it (a hang, seen on a 16-core machine and reproduced with
// TestCrewNoLostWakeUp).
func (c *crew) next(seen uint64) uint64 {
	for deadline := time.Now().Add(spinFor); time.Now().Before(deadline); {
		if q := c.seq.Load(); q != seen {
			return q
		}
		runtime.Gosched()
	}
	c.parkMu.Lock()
	defer c.parkMu.Unlock()
	c.parked.Add(1)
	for c.seq.Load() == seen {
		c.wake.Wait()
	}
	c.parked.Add(-1)
	return c.seq.Load()
}
