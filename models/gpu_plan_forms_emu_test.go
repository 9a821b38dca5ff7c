//go:build gpuemu

package models

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/maskdash/maskdash/models/gpu"
	"github.com/maskdash/maskdash/models/ops"
	"github.com/maskdash/maskdash/models/ops/opstest"
)

// bufTrace is a gpuRun that notes every node whose device memory an op's
// GPU form asks for.
type bufTrace struct {
	*gpuRun
	asked G.Nodes
}

func (b *bufTrace) Buf(nd *G.Node) gpu.Buffer {
	if nd != nil {
		b.asked = append(b.asked, nd)
	}
	return b.gpuRun.Buf(nd)
}

// TestGPUFormsTouchWhatThePlanSays: the memory plan lets values that are
// never needed at once share device memory, and it learns what each op
// reads and writes from gpuSteps (gpu_plan.go), not from the ops' GPU
// forms themselves (ops/*_gpu.go). A form changed to read a node that its
// step does not list would read memory another value may have taken by
// then: a wrong value, not a crash. This runs every op of a training step
// of every model, float32 and bf16, under each of the engine's switches
// that change what a form reads, through a GPURun that notes every node
// whose memory the form asks for, and fails on a planned node (one that
// shares memory) that its step does not list. (The loss is the engine's
// own, not a form: it is left out.) What a form asks for does not depend
// on the device, so this runs on the GPU emulator only (CI's
// scripts/gpuemu-check.sh), not in gpu-check.sh's device time.
func TestGPUFormsTouchWhatThePlanSays(t *testing.T) {
	needGPU(t)
	defer func(f, h, p bool) { gpuFusedBN, gpuHalfCuDNNBN, gpuPoolKernels = f, h, p }(gpuFusedBN, gpuHalfCuDNNBN, gpuPoolKernels)
	type switches struct{ fused, halfCuDNN, pool bool }
	cases := map[Precision][]switches{
		PrecisionStrict: {{}, {fused: true}, {pool: true}},
		PrecisionBF16:   {{}, {halfCuDNN: true}},
	}
	for _, prec := range []Precision{PrecisionStrict, PrecisionBF16} {
		for _, sw := range cases[prec] {
			for _, name := range Names() {
				t.Run(fmt.Sprintf("%s-%s-%+v", name, prec, sw), func(t *testing.T) {
					gpuFusedBN, gpuHalfCuDNNBN, gpuPoolKernels = sw.fused, sw.halfCuDNN, sw.pool
					formsTouchThePlan(t, Spec{Name: name, Batch: 4, W: 32, H: 32, Seed: 1, Dropout: 0.2, Device: DeviceCUDA, Precision: prec})
				})
			}
		}
	}
}

func formsTouchThePlan(t *testing.T, spec Spec) {
	n, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer closeNet(t, n)
	r := rand.New(rand.NewPCG(3, 4))
	n.SetLoss(dotLoss(opstest.RandInput(r, spec.Batch*n.Spec.Outputs())))
	if _, _, err := n.TrainStep(opstest.RandInput(r, spec.Batch*3*spec.W*spec.H)); err != nil { // lays the run out
		t.Fatal(err)
	}
	run := n.gpu.train
	if !run.planned {
		t.Skip("the training graph runs without the memory plan (MASKDASH_GPU_PLAN=0)")
	}
	steps := gpuSteps(run.order)
	keep := map[*G.Node]bool{}
	for _, g := range run.gr.grads {
		keep[g] = true
	}
	slot, _ := gpuPlan(run.order, steps, func(nd *G.Node) bool { return keep[nd] }, run.Words)

	if err := n.gpu.dev.Lock(); err != nil {
		t.Fatal(err)
	}
	defer n.gpu.dev.Unlock()
	tr := &bufTrace{gpuRun: run}
	run.gen++ // a step of its own: each shared piece of work (First) is done once in it
	checked := 0
	for i, nd := range run.order {
		if nd.Op() == nil || isConstant(nd) {
			continue
		}
		switch nd.Op().(type) {
		case *ops.LossOp, *ops.LossDxOp:
			continue
		}
		tr.asked = tr.asked[:0]
		if run.touchesHalf(nd) {
			err = nd.Op().(ops.GPUHalfDoer).GPUDoHalf(tr, nd)
		} else {
			err = nd.Op().(ops.GPUDoer).GPUDo(tr, nd)
		}
		if err != nil {
			t.Fatalf("op %d %v: %v", i, nd.Op(), err)
		}
		for _, a := range tr.asked {
			if _, planned := slot[a]; !planned {
				continue // an input, a weight or its gradient's own memory
			}
			checked++
			if !slices.Contains(steps[i].reads, a) && !slices.Contains(steps[i].writes, a) {
				t.Errorf("op %d %v reaches %v %v, which gpuSteps does not list for it (reads %v, writes %v)", i, nd.Op(), a.Op(), a.Shape(), opsOf(steps[i].reads), opsOf(steps[i].writes))
			}
		}
	}
	if err := n.gpu.dev.Sync(); err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no form asked for a planned node's memory")
	}
}

// opsOf names nodes by their ops, for a message.
func opsOf(ns G.Nodes) []string {
	var out []string
	for _, nd := range ns {
		out = append(out, fmt.Sprint(nd.Op()))
	}
	return out
}
