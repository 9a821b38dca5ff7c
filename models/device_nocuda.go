//go:build !cuda

package models

// CUDA reports whether this binary was built with Gorgonia's CUDA support
// (build tag cuda).
const CUDA = false
