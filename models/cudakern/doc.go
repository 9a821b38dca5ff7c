// Package cudakern holds this project's own GPU kernels as one CUDA C
// source (kernels.cu) that also compiles as C for the CPU: kernel.h turns
// each kernel's grid-stride loop into a plain loop there, so every kernel
// is tested on the CPU against the Go code it replaces (the optimizers of
// package training, the activations and the loss of package models). On
// a GPU machine scripts/build-cuda.sh compiles the same file to PTX with
// nvcc (never committed), which a cuda build loads (package models/gpu;
// TestKernelsOnTheGPU runs each there against its C form).
package cudakern
