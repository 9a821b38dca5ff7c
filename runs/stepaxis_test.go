package runs

import (
	"math"
	"slices"
	"testing"
)

// TestOnOneStepAxis: runs of different lengths lie on one axis from step
// 0 to the longest run's last step: a run half as long fills the first
// half of the columns and leaves gaps after; a run whose points are
// sparser than the columns is carried across the columns between them,
// not drawn as dots; before a run's first point there is a gap.
func TestOnOneStepAxis(t *testing.T) {
	steps := func(from, to, by int) []int {
		var s []int
		for v := from; v <= to; v += by {
			s = append(s, v)
		}
		return s
	}
	fill := func(n int, v float64) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = v
		}
		return s
	}
	long := StepCurve{Steps: steps(10, 1000, 10), Values: fill(100, 1)}
	half := StepCurve{Steps: steps(10, 500, 10), Values: fill(50, 2)}
	sparse := StepCurve{Steps: []int{500, 1000}, Values: []float64{3, 4}}
	series, last := OnOneStepAxis([]StepCurve{long, half, sparse}, 10)
	if last != 1000 {
		t.Fatalf("last step %d, want 1000", last)
	}
	nan := math.NaN()
	want := [][]float64{
		fill(10, 1),
		{2, 2, 2, 2, 2, nan, nan, nan, nan, nan},
		{nan, nan, nan, nan, 3, 3, 3, 3, 3, 4},
	}
	for i := range want {
		if !slices.EqualFunc(series[i], want[i], func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }) {
			t.Errorf("run %d: %v, want %v", i, series[i], want[i])
		}
	}
}
