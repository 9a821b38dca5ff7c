package models

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/maskdash/maskdash/models/ops/opstest"
)

// TestFrozenTensorsGetNoGradient: with every tensor but the output
// layer's frozen, a training step gives the same loss and the same output
// layer gradient as a step that computes every gradient, leaves the frozen
// gradients zero, and runs a graph without the trunk's backward pass; once
// the tensors are unfrozen every gradient is back. The step's input
// (InputBatch) stays the graph's input through both rebuilds.
func TestFrozenTensorsGetNoGradient(t *testing.T) {
	for _, name := range []string{"cnn-s", "vgg-s", "resnet-s", "vgg-s-mh"} {
		t.Run(name, func(t *testing.T) {
			spec := Spec{Name: name, Batch: 4, W: 16, H: 16, Seed: 5}
			a, err := New(spec)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := New(spec)
			r := rand.New(rand.NewPCG(8, 1))
			c := opstest.RandInput(r, 4*a.Spec.Outputs())
			a.SetLoss(dotLoss(c))
			b.SetLoss(dotLoss(c))
			in := a.InputBatch()
			copy(in, opstest.RandInput(r, len(in)))
			x := append([]float32(nil), in...)
			full := len(a.train.g.AllNodes())

			frozen := 0
			for _, p := range a.Params() {
				p.Frozen = !p.Output
				if p.Frozen {
					frozen++
				}
			}
			if frozen == 0 || frozen == len(a.Params()) {
				t.Fatalf("%d of %d tensors frozen: the test needs some of each", frozen, len(a.Params()))
			}
			step := func(what string) {
				t.Helper()
				la, _, err := a.TrainStep(in)
				if err != nil {
					t.Fatal(err)
				}
				lb, _, err := b.TrainStep(x)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(la-lb) > 1e-6*math.Abs(lb) {
					t.Fatalf("%s: loss %v, with every gradient %v", what, la, lb)
				}
				for _, p := range a.Params() {
					q, _ := b.Lookup(p.Name)
					for j := range p.Grad {
						want := q.Grad[j]
						if p.Frozen {
							want = 0
						}
						if d := math.Abs(float64(p.Grad[j] - want)); d > 1e-5*(1+math.Abs(float64(want))) {
							t.Fatalf("%s: %s (frozen %v) gradient[%d] %v, want %v", what, p.Name, p.Frozen, j, p.Grad[j], want)
						}
					}
				}
			}
			step("frozen")
			if got := len(a.train.g.AllNodes()); got >= full*3/4 {
				t.Errorf("the frozen graph has %d nodes, the whole one %d: the trunk's backward pass is still there", got, full)
			}
			if &a.InputBatch()[0] != &in[0] {
				t.Error("the rebuilt graph reads another input than InputBatch's")
			}
			for _, p := range a.Params() {
				p.Frozen = false
			}
			step("unfrozen")
			if got := len(a.train.g.AllNodes()); got != full {
				t.Errorf("unfrozen graph: %d nodes, the whole one %d", got, full)
			}
		})
	}
}
