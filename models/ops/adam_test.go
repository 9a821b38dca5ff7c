package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/maskdash/maskdash/models/ops/opstest"
)

// TestAdamKernelMatchesGo: the build's Adam kernel (AVX2 assembly on
// x86-64, else the Go loop) gives goAdam's bits for weights, moments and
// all, with and without L2 decay and AdamW's decoupled one, over three
// steps on odd lengths and misaligned slices (the tails in Go).
func TestAdamKernelMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 3, 4, 7, 64, 1001} {
		for _, c := range []struct{ l2, keep float64 }{{0, 1}, {1e-3, 1}, {0, 1 - 1e-3*1e-2}} {
			w1 := opstest.RandInput(r, n+1)[1:]
			w2 := append([]float32(nil), w1...)
			m1, v1 := make([]float32, n+3)[3:], make([]float32, n+2)[2:]
			m2, v2 := make([]float32, n), make([]float32, n)
			for step := 1; step <= 3; step++ {
				g := opstest.RandInput(r, n+2)[2:]
				for i := range g {
					g[i] *= 0.01
				}
				s := AdamStep{L2: c.l2, B1: 0.9, B2: 0.999, Eps: 1e-8, Keep: c.keep,
					SqrtBC2: math.Sqrt(1 - math.Pow(0.999, float64(step))), Step: 1e-3 / (1 - math.Pow(0.9, float64(step)))}
				Adam(w1, g, m1, v1, s)
				goAdam(w2, g, m2, v2, s)
				for i := range n {
					if math.Float32bits(w1[i]) != math.Float32bits(w2[i]) || math.Float32bits(m1[i]) != math.Float32bits(m2[i]) ||
						math.Float32bits(v1[i]) != math.Float32bits(v2[i]) {
						t.Fatalf("n %d %+v step %d value %d: kernel w %v m %v v %v, Go %v %v %v", n, c, step, i, w1[i], m1[i], v1[i], w2[i], m2[i], v2[i])
					}
				}
			}
		}
	}
}
