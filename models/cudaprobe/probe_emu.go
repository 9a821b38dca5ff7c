//go:build gpuemu && !cuda

package cudaprobe

// Problem is "" in the GPU emulator's build (tag gpuemu, models/gpu): its
// one emulated GPU always answers.
func Problem() string { return "" }

// Emulated reports whether the GPU is the emulator (models/gpu, tag
// gpuemu): its figures are the CPU's, not a GPU's.
const Emulated = true

// Built reports whether this build can train on a GPU at all: on the
// emulator's.
const Built = true
