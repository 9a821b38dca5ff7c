//go:build gpuemu && !cuda

package cudaprobe

// Problem is "" in the GPU emulator's build (tag gpuemu, models/gpu): its
// one emulated GPU always answers.
func Problem() string { return "" }
