// Package gpu is maskdash's device layer for a cuda build: one CUDA
// context and stream, device buffers, cuDNN convolutions (the algorithm
// picked once per shape by timing, with one shared workspace), cuDNN
// BatchNorm and max pooling, cuBLAS matrix products, and this project's
// own kernels (models/cudakern's kernels.cu, compiled to PTX by
// scripts/build-cuda.sh). Everything runs in order on one stream; only
// Download waits for it.
//
// Files: device.go opens the device; buffer.go holds device memory;
// conv.go, norm.go, pool.go and gemm.go are the library calls;
// kernels.go launches the project's kernels; dev.c and dev.h are the C
// side of all of them. Without the cuda tag the package is empty.
package gpu
