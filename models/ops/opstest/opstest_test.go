package opstest

import (
	"math"
	"testing"
)

// TestRelErrFailsOnNaN: a NaN on either side is an infinite error (so a
// test's `e > tol` fails on it), equal values none, and a 1% change 1%.
func TestRelErrFailsOnNaN(t *testing.T) {
	nan := float32(math.NaN())
	for _, c := range []struct {
		name      string
		got, want []float32
		e         float64
	}{
		{"equal", []float32{3, 4}, []float32{3, 4}, 0},
		{"one percent", []float32{3.03, 4.04}, []float32{3, 4}, 0.01},
		{"NaN got", []float32{nan, 4}, []float32{3, 4}, math.Inf(1)},
		{"NaN want", []float32{3, 4}, []float32{3, nan}, math.Inf(1)},
	} {
		if e := RelErr(c.got, c.want); !(math.Abs(e-c.e) < 1e-6 || e == c.e) {
			t.Errorf("%s: RelErr %v, want %v", c.name, e, c.e)
		}
		w := []float64{float64(c.want[0]), float64(c.want[1])}
		if e := RelErr64(c.got, w); !(math.Abs(e-c.e) < 1e-6 || e == c.e) {
			t.Errorf("%s: RelErr64 %v, want %v", c.name, e, c.e)
		}
	}
}

// TestRelDiffFailsOnNaN: one value's relative difference, +Inf for a NaN.
func TestRelDiffFailsOnNaN(t *testing.T) {
	if e := RelDiff(2.02, 2); math.Abs(e-0.01) > 1e-12 {
		t.Errorf("RelDiff(2.02, 2) = %v, want 0.01", e)
	}
	if e := RelDiff(math.NaN(), 2); !math.IsInf(e, 1) {
		t.Errorf("RelDiff(NaN, 2) = %v, want +Inf", e)
	}
	if e := RelDiff(2, math.NaN()); !math.IsInf(e, 1) {
		t.Errorf("RelDiff(2, NaN) = %v, want +Inf", e)
	}
}
