package models

import (
	"errors"
	"fmt"
	"time"
)

// The net on a GPU (Spec.Device DeviceCUDA, in a cuda build): its
// weights, gradients and optimizer state live in device memory. TrainStep
// and Forward run there; these methods move what the host needs.

// OnGPU reports whether the net's ops run on a GPU.
func (n *Net) OnGPU() bool { return n.gpu != nil }

// ApplyUpdate applies one optimizer step to the weights on the GPU from
// the last TrainStep's gradients.
func (n *Net) ApplyUpdate(u Update) error {
	if n.gpu == nil {
		return fmt.Errorf("ApplyUpdate: the net is on the CPU (its optimizer steps on Param.Grad)")
	}
	return n.gpu.update(n, u)
}

// TakeClipCounts downloads the counts of the GPU's gradient clipping
// since the last call (Update.ClipNorm) and starts them anew.
func (n *Net) TakeClipCounts() (ClipCounts, error) {
	if n.gpu == nil {
		return ClipCounts{}, fmt.Errorf("TakeClipCounts: the net is on the CPU (its optimizer counts its clipping)")
	}
	var c ClipCounts
	err := n.withGPU(func(g *gpuNet) (err error) {
		c, err = g.clipCounts()
		return err
	})
	return c, err
}

// WeightsToHost copies the GPU's weights and running statistics into
// Param.Data (a checkpoint, a comparison); a no-op on the CPU.
func (n *Net) WeightsToHost() error {
	if n.gpu == nil {
		return nil
	}
	return n.withGPU(func(g *gpuNet) error { return g.toHost(n) })
}

// WeightsToDevice copies Param.Data to the GPU after the host changed it
// (a checkpoint loaded); a no-op on the CPU.
func (n *Net) WeightsToDevice() error {
	if n.gpu == nil {
		return nil
	}
	return n.withGPU(func(g *gpuNet) error { return g.toDevice(n) })
}

// StartAverage keeps a moving average of the weights and running
// statistics on the GPU (training's --ema), equal to them now: then
// UpdateAverage moves it, SwapAverage puts it in the weights' place and
// back, and AverageToHost reads it. The CPU keeps its own (an error here).
func (n *Net) StartAverage() error {
	if n.gpu == nil {
		return fmt.Errorf("StartAverage: the net is on the CPU (its trainer averages Param.Data)")
	}
	return n.withGPU(func(g *gpuNet) error { return g.startAverage(n) })
}

// UpdateAverage queues avg += k·(w − avg) on the GPU for every tensor:
// nothing is downloaded.
func (n *Net) UpdateAverage(k float32) error {
	if n.gpu == nil {
		return fmt.Errorf("UpdateAverage: the net is on the CPU")
	}
	return n.withGPU(func(g *gpuNet) error { return g.updateAverage(n, k) })
}

// SwapAverage exchanges the weights and their average on the GPU: the
// net then evaluates (and WeightsToHost reads) the average until the
// next SwapAverage.
func (n *Net) SwapAverage() error {
	if n.gpu == nil {
		return fmt.Errorf("SwapAverage: the net is on the CPU")
	}
	return n.withGPU(func(g *gpuNet) error { return g.swapAverage(n) })
}

// AverageToHost downloads the GPU's average buffers into dst, one slice
// a tensor: Params then Buffers, each as long as its Data. Between two
// SwapAverage calls they hold the training weights.
func (n *Net) AverageToHost(dst [][]float32) error {
	if n.gpu == nil {
		return fmt.Errorf("AverageToHost: the net is on the CPU")
	}
	ts := n.stateParams()
	if len(dst) != len(ts) {
		return fmt.Errorf("AverageToHost: %d slices for %d tensors", len(dst), len(ts))
	}
	for i, p := range ts {
		if len(dst[i]) != len(p.Data) {
			return fmt.Errorf("AverageToHost: %s: %d values for %d", p.Name, len(dst[i]), len(p.Data))
		}
	}
	return n.withGPU(func(g *gpuNet) error { return g.averageToHost(n, dst) })
}

// GradsToHost copies the last step's gradients into Param.Grad (the CPU
// fills them itself; on the GPU only the checks need them).
func (n *Net) GradsToHost() error {
	if n.gpu == nil {
		return nil
	}
	return n.withGPU(func(g *gpuNet) error { return g.gradsToHost(n) })
}

