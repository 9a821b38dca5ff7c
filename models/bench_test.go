package models

import (
	"math/rand/v2"
	"testing"

	"github.com/maskdash/maskdash/models/ops/opstest"
)

func benchStep(b *testing.B, name string, batch int) {
	net, err := New(Spec{Name: name, Batch: batch, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	x := opstest.RandInput(r, batch*3*64*64)
	c := opstest.RandInput(r, batch*net.Spec.Outputs())
	net.SetLoss(dotLoss(c))
	net.TrainStep(x)
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := net.TrainStep(x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkTrainStepCNNS times forward+backward of cnn-s at batch 32, 64×64.
func BenchmarkTrainStepCNNS(b *testing.B) { benchStep(b, "cnn-s", 32) }

// BenchmarkTrainStepVGGS times forward+backward of vgg-s at batch 32, 64×64.
func BenchmarkTrainStepVGGS(b *testing.B) { benchStep(b, "vgg-s", 32) }
