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
// (QueueTrainStep, TrainResult: bench --pipeline, the trainer with
// MASKDASH_GPU_PIPELINE=1), give each step the loss and logits the same
// steps give one at a time, with labels, and batches, that change every
// step: the batch held on the GPU, uploaded from slices of its own, and
// filled in place in InputBatch's memory. Each step in flight keeps its
// own page-locked labels, losses, logits and batch: on the emulator,
// which runs the whole queue at a wait, a step that wrote over the one
// before's would show here. What the emulator cannot show, a GPU run
// (scripts/gpu-check.sh's tests) can: an upload on the copy stream racing
// the step two back, which still reads the device buffer (ReleaseInput
// holds the upload off), or the host refilling page-locked memory whose
// upload has not run (the stages take turns). There the results may
// differ in their last digits (cuDNN's persistent BatchNorm sums in
// varying order), a wrong batch by far more. A third step queued before
// a result is read, a plain step,
// a new held batch while one is in flight, and the host's loss are
// refused.
func TestGPUPipelinedStepsMatch(t *testing.T) {
	needGPU(t)
	const batch, steps = 4, 5
	spec := Spec{Name: "cnn-s", Batch: batch, W: 16, H: 16, Seed: 2, Device: DeviceCUDA, Precision: PrecisionStrict}
	r := rand.New(rand.NewPCG(3, 3))
	xs, labels := make([][]float32, steps), make([][]int32, steps)
	for i := range labels {
		xs[i] = opstest.RandInput(r, batch*3*16*16)
		for range batch {
			labels[i] = append(labels[i], int32(r.IntN(18)))
		}
	}
	host := dotLoss(opstest.RandInput(r, batch*18))
	update := func(i int) Update {
		return Update{Rule: UpdateAdam, LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: i + 1}
	}
	lossOf := func(i int) *DeviceLoss {
		return &DeviceLoss{Terms: []DeviceLossTerm{{Kind: LossCE, Weight: 1}}, Heads: []int{18}, Labels: [][]int32{labels[i]}}
	}
	for _, how := range []string{"held", "uploaded", "in place"} {
		t.Run(how, func(t *testing.T) {
			open := func() *Net {
				net, err := New(spec)
				if err != nil {
					t.Fatal(err)
				}
				net.SetLoss(host)
				if how == "held" {
					if err := net.HoldBatch(xs[0]); err != nil {
						t.Fatal(err)
					}
				}
				return net
			}
			// batch is step i's batch as how gives it.
			batchOf := func(net *Net, i int) []float32 {
				switch how {
				case "held":
					return nil
				case "in place":
					in := net.InputBatch()
					copy(in, xs[i])
					return in
				}
				return xs[i]
			}
			one := open()
			defer closeNet(t, one)
			var want []float64
			var wantLogits [][]float32
			for i := range steps {
				one.SetDeviceLoss(lossOf(i))
				var l float64
				var lg []float32
				var err error
				if x := batchOf(one, i); x == nil {
					l, lg, err = one.TrainStepHeld()
				} else {
					l, lg, err = one.TrainStep(x)
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := one.ApplyUpdate(update(i)); err != nil {
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
				if GPUEmulated && (l != want[i] || !slices.Equal(lg, wantLogits[i])) ||
					opstest.RelDiff(l, want[i]) > 1e-3 || opstest.RelErr(lg, wantLogits[i]) > 1e-3 {
					t.Errorf("step %d queued: loss %v, one at a time %v (logits %.2g relative apart)", i+1, l, want[i], opstest.RelErr(lg, wantLogits[i]))
				}
			}
			for i := range steps {
				piped.SetDeviceLoss(lossOf(i))
				var err error
				if x := batchOf(piped, i); x == nil {
					err = piped.QueueTrainStepHeld()
				} else {
					err = piped.QueueTrainStep(x)
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := piped.ApplyUpdate(update(i)); err != nil {
					t.Fatal(err)
				}
				if i == 1 {
					if err := piped.QueueTrainStep(xs[0]); err == nil {
						t.Error("a third step in flight was queued")
					}
					if _, _, err := piped.TrainStep(xs[0]); err == nil {
						t.Error("a plain step ran while queued steps' results were unread")
					}
					if err := piped.HoldBatch(xs[0]); err == nil {
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
			if err := piped.QueueTrainStep(xs[0]); err == nil || !strings.Contains(err.Error(), "loss on the GPU") {
				t.Errorf("a queued step with the host's loss: %v", err)
			}
		})
	}
}
