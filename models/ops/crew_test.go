package ops

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCrewRunsEachSectionOnEveryWorker: each section runs once on the
// caller and once on each helper, back to back and after pauses long
// enough for the helpers to park; a section started from inside a section,
// or while another goroutine holds the crew, is refused (the caller then
// starts goroutines of its own) and nothing is lost.
func TestCrewRunsEachSectionOnEveryWorker(t *testing.T) {
	c := &crew{helpers: 3}
	for i := range 400 {
		if i%100 == 99 {
			time.Sleep(3 * spinFor) // the helpers park
		}
		var n atomic.Int32
		nested := true
		if !c.run(func() {
			n.Add(1)
			if c.run(func() {}) {
				nested = false
			}
		}) {
			t.Fatalf("section %d: the idle crew refused it", i)
		}
		if got := n.Load(); got != 4 {
			t.Fatalf("section %d ran on %d workers, want 4", i, got)
		}
		if !nested {
			t.Fatalf("section %d: a section inside it ran on the busy crew", i)
		}
	}
	// Four goroutines at once: every section runs exactly once, on the
	// crew or refused by it.
	var ran, refused atomic.Int32
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				var n atomic.Int32
				if c.run(func() { n.Add(1) }) {
					if n.Load() != 4 {
						t.Errorf("a section ran on %d workers, want 4", n.Load())
					}
					ran.Add(1)
				} else {
					refused.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if ran.Load()+refused.Load() != 800 || ran.Load() == 0 {
		t.Errorf("%d sections ran on the crew and %d were refused, of 800", ran.Load(), refused.Load())
	}
	if (&crew{}).run(func() { t.Error("a crew without helpers ran a section") }) {
		t.Error("a crew without helpers took a section")
	}
}

// TestCrewNoLostWakeUp: fifteen helpers on more threads than there are
// cores, sections asked for from fresh goroutines (as Gorgonia's tape
// machine does) after pauses around spinFor, where helpers park and wake:
// every section runs on all sixteen workers and none waits for a helper
// that slept through it. With wake-ups as tokens on a channel a section
// hung within the first few hundred (a helper that had run it took the
// token of one still parked).
func TestCrewNoLostWakeUp(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(16))
	c := &crew{helpers: 15}
	r := rand.New(rand.NewPCG(1, 2))
	pauses := []time.Duration{0, 20 * time.Microsecond, spinFor - 100*time.Microsecond, spinFor + 100*time.Microsecond, 2 * spinFor}
	end := time.Now().Add(2 * time.Second)
	for i := 0; i < 3000 && time.Now().Before(end); i++ {
		time.Sleep(pauses[r.IntN(len(pauses))])
		var n atomic.Int32
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.run(func() { n.Add(1) })
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("section %d hung: %d of 16 workers ran it, %d helpers parked", i, n.Load(), c.parked.Load())
		}
		if got := n.Load(); got != 16 {
			t.Fatalf("section %d ran on %d workers, want 16", i, got)
		}
	}
}
