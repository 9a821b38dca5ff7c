package training

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestParseLoss(t *testing.T) {
	l, err := ParseLoss("0.6focal+0.4f1")
	if err != nil || len(l.Terms) != 2 || l.Terms[0] != (LossTerm{"focal", 0.6}) || l.Terms[1] != (LossTerm{"f1", 0.4}) {
		t.Fatalf("%+v %v", l, err)
	}
	if l, err := ParseLoss("cross_entropy"); err != nil || l.Terms[0].Name != "ce" {
		t.Fatalf("alias: %+v %v", l, err)
	}
	_, err = ParseLoss("0.5dice")
	if err == nil || !strings.Contains(err.Error(), "ce, focal, smooth, f1") {
		t.Errorf("unknown loss error should list the valid ones: %v", err)
	}
	for _, spec := range []string{"focal+", "+ce", "0.5+f1", "ce++f1"} {
		if _, err := ParseLoss(spec); err == nil || !strings.Contains(err.Error(), "has no loss name") {
			t.Errorf("%q: %v, want the empty term named", spec, err)
		}
	}
}

func TestLossValues(t *testing.T) {
	x := []float32{0, 0, 0}
	y := []int{0}
	val := func(spec string) float64 {
		l, _ := ParseLoss(spec)
		l.Smoothing = 0.2
		return l.Func(y, []int{3})(x, 1, 3, make([]float32, 3))
	}
	ln3 := math.Log(3)
	for spec, want := range map[string]float64{
		"ce":     ln3,
		"focal":  4.0 / 9 * ln3, // (1 − 1/3)² · log 3
		"smooth": ln3,           // uniform prediction: any target distribution costs log 3
		// Class 0: tp = 1/3, precision (1/3)/(1/3) = 1, recall 1/3, F1 = 1/2;
		// the other classes have F1 0 (clamped to ε): 1 − (1/2)/3.
		"f1": 1 - 0.5/3,
	} {
		if got := val(spec); math.Abs(got-want) > 1e-6 {
			t.Errorf("%s = %.6f, want %.6f", spec, got, want)
		}
	}
	if got, want := val("0.6focal+0.4ce"), 0.6*4.0/9*ln3+0.4*ln3; math.Abs(got-want) > 1e-6 {
		t.Errorf("weighted sum = %v, want %v", got, want)
	}
}

// TestLossGradients checks every loss (single and multi-head) against
// central finite differences.
func TestLossGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, spec := range []string{"ce", "focal", "smooth", "f1", "0.6focal+0.4f1"} {
		for _, heads := range [][]int{{18}, {3, 2, 3}} {
			l, _ := ParseLoss(spec)
			n, k := 6, 0
			for _, h := range heads {
				k += h
			}
			x := make([]float32, n*k)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			labels := make([]int, n)
			for i := range labels {
				labels[i] = r.IntN(18)
			}
			checkLossGradient(t, r, fmt.Sprintf("%s heads %v", spec, heads), l.Func(labels, heads), x, n, k)
		}
	}
}

// checkLossGradient compares f's gradient with central differences at
// 12 random logits of x (n rows of k).
func checkLossGradient(t *testing.T, r *rand.Rand, what string, f func(x []float32, n, k int, g []float32) float64, x []float32, n, k int) {
	t.Helper()
	g := make([]float32, n*k)
	f(x, n, k, g)
	for range 12 {
		i := r.IntN(len(x))
		old := x[i]
		const h = 1e-2
		x[i] = old + h
		lp := f(x, n, k, make([]float32, n*k))
		x[i] = old - h
		lm := f(x, n, k, make([]float32, n*k))
		x[i] = old
		num := (lp - lm) / (2 * h)
		if math.Abs(num-float64(g[i])) > 2e-3*math.Max(1, math.Abs(num)) {
			t.Errorf("%s: ∂/∂x[%d] = %.6f, finite difference %.6f", what, i, g[i], num)
		}
	}
}
