//go:build cuda || gpuemu

package models

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/maskdash/maskdash/models/ops"
	"github.com/maskdash/maskdash/models/ops/opstest"
)

// TestGPUFrozenTensorsGetNoGradient: with every tensor but the output
// layers' frozen, a step on the GPU runs a rebuilt graph without the
// trunk's backward pass (Net.refreeze, gpuNet.retrain) and matches the
// CPU's frozen step: its loss, the output layers' gradients, the frozen
// gradients zero. InputBatch's memory, which a trainer takes once an
// epoch and fills for every step, stays the same through the rebuild
// (it was freed with the old run once, and the next epoch's batches went
// into freed memory: a crash, now and then, in `train --freeze-epochs`).
// Unfrozen again, every gradient is back and matches the CPU's. Under
// the memory plan and in bf16 (whose first layer is padded) too.
func TestGPUFrozenTensorsGetNoGradient(t *testing.T) {
	needGPU(t)
	defer func(v bool) { ops.Winograd = v }(ops.Winograd)
	ops.Winograd = false
	for _, c := range []struct {
		name string
		prec Precision
		plan bool
	}{{"cnn-s", PrecisionStrict, false}, {"cnn-s", PrecisionStrict, true}, {"vgg-s", PrecisionStrict, false}, {"vgg-s", PrecisionStrict, true},
		{"vgg-s-mh", PrecisionStrict, true}, {"vgg-s", PrecisionBF16, true}} {
		t.Run(fmt.Sprintf("%s-%s-plan-%v", c.name, c.prec, c.plan), func(t *testing.T) {
			defer func(p bool) { gpuMemoryPlan = p }(gpuMemoryPlan)
			gpuMemoryPlan = c.plan
			lossTol, gradTol := 1e-3, gradTol
			if c.prec == PrecisionBF16 {
				lossTol, gradTol = 2e-2, 0.5 // TestGPUHalfStepMatchesCPU's bounds
			}
			cpu, dev := gpuPairAs(t, Spec{Name: c.name, Batch: 8, W: 16, H: 16, Seed: 7}, c.prec)
			r := rand.New(rand.NewPCG(4, 4))
			x := opstest.RandInput(r, 8*3*16*16)
			loss := dotLoss(opstest.RandInput(r, 8*cpu.Spec.Outputs()))
			cpu.SetLoss(loss)
			dev.SetLoss(loss)
			full := len(dev.train.g.AllNodes())
			step := func(what string, in []float32) {
				t.Helper()
				l1, _, err := cpu.TrainStep(x)
				if err != nil {
					t.Fatal(err)
				}
				l2, _, err := dev.TrainStep(in)
				if err != nil {
					t.Fatal(err)
				}
				if e := opstest.RelDiff(l2, l1); e > lossTol {
					t.Errorf("%s: loss on the GPU %v, on the CPU %v", what, l2, l1)
				}
				for _, p := range dev.Params() {
					clear(p.Grad)
					for i := range p.Grad {
						p.Grad[i] = 1 // GradsToHost must write every one
					}
				}
				if err := dev.GradsToHost(); err != nil {
					t.Fatal(err)
				}
				for i, p := range dev.Params() {
					want := cpu.Params()[i].Grad
					if p.Frozen {
						if slices.ContainsFunc(p.Grad, func(v float32) bool { return v != 0 }) {
							t.Errorf("%s: frozen %s has a gradient", what, p.Name)
						}
						continue
					}
					if e := opstest.RelErr(p.Grad, want); e > gradTol {
						t.Errorf("%s: gradient of %s %.2g relative from the CPU's", what, p.Name, e)
					}
				}
			}
			in := dev.InputBatch()
			copy(in, x)
			for _, n := range []*Net{cpu, dev} {
				for _, p := range n.Params() {
					p.Frozen = !p.Output
				}
			}
			step("frozen", in)
			// The page-locked stages take turns (InputBatch); the graph
			// laid out again (at the frozen step) keeps them, so the
			// memory given before the freeze comes round again.
			x = opstest.RandInput(r, len(x))
			next := dev.InputBatch()
			copy(next, x)
			step("frozen, the next batch", next)
			if &next[0] == &in[0] || &dev.InputBatch()[0] != &in[0] {
				t.Fatal("InputBatch's memory changed when the training graph was laid out again")
			}
			if got := len(dev.train.g.AllNodes()); got >= full*3/4 {
				t.Errorf("the frozen graph has %d nodes, the whole one %d", got, full)
			}
			for _, n := range []*Net{cpu, dev} {
				for _, p := range n.Params() {
					p.Frozen = false
				}
			}
			step("unfrozen", x)
			if got := len(dev.train.g.AllNodes()); got != full {
				t.Errorf("unfrozen graph: %d nodes, the whole one %d", got, full)
			}
		})
	}
}
