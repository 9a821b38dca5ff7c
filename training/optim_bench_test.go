package training

import (
	"math/rand/v2"
	"testing"

	"github.com/maskdash/maskdash/models"
)

// BenchmarkOptimizerStep is one optimizer step over cnn-s's tensors
// (152,594 values): `go test ./training -run XX -bench OptimizerStep`.
func BenchmarkOptimizerStep(b *testing.B) {
	shapes := [][]int{{16, 3, 3, 3}, {16}, {32, 16, 3, 3}, {32}, {18, 8192}, {18}}
	for _, name := range []string{"sgd", "adam", "adamw", "adamp"} {
		b.Run(name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			var ps []*models.Param
			n := 0
			for i, s := range shapes {
				size := 1
				for _, d := range s {
					size *= d
				}
				data, grad := make([]float32, size), make([]float32, size)
				for j := range data {
					data[j], grad[j] = float32(r.NormFloat64()), float32(r.NormFloat64()*0.01)
				}
				ps = append(ps, param(string(rune('a'+i)), s, data, grad))
				n += size
			}
			o, err := NewOptimizer(OptimConfig{Name: name, LR: 1e-3, Momentum: 0.9, WeightDecay: 1e-4})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(4 * n))
			for b.Loop() {
				o.Step(ps)
			}
		})
	}
}
