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
			kSumsAct(nil, d, x, 0.5, 0.1, 0.2)
		}
	})
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			goSumsAct(nil, d, x, 0.5, 0.1, 0.2)
		}
	})
	b.Run("kw", func(b *testing.B) {
		for b.Loop() {
			kSumsAct(d, d, x, 0.5, 0.1, 0.2)
		}
	})
}

// BenchmarkScatter times the max pool's backward pass over one 64×64
// plane (cnn-s's first pool), each mode: the gradient of each 2×2
// window's picked input, zero for the other three.
func BenchmarkScatter(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const h, w = 64, 64
	x, dy := opstest.RandInput(r, h*w), opstest.RandInput(r, h*w/4)
	y := make([]float32, h*w/4)
	kPool(y, x, h, w, false, 1, 0, false)
	dx := make([]float32, h*w)
	for mode, name := range []string{"stored", "max", "min"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				kScatter(dx, dy, x, y, h, w, mode)
			}
		})
	}
}

// BenchmarkChanBiasGrads times the fused bias and ReLU's backward pass
// over cnn-s's first layer at batch 64 ([64,16,64,64]): dy masked into dx
// and summed per plane.
func BenchmarkChanBiasGrads(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	shape := []int{64, 16, 64, 64}
	n := 64 * 16 * 64 * 64
	x, dy, bias := opstest.RandInput(r, n), opstest.RandInput(r, n), opstest.RandInput(r, 16)
	op := &ChanBiasOp{ReLU: true}
	b.SetBytes(int64(4 * n))
	for b.Loop() {
		op.gen++
		op.grads(x, bias, dy, shape)
	}
}

// BenchmarkCopy times a GPU training batch's copy (256 images of 64×64,
// 12.6 MB) by copy on one core and by Copy split between the workers.
func BenchmarkCopy(b *testing.B) {
	src, dst := make([]float32, 256*3*64*64), make([]float32, 256*3*64*64)
	b.SetBytes(int64(4 * len(src)))
	b.Run("copy", func(b *testing.B) {
		for b.Loop() {
			copy(dst, src)
		}
	})
	b.Run("Copy", func(b *testing.B) {
		for b.Loop() {
			Copy(dst, src)
		}
	})
}
