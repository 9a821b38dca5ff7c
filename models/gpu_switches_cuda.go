//go:build cuda || gpuemu

package models

import "os"

// The GPU engine's choices between equivalent ways of computing a step,
// in one place. Each is set from the environment when the program starts
// (1 on, 0 off, unset: the default here) and by tests, never elsewhere.
// They are measurements' knobs, not users' settings: the defaults are
// the ones checked on a GPU against the CPU (TestGPUStepMatchesCPU) and
// measured fastest (NOTES.md, "Eighth session").
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
	// images/s with them, 38,400 with cuDNN's persistent BatchNorm.
	gpuFusedBN = envSwitch("MASKDASH_GPU_FUSED_BN", false)
	// gpuBNPersistent asks cuDNN for its SPATIAL_PERSISTENT BatchNorm in
	// training (MASKDASH_BN_PERSISTENT). On: 1.63× the spatial mode's
	// speed on vgg-s at batch 256 (38,400 against 23,500 images/s).
	gpuBNPersistent = envSwitch("MASKDASH_BN_PERSISTENT", true)
	// gpuLoss has the trainer and bench hand a net on the GPU its loss as
	// data (Net.SetDeviceLoss), computed on the device (MASKDASH_GPU_LOSS).
	// Off until a GPU run has checked it (TestGPUDeviceLossMatchesHost in
	// package training); built after the eighth session's device time.
	gpuLoss = envSwitch("MASKDASH_GPU_LOSS", false)
	// gpuHalfCuDNNBN runs --precision bf16's BatchNorm in training through
	// cuDNN on bfloat16 NHWC (persistent or not by gpuBNPersistent) and a
	// separate ReLU, instead of this project's fused bf16 kernels
	// (MASKDASH_BF16_CUDNN_BN). Off: the kernels are checked on the CPU;
	// whether cuDNN 9 takes bfloat16 there, and which is faster, needs a
	// GPU run (built in the ninth session without one).
	gpuHalfCuDNNBN = envSwitch("MASKDASH_BF16_CUDNN_BN", false)
	// gpuPoolKernels runs float32 max pooling through this project's
	// md_pool2k_* kernels, which keep each window's winner as a byte so
	// that the backward pass reads dy and the winners only (cuDNN's reads
	// x, y and dy: about 10 floats of traffic a window against 5¼), instead
	// of cuDNN (MASKDASH_GPU_POOL). Off: built in the tenth session without
	// a GPU (the two max pools were 16.5% of vgg-s's step at batch 256 on
	// the H200); scripts/gpu-check.sh's extra part benches both.
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
)

// GPULossOnDevice reports whether callers should give a net on the GPU
// its loss as data (SetDeviceLoss): MASKDASH_GPU_LOSS.
func GPULossOnDevice() bool { return gpuLoss }

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
