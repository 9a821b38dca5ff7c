//go:build cuda || gpuemu

package models

import "os"

// The GPU engine's choices between equivalent ways of computing a step,
// in one place. Each is set from the environment when the program starts
// (1 on, 0 off, unset: the default here) and by tests, never elsewhere.
// They are measurements' knobs, not users' settings: the defaults are
// the ones checked on a GPU against the CPU (TestGPUStepMatchesCPU) and
// measured fastest (NOTES.md, "Eighth session" on an H200,
// "Twenty-fourth session" on an H100).
var (
	// gpuMemoryPlan makes the training graph's outputs share device
	// memory by the plan in gpu_plan.go (MASKDASH_GPU_PLAN). On: vgg-s at
	// batch 256 holds 1675 MiB with it, 1963 without, at the same speed.
	gpuMemoryPlan = envSwitch("MASKDASH_GPU_PLAN", true)
	// gpuFusedBN runs BatchNorm and its ReLU in training through this
	// project's fused kernels (kernels.cu's md_bnr_*: three passes over
	// the activations forward and backward where cuDNN's BatchNorm and a
	// separate ReLU take five and eight) instead of cuDNN
	// (MASKDASH_GPU_FUSED_BN). Off: vgg-s at batch 256 trains at 29,800
	// images/s with them, 38,400 with cuDNN's persistent BatchNorm (H200);
	// on the H100 27,981 against 32,400–35,500. At batch 1024 the H100
	// gave 32,178 with them against 25,400–25,600 without, in runs a
	// minute apart (not one after the other): worth a pair of its own.
	gpuFusedBN = envSwitch("MASKDASH_GPU_FUSED_BN", false)
	// gpuBNPersistent asks cuDNN for its SPATIAL_PERSISTENT BatchNorm in
	// training (MASKDASH_BN_PERSISTENT). On: 1.63× the spatial mode's
	// speed on vgg-s at batch 256 (38,400 against 23,500 images/s; H100:
	// 33,589 against 21,705, 1.55×). Its gradients' sums change order
	// from run to run (up to 9e-5 relative on the H100).
	gpuBNPersistent = envSwitch("MASKDASH_BN_PERSISTENT", true)
	// gpuLoss has the trainer and bench hand a net on the GPU its loss as
	// data (Net.SetDeviceLoss), computed on the device (MASKDASH_GPU_LOSS):
	// only the logits and per-row losses come down. On since the H100 run
	// of the twenty-fourth session: the loss and logits the host's to six
	// digits (TestGPUDeviceLossMatchesHost in package training), and,
	// one after the other, vgg-s at batch 256 34,900 images/s against
	// 32,701 with the loss on the host (1.07×), cnn-s at 1024 226,294
	// against 202,321 (1.12×). A CutMix or Mixup batch's loss stays on
	// the host (the trainer hands no DeviceLoss for it).
	gpuLoss = envSwitch("MASKDASH_GPU_LOSS", true)
	// gpuHalfCuDNNBN runs --precision bf16's BatchNorm in training through
	// cuDNN on bfloat16 NHWC (persistent or not by gpuBNPersistent) and a
	// separate ReLU, instead of this project's fused bf16 kernels
	// (MASKDASH_BF16_CUDNN_BN). Off: the kernels are checked on the CPU;
	// whether cuDNN 9 takes bfloat16 there, and which is faster, needs a
	// GPU run (built in the ninth session without one). The H100 run took
	// it (1,878 images/s against the kernels' 2,237 on vgg-s at 256), but
	// the bfloat16 convolutions' 85% of the step hid any difference.
	gpuHalfCuDNNBN = envSwitch("MASKDASH_BF16_CUDNN_BN", false)
	// gpuPoolKernels runs float32 max pooling through this project's
	// md_pool2k_* kernels, which keep each window's winner as a byte so
	// that the backward pass reads dy and the winners only (cuDNN's reads
	// x, y and dy: about 10 floats of traffic a window against 5¼), instead
	// of cuDNN (MASKDASH_GPU_POOL). Off: built in the tenth session without
	// a GPU (the two max pools were 16.5% of vgg-s's step at batch 256 on
	// the H200); scripts/gpu-check.sh's extra part benches both. On the
	// H100, one after the other: 33,967 against 32,434 images/s at batch
	// 256 (1.05×), 25,597 against 25,424 at 1024 (1.01×), within the 5–8%
	// the same bench moves between runs, so cuDNN's stays.
	gpuPoolKernels = envSwitch("MASKDASH_GPU_POOL", false)
	// gpuHalfPad pads, under --precision bf16, the batch's three colour
	// channels to eight (zeros) for the convolutions that read it, and
	// their kernels' bfloat16 copies with zero weights (gpu_half.go's
	// halfPadded; MASKDASH_BF16_PAD). On: cuDNN's bfloat16 NHWC
	// tensor-core kernels want a channel count that is a multiple of 8;
	// with 3, cuDNN may pick a slow kernel for the first layer or none at
	// all. Built in the eleventh session without a GPU (checked on the
	// emulator); scripts/gpu-check.sh's extra part benches both.
	gpuHalfPad = envSwitch("MASKDASH_BF16_PAD", true)
	// gpuHalfDx says how, under --precision bf16, each convolution's
	// input gradient runs (MASKDASH_BF16_DX_FORWARD): 1 always as cuDNN's
	// forward convolution of dy with the kernels turned by 180° and their
	// channel counts swapped (models/ops's halfInputGrad), 0 always as
	// cuDNN's backward-data convolution, unset (auto) whichever cuDNN's
	// algorithm search timed faster for that convolution's shape
	// (dxForwardFaster; the emulator times nothing: backward-data). Built
	// in the twenty-seventh session without a GPU, checked on the CPU
	// (cudakern's TestBF16FlippedKernelGivesInputGradient) and the
	// emulator (TestGPUBF16InputGradientForward, the bf16 training
	// curve). On the H100 the four bfloat16 backward-data convolutions
	// took 102 of vgg-s's 120 ms a step (30× float32's) where the forward
	// ones ran at twice float32's time; the search's math types are fixed
	// since, untested on a GPU. bench's GPU profile lists each choice with
	// both times; scripts/gpu-check.sh's profile part times bf16 with 0
	// and 1.
	gpuHalfDx = envMode("MASKDASH_BF16_DX_FORWARD")
	// gpuPipeline has the trainer queue each step on the GPU, and its
	// update, before it reads the step before's loss and logits
	// (Net.QueueTrainStep, TrainResult; MASKDASH_GPU_PIPELINE): the GPU
	// then has the next step's work while the host reads results, copies
	// the next batch into page-locked memory and takes it from the loader.
	// Off: built in the twenty-sixth session without a GPU, checked on
	// the emulator (the same losses and weights as one step at a time);
	// scripts/gpu-check.sh's extra part benches both (bench --pipeline),
	// and its tests run a training with it. Turn it on if faster there.
	gpuPipeline = envSwitch("MASKDASH_GPU_PIPELINE", false)
)

// GPUPipelined reports whether the trainer should queue a step on the GPU
// before it reads the one before's results: MASKDASH_GPU_PIPELINE.
func GPUPipelined() bool { return gpuPipeline }

// GPULossOnDevice reports whether callers should give a net on the GPU
// its loss as data (SetDeviceLoss): MASKDASH_GPU_LOSS.
func GPULossOnDevice() bool { return gpuLoss }

// switchMode is a switch the engine may also decide by what it
// measures: auto, on or off.
type switchMode int

const (
	modeAuto switchMode = iota
	modeOn
	modeOff
)

// envMode is the mode named by an environment variable: "1" on, "0" off,
// anything else auto.
func envMode(name string) switchMode {
	switch os.Getenv(name) {
	case "1":
		return modeOn
	case "0":
		return modeOff
	}
	return modeAuto
}

// envSwitch is the switch named by an environment variable: "1" on, "0"
// off, anything else the default.
func envSwitch(name string, def bool) bool {
	switch os.Getenv(name) {
	case "1":
		return true
	case "0":
		return false
	}
	return def
}
