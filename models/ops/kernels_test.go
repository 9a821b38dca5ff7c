package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/maskdash/maskdash/models/ops/opstest"
)

// TestIm2colSameMatchesGeneral checks the shifted-copy im2col for "same"
// padding against the row-by-row one on odd and even sizes and kernels,
// with rows packed and with rows colStride apart (the gaps untouched).
func TestIm2colSameMatchesGeneral(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct{ c, h, w, k int }{{2, 5, 7, 3}, {3, 8, 8, 3}, {1, 1, 4, 3}, {2, 6, 3, 5}, {1, 2, 2, 5}, {2, 4, 4, 1}} {
		pad := tc.k / 2
		x := opstest.RandInput(r, tc.c*tc.h*tc.w)
		hw, rows := tc.h*tc.w, tc.c*tc.k*tc.k
		for _, ld := range []int{hw, colStride(hw)} {
			want, got := make([]float32, rows*ld), make([]float32, rows*ld)
			for i := range got {
				want[i], got[i] = 77, 99 // every element of a row must be written
			}
			im2colRows(x, want, tc.c, tc.h, tc.w, tc.k, pad, tc.h, tc.w, ld)
			im2colSame(x, got, tc.c, tc.h, tc.w, tc.k, pad, ld)
			for i := range want {
				if i%ld >= hw {
					if want[i] != 77 || got[i] != 99 {
						t.Fatalf("%+v ld %d: the gap after a row was written at %d", tc, ld, i)
					}
					continue
				}
				if want[i] != got[i] {
					t.Fatalf("%+v ld %d: col[%d] = %v, want %v", tc, ld, i, got[i], want[i])
				}
			}
		}
	}
}

// TestKernelsMatchGo checks the build's plane kernels (C in the openblas
// build, AVX2 assembly in the default build on x86-64) against the
// pure-Go ones on odd lengths, misaligned slices and in-place use.
func TestKernelsMatchGo(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	closeTo := func(what string, a, b float32) {
		t.Helper()
		if math.Abs(float64(a-b)) > 1e-4*math.Max(1, math.Abs(float64(b))) {
			t.Fatalf("%s: %v, Go %v", what, a, b)
		}
	}
	for _, n := range []int{1, 7, 8, 9, 33, 4096} {
		// Slices that start off a 32-byte boundary.
		x, d := opstest.RandInput(r, n+3)[3:], opstest.RandInput(r, n+1)[1:]
		s, q := kSumSq(x)
		gs, gq := goSumSq(x)
		closeTo("sum", s, gs)
		closeTo("sum of squares", q, gq)
		for _, relu := range []bool{false, true} {
			a, b := make([]float32, n), make([]float32, n)
			kAffine(a, x, 0.7, -0.1, relu)
			goAffine(b, x, 0.7, -0.1, relu)
			opstest.Near(t, "affine", a, b)
		}
		for _, to := range []string{"none", "in place", "apart"} {
			d1, d2 := append([]float32(nil), d...), append([]float32(nil), d...)
			var o1, o2 []float32
			switch to {
			case "in place":
				o1, o2 = d1, d2
			case "apart":
				o1, o2 = make([]float32, n), make([]float32, n)
			}
			s1, x1 := kSumsAct(o1, d1, x, -0.8, 0.2, 0.05)
			s2, x2 := goSumsAct(o2, d2, x, -0.8, 0.2, 0.05)
			closeTo("Σdy", s1, s2)
			closeTo("Σdy·x", x1, x2)
			opstest.Near(t, "masked dy ("+to+")", d1, d2)
			opstest.Near(t, "masked dy written ("+to+")", o1, o2)
			if to == "apart" && n >= 33 {
				opstest.Near(t, "dy read apart", d1, d)
				masked := 0
				for j, v := range o1 {
					if v == 0 && d[j] != 0 {
						masked++
					}
				}
				if masked == 0 || masked == n {
					t.Errorf("n %d: %d of the values masked: the test's x masks none or all", n, masked)
				}
			}
		}
		r1, r2 := append([]float32(nil), d...), append([]float32(nil), d...)
		kDx(r1, r1, x, 0.3, 64, 0.2, -0.4) // in place
		goDx(r2, d, x, 0.3, 64, 0.2, -0.4)
		opstest.Near(t, "dx", r1, r2)
	}
	for _, hw := range [][2]int{{2, 2}, {5, 7}, {8, 6}, {6, 36}, {16, 17}, {6, 40}, {4, 64}, {7, 33}} {
		h, w := hw[0], hw[1]
		x, dy := opstest.RandInput(r, h*w), opstest.RandInput(r, (h/2)*(w/2))
		x[0] = x[1] // a tie: the first in reading order wins
		for _, virt := range []bool{false, true} {
			for _, a := range []float32{0.6, -0.6} {
				o1, o2 := make([]float32, len(dy)), make([]float32, len(dy))
				kPool(o1, x, h, w, virt, a, 0.1, true)
				goPool(o2, x, h, w, virt, a, 0.1, true)
				opstest.Near(t, "pool", o1, o2)
				g1, g2 := append([]float32(nil), dy...), append([]float32(nil), dy...)
				p1, p2 := make([]uint8, len(dy)), make([]uint8, len(dy))
				s1, x1 := kSumsPooled(g1, x, p1, h, w, a, 0.1, 0.02, true, true)
				s2, x2 := goSumsPooled(g2, x, p2, h, w, a, 0.1, 0.02, true, true)
				if math.Abs(float64(s1-s2)) > 1e-4 || math.Abs(float64(x1-x2)) > 1e-4 {
					t.Fatalf("pooled sums: %v %v, Go %v %v", s1, x1, s2, x2)
				}
				opstest.Near(t, "pooled masked g", g1, g2)
				r1, r2 := append([]float32(nil), x...), make([]float32, h*w)
				kDxPooled(r1, g1, r1, p1, h, w, 0.3, 16, 0.2, -0.4) // over x, in place
				goDxPooled(r2, g2, x, p2, h, w, 0.3, 16, 0.2, -0.4)
				opstest.Near(t, "pooled dx", r1, r2)
				for mode := scatterStored; mode <= scatterMin; mode++ {
					d1, d2 := make([]float32, h*w), make([]float32, h*w)
					kScatter(d1, dy, x, o1, h, w, mode)
					goScatter(d2, dy, x, o2, h, w, mode)
					opstest.Near(t, "scatter", d1, d2)
				}
			}
		}
	}
}
