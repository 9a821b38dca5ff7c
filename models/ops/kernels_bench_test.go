package ops

import (
	"math/rand/v2"
	"testing"

	"github.com/maskdash/maskdash/models/ops/opstest"
)

// BenchmarkSumsAct times BatchNorm's masked gradient sums over one 64×64
// plane: the build's kernel (C in the openblas build) against pure Go.
func BenchmarkSumsAct(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	x, d := opstest.RandInput(r, 4096), opstest.RandInput(r, 4096)
	b.Run("k", func(b *testing.B) {
		for b.Loop() {
			kSumsAct(d, x, 0.5, 0.1, 0.2, false)
		}
	})
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			goSumsAct(d, x, 0.5, 0.1, 0.2, false)
		}
	})
	b.Run("kw", func(b *testing.B) {
		for b.Loop() {
			kSumsAct(d, x, 0.5, 0.1, 0.2, true)
		}
	})
}
