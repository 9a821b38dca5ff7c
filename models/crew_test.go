package models

import (
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
