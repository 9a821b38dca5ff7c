package models

import "github.com/maskdash/maskdash/models/cudaprobe"

// GPUProblem says why no GPU can be used here ("" when one answers).
func GPUProblem() string { return cudaprobe.Problem() }

// GPUEmulated reports whether this build's GPU is the emulator (build tag
// gpuemu, for tests): what runs "on the GPU" runs on the CPU.
const GPUEmulated = cudaprobe.Emulated

// GPUBuilt reports whether this build can train on a GPU where one
// answers (build tag cuda, or the emulator's gpuemu): a check made on a
// machine without one (a sweep's, before its trials go to GPU nodes)
// can still tell a build that never could.
const GPUBuilt = cudaprobe.Built
