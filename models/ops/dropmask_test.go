package ops

import (
	"math"
	"testing"
)

// TestDropMaskRateAndDraws: a mask drops close to p of its values (a
// million values: within 0.5%, where the binomial's spread is 0.05%),
// keeps the rest at 1/(1−p), and the next draw is another mask (about p²
// + (1−p)² of the values agree, as for independent draws); the same
// seed draws the same masks again.
func TestDropMaskRateAndDraws(t *testing.T) {
	const n = 1 << 20
	for _, p := range []float64{0.1, 0.5, 0.8} {
		op := &DropoutOp{P: p, seed: 7}
		op.Draw(n)
		first := append([]float32(nil), op.Mask...)
		dropped, keep := 0, float32(1/(1-p))
		for _, v := range first {
			switch v {
			case 0:
				dropped++
			case keep:
			default:
				t.Fatalf("p %v: a mask value %v, neither 0 nor %v", p, v, keep)
			}
		}
		if r := float64(dropped) / n; math.Abs(r-p) > 0.005 {
			t.Errorf("p %v: %.4f of the values dropped", p, r)
		}
		op.Draw(n)
		same := 0
		for i, v := range op.Mask {
			if v == first[i] {
				same++
			}
		}
		if r, want := float64(same)/n, p*p+(1-p)*(1-p); math.Abs(r-want) > 0.005 {
			t.Errorf("p %v: the second draw agrees with the first on %.4f of the values, independent draws on %.4f", p, r, want)
		}
		again := &DropoutOp{P: p, seed: 7}
		again.Draw(n)
		for i, v := range again.Mask {
			if v != first[i] {
				t.Fatalf("p %v: the same seed drew another first mask (value %d)", p, i)
			}
		}
	}
}

// BenchmarkDropMask: cnn-s's dropout at batch 256 (2,097,152 values); the
// generator it replaced (math/rand/v2's PCG, a Float64 a value) took
// 20.7 ms here.
func BenchmarkDropMask(b *testing.B) {
	m := make([]float32, 256*8192)
	for b.Loop() {
		DropMask(m, 0.5, 12345)
	}
}
