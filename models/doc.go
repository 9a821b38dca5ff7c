// Package models builds Gorgonia graphs for maskdash's networks by name.
// Gorgonia is the graph and the automatic differentiation; the hot
// operations (convolution, BatchNorm, pooling, dense layers, the loss hook)
// are this package's own ops, float32 throughout, with buffers reused
// across steps.
//
// Files: net.go and builder.go build the networks (Spec, New, Net);
// engine_gorgonia.go builds the same networks from Gorgonia's own ops (the
// graph a cuda build runs); ops.go holds what every op shares, crew.go the
// goroutines that run their parallel sections; conv.go, winograd*.go
// (forward and input gradient in winograd.go, kernel gradient in
// winograd_dw.go), norm.go, pool.go, act.go, dense.go, bias.go and add.go
// are the ops; loss_op.go carries the loss into the graph; plan.go is the
// memory plan of a training graph; kernels*.go and gemm*.go are the inner
// loops (Go, assembly written by asmgen/ in the default build on x86-64,
// and C with OpenBLAS in the openblas build); device*.go says which
// devices a build has. Subpackages: asmgen (the assembly's generator),
// cpupeak (the cores' measured peak), cudakern and cudaprobe (the GPU).
package models
