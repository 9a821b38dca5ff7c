// Package opstest holds what the tests of package ops, package models and
// package gpu share: random inputs, comparisons of float32 slices and a
// float64 BatchNorm to check the float32 ones against.
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

// BatchNormInputs is a BatchNorm test case of shape [n, c, hw]: x with a
// different spread and mean in each channel, dy standard normal, γ in
// [0.5, 1.5) and β standard normal.
func BatchNormInputs(r *rand.Rand, n, c, hw int) (x, dy, gamma, beta []float32) {
	x, dy = make([]float32, n*c*hw), make([]float32, n*c*hw)
	gamma, beta = make([]float32, c), make([]float32, c)
	for ch := range c {
		gamma[ch], beta[ch] = float32(0.5+r.Float64()), float32(r.NormFloat64())
	}
	for i := range x {
		ch := (i / hw) % c
		x[i] = float32(r.NormFloat64()*(1+float64(ch%5)) + float64(ch%3))
		dy[i] = float32(r.NormFloat64())
	}
	return x, dy, gamma, beta
}

// BatchNormReference is BatchNorm's training forward and backward in
// float64: y, dx, dγ, dβ for x and dy of shape [n, c, hw].
func BatchNormReference(x, dy, gamma, beta []float32, n, c, hw int, eps float64) (y, dx, dgamma, dbeta []float64) {
	y, dx = make([]float64, len(x)), make([]float64, len(x))
	dgamma, dbeta = make([]float64, c), make([]float64, c)
	m := float64(n * hw)
	for ch := range c {
		var mu, v float64
		each := func(f func(i int)) {
			for img := range n {
				for j := range hw {
					f((img*c+ch)*hw + j)
				}
			}
		}
		each(func(i int) { mu += float64(x[i]) })
		mu /= m
		each(func(i int) { d := float64(x[i]) - mu; v += d * d })
		inv := 1 / math.Sqrt(v/m+eps)
		each(func(i int) {
			xh := (float64(x[i]) - mu) * inv
			y[i] = float64(gamma[ch])*xh + float64(beta[ch])
			dbeta[ch] += float64(dy[i])
			dgamma[ch] += float64(dy[i]) * xh
		})
		each(func(i int) {
			xh := (float64(x[i]) - mu) * inv
			dx[i] = float64(gamma[ch]) * inv * (float64(dy[i]) - dbeta[ch]/m - xh*dgamma[ch]/m)
		})
	}
	return
}

// RelErr is ‖got − want‖ / ‖want‖ (‖want‖ at least 1e-30), or +Inf
// where that is not a number (a NaN on either side): a test's `e > tol`
// then fails, where a NaN would pass it (the GPU emulator fills fresh
// memory with NaN so that a value read before it is written shows).
func RelErr(got, want []float32) float64 {
	var d, n float64
	for i := range want {
		e := float64(got[i]) - float64(want[i])
		d += e * e
		n += float64(want[i]) * float64(want[i])
	}
	return notNaN(math.Sqrt(d) / math.Max(math.Sqrt(n), 1e-30))
}

// RelErr64 is ‖got − want‖ / ‖want‖, against float64 values; +Inf for a
// NaN, as RelErr.
func RelErr64(got []float32, want []float64) float64 {
	var d, s float64
	for i, w := range want {
		e := float64(got[i]) - w
		d += e * e
		s += w * w
	}
	return notNaN(math.Sqrt(d / math.Max(s, 1e-300)))
}

// RelDiff is |got − want| / |want| (|want| at least 1e-30), or +Inf for
// a NaN, as RelErr: for one value, a loss.
func RelDiff(got, want float64) float64 {
	return notNaN(math.Abs(got-want) / math.Max(math.Abs(want), 1e-30))
}

// notNaN is e, or +Inf for NaN.
func notNaN(e float64) float64 {
	if math.IsNaN(e) {
		return math.Inf(1)
	}
	return e
}
