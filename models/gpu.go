package models

import "github.com/maskdash/maskdash/models/cudaprobe"

// GPUProblem says why no GPU can be used here ("" when one answers).
func GPUProblem() string { return cudaprobe.Problem() }

// GPUEmulated reports whether this build's GPU is the emulator (build tag
// gpuemu, for tests): what runs "on the GPU" runs on the CPU.
const GPUEmulated = cudaprobe.Emulated
