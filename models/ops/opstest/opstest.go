// Package opstest holds what the tests of package ops and of package
// models share: random inputs and a comparison of float32 slices.
package opstest

import (
	"math"
	"math/rand/v2"
	"testing"
)

// RandInput is n standard normal values.
func RandInput(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// Near fails the test at the first value of a that is not within 1e-3
// (relative past 1) of b's, naming it.
func Near(t *testing.T, what string, a, b []float32) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d values, want %d", what, len(a), len(b))
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-3*math.Max(1, math.Abs(float64(b[i]))) {
			t.Fatalf("%s[%d]: %v, want %v", what, i, a[i], b[i])
		}
	}
}
