//go:build !cuda && !gpuemu

package models

// CUDA reports whether this binary was built with Gorgonia's CUDA support
// (build tag cuda).
const CUDA = false

// GPULossOnDevice reports whether callers should give a net on the GPU
// its loss as data (SetDeviceLoss): never without the cuda tag.
func GPULossOnDevice() bool { return false }

// GPUPipelined is false without GPU support: steps run one at a time.
func GPUPipelined() bool { return false }
