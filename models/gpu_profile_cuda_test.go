//go:build cuda || gpuemu

package models

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

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
		if strings.Contains(line, " Conv2dOp ") {
			conv = line
		}
	}
	if !strings.HasSuffix(conv, "(2 a step)") {
		t.Errorf("the profile does not count cnn-s's two convolutions a step:\n%s", p)
	}
}

// TestGPUWaitedCountsTheStepsWaits: a net on the GPU counts how long its
// steps waited for the device (bench's gpu_wait_pct), and the host's own
// time in them by what it queued (gpu_queue_pct), with the loss on
// the device (the step's one wait, for the loss and logits) and on the
// host (its download of the logits): more than nothing after steps, no
// more than the steps took, nothing after ResetGPUProfile. (On the
// emulator every kernel runs at a wait, so nearly all of a step is.)
func TestGPUWaitedCountsTheStepsWaits(t *testing.T) {
	needGPU(t)
	for _, onDevice := range []bool{true, false} {
		net, err := New(Spec{Name: "cnn-s", Batch: 4, W: 16, H: 16, Seed: 2, Device: DeviceCUDA, Precision: PrecisionStrict})
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 1))
		x := opstest.RandInput(r, 4*3*16*16)
		net.SetLoss(dotLoss(opstest.RandInput(r, 4*net.Spec.Outputs())))
		if onDevice {
			net.SetDeviceLoss(&DeviceLoss{Terms: []DeviceLossTerm{{Kind: LossCE, Weight: 1}}, Heads: []int{18}, Labels: [][]int32{{1, 5, 17, 0}}})
		}
		start := time.Now()
		for range 3 {
			if _, _, err := net.TrainStep(x); err != nil {
				t.Fatal(err)
			}
		}
		if err := net.ApplyUpdate(Update{Rule: UpdateAdam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: 1}); err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		if w := net.GPUWaited(); w <= 0 || w > took {
			t.Errorf("loss on the device %v: waited %v over steps of %v", onDevice, w, took)
		}
		// The host's own time: more than nothing, and with the waits no
		// more than the steps took; by row, every kind of op the step
		// queues, the upload and the update.
		if h := net.GPUHostTime(); h <= 0 || h+net.GPUWaited() > took {
			t.Errorf("loss on the device %v: host time %v and waits %v over steps of %v", onDevice, h, net.GPUWaited(), took)
		}
		text := net.GPUHostProfile()
		for _, row := range []string{"host time per step", "Conv2dOp", "ConvDwOp", "LossOp", hostUpload, hostUpdate} {
			if !strings.Contains(text, row) {
				t.Errorf("loss on the device %v: no %q row in the host's time:\n%s", onDevice, row, text)
			}
		}
		net.ResetGPUProfile()
		if w, h := net.GPUWaited(), net.GPUHostTime(); w != 0 || h != 0 || net.GPUHostProfile() != "" {
			t.Errorf("loss on the device %v: waited %v, host time %v after a reset", onDevice, w, h)
		}
		closeNet(t, net)
	}
	cpu, err := New(Spec{Name: "cnn-s", Batch: 4, W: 16, H: 16, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer closeNet(t, cpu)
	if w, h := cpu.GPUWaited(), cpu.GPUHostTime(); w != 0 || h != 0 || cpu.GPUHostProfile() != "" {
		t.Errorf("a net on the CPU waited %v for a GPU and queued its work for %v", w, h)
	}
}
