package cpupeak

import (
	"runtime"
	"sync"
	"time"
)

// Peak is a measured float32 peak.
type Peak struct {
	FLOPs   float64 // per second, all threads together
	Threads int
	Unit    string // the instructions timed: "AVX-512 FMA" or "AVX2 FMA"
}

// Measure times the widest FMA loop this CPU runs on threads goroutines
// (at most GOMAXPROCS) for about d, and reports the best of three tries.
// ok is false where there is no such loop (not x86-64, no FMA, or
// disabled through GODEBUG): the peak is then unknown.
func Measure(threads int, d time.Duration) (p Peak, ok bool) {
	loop, flopsPerTurn, unit := bestLoop()
	if loop == nil {
		return Peak{}, false
	}
	threads = max(1, min(threads, runtime.GOMAXPROCS(0)))
	// Turns per call: 50 MFLOP of AVX-512 (n ≥ 1: the loop counts down).
	const turns = 130_000
	var best float64
	for range 3 {
		var wg sync.WaitGroup
		calls := make([]int, threads)
		start := time.Now()
		deadline := start.Add(d / 3)
		for t := range threads {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					loop(turns)
					calls[t]++
				}
			})
		}
		wg.Wait()
		total := 0
		for _, c := range calls {
			total += c
		}
		best = max(best, float64(total)*turns*flopsPerTurn/time.Since(start).Seconds())
	}
	return Peak{FLOPs: best, Threads: threads, Unit: unit}, true
}