// UpdateSlots downloads the GPU optimizer's state: per parameter name,
// its slots (SGD's momentum; Adam's first and second moments).
func (n *Net) UpdateSlots() (map[string][][]float32, error) {
	if n.gpu == nil {
		return nil, fmt.Errorf("UpdateSlots: the net is on the CPU")
	}
	var out map[string][][]float32
	err := n.withGPU(func(g *gpuNet) error {
		var err error
		out, err = g.slotsToHost()
		return err
	})
	return out, err
}

// LoadUpdateSlots uploads optimizer state saved by UpdateSlots (a resumed
// checkpoint's); slots of unknown parameters or the wrong size are an
// error.
func (n *Net) LoadUpdateSlots(s map[string][][]float32) error {
	if n.gpu == nil {
		return fmt.Errorf("LoadUpdateSlots: the net is on the CPU")
	}
	return n.withGPU(func(g *gpuNet) error { return g.slotsToDevice(n, s) })
}

// InputBatch is memory for the next training batch (Batch·3·H·W
// floats, NCHW): filled in place and passed to TrainStep it is not
// copied again. On the CPU it is the training graph's input; on a GPU the
// page-locked memory the upload reads, two of them in turn, so that a
// step queued while the one before is in flight (QueueTrainStep) has its
// own: ask for it before each step. (Memory given earlier still works
// with TrainStep, which waits for each step.)
func (n *Net) InputBatch() []float32 {
	if n.gpu != nil {
		return n.gpu.inputBatch()
	}
	return n.train.xt.Data().([]float32)
}

// HoldBatch keeps batch x on the GPU: TrainStepHeld then trains on it
// with no upload, as a benchmark whose batch lives on the device
// (torch_ref.py's) does. Training itself uploads each batch (TrainStep),
// beside the previous step's backward pass.
func (n *Net) HoldBatch(x []float32) error {
	if n.gpu == nil {
		return fmt.Errorf("HoldBatch: the net is on the CPU")
	}
	if len(x) != n.train.xt.Shape().TotalSize() {
		return fmt.Errorf("%w: batch has %d values, the graph takes %d", ErrShape, len(x), n.train.xt.Shape().TotalSize())
	}
	return n.gpu.hold(x)
}

// TrainStepHeld is TrainStep on the batch HoldBatch left on the GPU.
func (n *Net) TrainStepHeld() (float64, []float32, error) {
	if n.gpu == nil {
		return 0, nil, fmt.Errorf("TrainStepHeld: the net is on the CPU")
	}
	if !n.frozenAsBuilt() {
		return 0, nil, fmt.Errorf("TrainStepHeld: the frozen tensors changed since HoldBatch; hold the batch again")
	}
	return n.gpu.trainStep(n, nil)
}

// QueueTrainStep queues a training step on batch x (as TrainStep: filled
// in place in InputBatch's memory, or copied there) and returns without
// waiting for it; TrainResult gives its loss and logits. In between the
// caller may queue the optimizer's update and the next step (at most two
// steps in flight), so that the GPU never waits for the host to read a
// step's results before the next is queued, as PyTorch's asynchronous
// steps do (bench --pipeline; the trainer with MASKDASH_GPU_PIPELINE=1).
// It needs the loss on the device (SetDeviceLoss). TrainStep refuses
// while a queued step's results are unread. Each step in flight has its
// own page-locked memory (InputBatch's, the labels', the results'), and
// a batch's upload waits for the step that last read its device buffer.
func (n *Net) QueueTrainStep(x []float32) error {
	if n.gpu == nil {
		return fmt.Errorf("QueueTrainStep: the net is on the CPU")
	}
	if len(x) != n.train.xt.Shape().TotalSize() {
		return fmt.Errorf("%w: batch has %d values, the graph takes %d", ErrShape, len(x), n.train.xt.Shape().TotalSize())
	}
	if err := n.refreeze(); err != nil { // refuses while steps are in flight (gpuNet.retrain)
		return err
	}
	return n.gpu.queueStep(n, x)
}

