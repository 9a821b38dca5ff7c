//go:build cuda || gpuemu

package models

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/models/ops/opstest"
)

// TestGPUPipelinedStepsMatch: steps queued two at a time, each one's
// update queued before the step before's results are read
// (QueueTrainStepHeld, TrainResult: bench --pipeline), give each step the
// loss and logits the same steps give one at a time, with labels that
// change every step (each step in flight keeps its own page-locked
// labels, losses and logits: on the emulator, which runs the whole queue
// at a wait, a step that wrote over the one before's would show here).
// A third step queued before a result is read, a plain step, a new held
// batch while one is in flight, and the host's loss are refused.
func TestGPUPipelinedStepsMatch(t *testing.T) {
	needGPU(t)
	const batch, steps = 4, 5
	spec := Spec{Name: "cnn-s", Batch: batch, W: 16, H: 16, Seed: 2, Device: DeviceCUDA, Precision: PrecisionStrict}
	r := rand.New(rand.NewPCG(3, 3))
	x := opstest.RandInput(r, batch*3*16*16)
	labels := make([][]int32, steps)
	for i := range labels {
		for range batch {
			labels[i] = append(labels[i], int32(r.IntN(18)))
		}
	}
	update := Update{Rule: UpdateAdam, LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	open := func() *Net {
		net, err := New(spec)
		if err != nil {
			t.Fatal(err)
		}
		net.SetLoss(dotLoss(opstest.RandInput(r, batch*net.Spec.Outputs())))
		if err := net.HoldBatch(x); err != nil {
			t.Fatal(err)
		}
		return net
	}
	lossOf := func(i int) *DeviceLoss {
		return &DeviceLoss{Terms: []DeviceLossTerm{{Kind: LossCE, Weight: 1}}, Heads: []int{18}, Labels: [][]int32{labels[i]}}
	}
	one := open()
	defer closeNet(t, one)
	var want []float64
	var wantLogits [][]float32
	for i := range steps {
		one.SetDeviceLoss(lossOf(i))
		l, lg, err := one.TrainStepHeld()
		if err != nil {
			t.Fatal(err)
		}
		u := update
		u.Step = i + 1
		if err := one.ApplyUpdate(u); err != nil {
			t.Fatal(err)
		}
		want, wantLogits = append(want, l), append(wantLogits, append([]float32(nil), lg...))
	}
	if want[0] == want[steps-1] {
		t.Fatalf("the loss did not move over %d steps: %v", steps, want)
	}
	piped := open()
	defer closeNet(t, piped)
	check := func(i int) {
		t.Helper()
		l, lg, err := piped.TrainResult()
		if err != nil {
			t.Fatal(err)
		}
		if l != want[i] || !slices.Equal(lg, wantLogits[i]) {
			t.Errorf("step %d queued: loss %v, one at a time %v (logits equal: %v)", i+1, l, want[i], slices.Equal(lg, wantLogits[i]))
		}
	}
	for i := range steps {
		piped.SetDeviceLoss(lossOf(i))
		if err := piped.QueueTrainStepHeld(); err != nil {
			t.Fatal(err)
		}
		u := update
		u.Step = i + 1
		if err := piped.ApplyUpdate(u); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if err := piped.QueueTrainStepHeld(); err == nil {
				t.Error("a third step in flight was queued")
			}
			if _, _, err := piped.TrainStepHeld(); err == nil {
				t.Error("a plain step ran while queued steps' results were unread")
			}
			if err := piped.HoldBatch(x); err == nil {
				t.Error("a batch was held again while queued steps may read it")
			}
		}
		if i > 0 {
			check(i - 1)
		}
	}
	check(steps - 1)
	if _, _, err := piped.TrainResult(); err == nil {
		t.Error("a result was read with no step queued")
	}
	piped.SetDeviceLoss(nil)
	if err := piped.QueueTrainStepHeld(); err == nil || !strings.Contains(err.Error(), "loss on the GPU") {
		t.Errorf("a queued step with the host's loss: %v", err)
	}
}
