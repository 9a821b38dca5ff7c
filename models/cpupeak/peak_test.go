package cpupeak

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/cpu"
)

// TestMeasure: where the CPU has FMA the loop runs and reports a rate a
// real core reaches (more than 1 GFLOP/s, less than 10 TFLOP/s a thread),
// on at most GOMAXPROCS threads, named by the widest unit the CPU has.
func TestMeasure(t *testing.T) {
	p, ok := Measure(runtime.GOMAXPROCS(0)+3, 60*time.Millisecond)
	hasFMA := runtime.GOARCH == "amd64" && cpu.X86.HasFMA && (cpu.X86.HasAVX2 || cpu.X86.HasAVX512F)
	if ok != hasFMA {
		t.Fatalf("Measure ok = %v on a CPU with FMA = %v", ok, hasFMA)
	}
	if !ok {
		t.Skip("no FMA loop on this CPU: the peak is unknown, as Measure says")
	}
	if p.Threads != runtime.GOMAXPROCS(0) {
		t.Errorf("threads %d, want GOMAXPROCS %d", p.Threads, runtime.GOMAXPROCS(0))
	}
	if per := p.FLOPs / float64(p.Threads); per < 1e9 || per > 1e13 {
		t.Errorf("%.3g FLOP/s a thread is not a CPU's", per)
	}
	want := "AVX2 FMA"
	if cpu.X86.HasAVX512F {
		want = "AVX-512 FMA"
	}
	if p.Unit != want {
		t.Errorf("unit %q, want %q", p.Unit, want)
	}
}