// QueueTrainStepHeld is QueueTrainStep on the batch HoldBatch left on
// the GPU.
func (n *Net) QueueTrainStepHeld() error {
	if n.gpu == nil {
		return fmt.Errorf("QueueTrainStepHeld: the net is on the CPU")
	}
	if !n.frozenAsBuilt() {
		return fmt.Errorf("QueueTrainStepHeld: the frozen tensors changed since HoldBatch; hold the batch again")
	}
	return n.gpu.queueStep(n, nil)
}

// TrainResult waits for the oldest step QueueTrainStep queued and
// returns its loss and logits (valid until the next step or result).
func (n *Net) TrainResult() (float64, []float32, error) {
	if n.gpu == nil {
		return 0, nil, fmt.Errorf("TrainResult: the net is on the CPU")
	}
	return n.gpu.result()
}

// GPUProfile is the time per kind of op when MASKDASH_GPU_PROFILE=1
// ("" otherwise, and on the CPU).
func (n *Net) GPUProfile() string {
	if n.gpu == nil {
		return ""
	}
	return n.gpu.profileText()
}

// ResetGPUProfile starts the per-op profile (MASKDASH_GPU_PROFILE=1)
// afresh: bench calls it after its warm-up steps, whose first calls into
// cuDNN and cuBLAS cost more than a step (in the H100's profiles of the
// twenty-fourth session they were 3 of the 23 steps timed).
func (n *Net) ResetGPUProfile() {
	if n.gpu != nil {
		n.gpu.resetProfile()
	}
}

// GPUWaited is how long the training steps have waited for the GPU
// since the last ResetGPUProfile (0 on the CPU): the step's one wait for
// its loss and logits, or the host loss's download. Set against the
// steps' wall time, a small share says the host, queueing, holds the GPU
// up (bench --json's gpu_wait_pct).
func (n *Net) GPUWaited() time.Duration {
	if n.gpu == nil {
		return 0
	}
	return n.gpu.waitedTime()
}

// GPUHostTime is the host's own time in the training steps and their
// optimizer updates since the last ResetGPUProfile (0 on the CPU): their
// wall time less GPUWaited, the time the host spent queueing the GPU's
// work. Set against the steps' wall time, a large share says the host's
// queueing sets the pace (bench --json's gpu_queue_pct).
func (n *Net) GPUHostTime() time.Duration {
	if n.gpu == nil {
		return 0
	}
	return n.gpu.hostQueued()
}

// GPUHostProfile is GPUHostTime per step by what the host was doing:
// each kind of op's queueing, the batch's upload, the update ("" on the
// CPU, before a step, and with MASKDASH_GPU_PROFILE=1, whose waits after
// each op would count).
func (n *Net) GPUHostProfile() string {
	if n.gpu == nil {
		return ""
	}
	return n.gpu.hostText()
}

// Wait returns when everything queued on the net's GPU is done (a
// no-op on the CPU, where every call returns done).
func (n *Net) Wait() error {
	if n.gpu == nil {
		return nil
	}
	return n.withGPU(func(g *gpuNet) error { return g.dev.Sync() })
}

// DeviceBytes is the GPU memory the net holds (0 on the CPU).
func (n *Net) DeviceBytes() int64 {
	if n.gpu == nil {
		return 0
	}
	return n.gpu.bytes()
}

// ErrReleased is TrainStep's answer after Close released the net's GPU.
var ErrReleased = errors.New("the net's GPU was released: it predicts on the CPU and does not train")

// Close releases the net's GPU after copying its weights and running
// statistics into Param.Data. The net then predicts on the CPU with them
// (Forward: a finished run's predictions, which the dashboard offers
// after the run has given its GPU back); TrainStep answers ErrReleased.
// A no-op on the CPU.
func (n *Net) Close() error {
	if n.gpu == nil {
		return nil
	}
	err := errors.Join(n.WeightsToHost(), n.gpu.close())
	n.gpu = nil
	n.released = true
	n.Spec.Device = DeviceCPU
	n.eval = nil // built again for the CPU by the next Forward
	return err
}

// withGPU runs f with the net's GPU bound to the calling goroutine's
// thread.
func (n *Net) withGPU(f func(g *gpuNet) error) error {
	if err := n.gpu.dev.Lock(); err != nil {
		return err
	}
	defer n.gpu.dev.Unlock()
	return f(n.gpu)
}
