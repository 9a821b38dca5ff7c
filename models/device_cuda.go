//go:build cuda

package models

// CUDA reports whether this binary was built with Gorgonia's CUDA support
// (build tag cuda): Gorgonia's tape machine then runs the EngineGorgonia
// graph's ops on the GPU (cuDNN for ops/nn, its PTX modules and cuBLAS
// for the rest).
const CUDA = true
