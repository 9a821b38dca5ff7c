// Package gpu is maskdash's device layer for a cuda build: one CUDA
// context, device buffers and page-locked host memory, cuDNN convolutions
// (the algorithm picked once per shape by timing, with one shared
// workspace), cuDNN BatchNorm and max pooling, cuBLAS matrix products and
// sums, and this project's own kernels (models/cudakern's kernels.cu,
// compiled to PTX by scripts/build-cuda.sh). Everything runs in order on
// one stream, but for uploads from page-locked memory, which run on a
// second stream that the first waits for; Download and Sync wait.
//
// Files: device.go opens the device; buffer.go holds device and
// page-locked memory; tensor.go describes shapes to cuDNN; conv.go,
// norm.go, pool.go and gemm.go are the library calls; kernels.go launches
// the project's kernels; dev.c and dev.h are the C side of all of them.
// Without the cuda tag the package is empty, but for the GPU emulator:
// with the tag gpuemu (and not cuda) emu_device.go, emu_dnn.go and
// emu_kernels.go give the same API on the CPU (the project's kernels as
// their C form, cuDNN's and cuBLAS's calls in plain Go, their matrix
// products by emu_gemm.go's Gemm, which package ops sets to its own), so
// that models' GPU engine runs and is tested without a GPU
// (scripts/gpuemu-check.sh). emu_sources.go (go generate: emuhash) holds
// the hash of the kernel sources the emulator was built from, which it
// checks against the repository's (sources.go) when it opens.
package gpu

//go:generate go run ./emuhash
