//go:build cuda || gpuemu

package models

// CUDA reports whether this binary was built with GPU support (build tag
// cuda): Spec.Device DeviceCUDA then runs the net's ops on the GPU.
const CUDA = true
