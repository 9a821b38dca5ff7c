//go:build !cuda && !gpuemu

package cudaprobe

// Problem says why no GPU can be used: this build has no GPU support.
func Problem() string {
	return "this maskdash was built without GPU support; build it with scripts/build-cuda.sh on a machine with CUDA 12 or 13 and cuDNN 9"
}

// Emulated reports whether the GPU is the emulator: this build has none.
const Emulated = false

// Built reports whether this build can train on a GPU at all: no.
const Built = false
