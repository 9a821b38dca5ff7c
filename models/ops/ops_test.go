package ops

import (
	"sync/atomic"
	"testing"
)

// Every item of [0, n) is visited exactly once, chunk indexes stay below
// chunks(n), and the split is the same from one call to the next.
func TestParallelVisitsEachItemOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 7, 16, 31, 32, 33, 100, 4096} {
		seen := make([]atomic.Int32, n)
		parallel(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				seen[i].Add(1)
			}
		})
		for i := range seen {
			if v := seen[i].Load(); v != 1 {
				t.Fatalf("parallel(%d): item %d visited %d times", n, i, v)
			}
		}
		k := chunks(n)
		split := func() []int {
			first := make([]int, k)
			for i := range first {
				first[i] = -1
			}
			parallelIdx(n, func(ch, lo, hi int) {
				if ch < 0 || ch >= k {
					t.Errorf("parallelIdx(%d): chunk %d out of [0,%d)", n, ch, k)
					return
				}
				first[ch] = lo
			})
			return first
		}
		a, b := split(), split()
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("parallelIdx(%d): chunk %d starts at %d, then at %d", n, i, a[i], b[i])
			}
		}
	}
}

// TestCopySplitsWhole: Copy copies every value, split or not, up to the
// shorter slice.
func TestCopySplitsWhole(t *testing.T) {
	for _, n := range []int{0, 5, 1 << 16, 3<<17 + 7} {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(i) + 0.5
		}
		dst := make([]float32, n+3)
		if got := Copy(dst, src); got != n {
			t.Fatalf("n %d: copied %d", n, got)
		}
		for i, v := range src {
			if dst[i] != v {
				t.Fatalf("n %d: value %d is %v, want %v", n, i, dst[i], v)
			}
		}
		if dst[n] != 0 {
			t.Fatalf("n %d: wrote past src", n)
		}
	}
}
