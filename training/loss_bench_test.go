package training

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkLossFunc: one batch's loss and gradient on the host, as a
// training step on the GPU runs it (the logits come down, the gradient
// goes up): 18 classes, or the multi-head models' 8 logits.
func BenchmarkLossFunc(b *testing.B) {
	for _, spec := range []string{"ce", "0.6focal+0.4f1"} {
		for _, n := range []int{256, 1024} {
			for _, heads := range [][]int{{18}, {3, 2, 3}} {
				b.Run(fmt.Sprintf("%s/%d/%d-heads", spec, n, len(heads)), func(b *testing.B) {
					l, err := ParseLoss(spec)
					if err != nil {
						b.Fatal(err)
					}
					k := 0
					for _, h := range heads {
						k += h
					}
					r := rand.New(rand.NewPCG(1, 2))
					x, g, labels := make([]float32, n*k), make([]float32, n*k), make([]int, n)
					for i := range x {
						x[i] = float32(r.NormFloat64())
					}
					for i := range labels {
						labels[i] = r.IntN(18)
					}
					f := l.Func(labels, heads)
					b.ResetTimer()
					for b.Loop() {
						clear(g)
						f(x, n, k, g)
					}
				})
			}
		}
	}
}
