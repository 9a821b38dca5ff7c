//go:build cuda || gpuemu

package models

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/models/ops/opstest"
)

// TestGPUProfileStartsAfterReset: with MASKDASH_GPU_PROFILE=1 a net on
// the GPU times its steps' ops; ResetGPUProfile drops the steps before it
// (bench's warm-up, whose first calls into cuDNN and cuBLAS cost more
// than a step), so the table counts the later steps alone, each op kind
// as many times a step as the graph has it.
func TestGPUProfileStartsAfterReset(t *testing.T) {
	needGPU(t)
	t.Setenv("MASKDASH_GPU_PROFILE", "1")
	net, err := New(Spec{Name: "cnn-s", Batch: 4, W: 16, H: 16, Seed: 2, Device: DeviceCUDA, Precision: PrecisionStrict})
	if err != nil {
		t.Fatal(err)
	}
	defer closeNet(t, net)
	r := rand.New(rand.NewPCG(1, 1))
	x := opstest.RandInput(r, 4*3*16*16)
	net.SetLoss(dotLoss(opstest.RandInput(r, 4*net.Spec.Outputs())))
	steps := func(k int) {
		t.Helper()
		for range k {
			if _, _, err := net.TrainStep(x); err != nil {
				t.Fatal(err)
			}
		}
		if err := net.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	steps(3)
	if p := net.GPUProfile(); !strings.Contains(p, "(synchronised after each op, 3 steps)") {
		t.Fatalf("after 3 steps the profile reads:\n%s", p)
	}
	net.ResetGPUProfile()
	steps(2)
	p := net.GPUProfile()
	if !strings.Contains(p, "(synchronised after each op, 2 steps)") {
		t.Errorf("after a reset and 2 steps the profile reads:\n%s", p)
	}
	// cnn-s has two convolutions: each step runs two Conv2dOps.
	conv := ""
	for _, line := range strings.Split(p, "\n") {
		if strings.Contains(line, "*ops.Conv2dOp") {
			conv = line
		}
	}
	if !strings.HasSuffix(conv, "(2 a step)") {
		t.Errorf("the profile does not count cnn-s's two convolutions a step:\n%s", p)
	}
}
