package models

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/models/ops/opstest"
)

func benchStep(b *testing.B, name string, batch int) { benchStepFrozen(b, name, batch, nil) }

// benchStepFrozen is benchStep with the tensors frozen says frozen (nil:
// none): a child run's --freeze-epochs or --freeze-layers.
func benchStepFrozen(b *testing.B, name string, batch int, frozen func(*Param) bool) {
	net, err := New(Spec{Name: name, Batch: batch, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range net.Params() {
		p.Frozen = frozen != nil && frozen(p)
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

// BenchmarkTrainStepFrozen times a training step of cnn-s and vgg-s with
// every tensor computed (all), with all but the output layer frozen
// (head: what --freeze-epochs saves an epoch), and vgg-s with its first
// two blocks frozen (b1b2: --freeze-layers b1,b2).
func BenchmarkTrainStepFrozen(b *testing.B) {
	head := func(p *Param) bool { return !p.Output }
	for _, name := range []string{"cnn-s", "vgg-s"} {
		b.Run(name+"/all", func(b *testing.B) { benchStepFrozen(b, name, 32, nil) })
		b.Run(name+"/head", func(b *testing.B) { benchStepFrozen(b, name, 32, head) })
	}
	early := func(p *Param) bool { return strings.HasPrefix(p.Name, "b1.") || strings.HasPrefix(p.Name, "b2.") }
	b.Run("vgg-s/b1b2", func(b *testing.B) { benchStepFrozen(b, "vgg-s", 32, early) })
}
