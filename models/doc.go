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
// are the ops, concat.go the multi-head logits' join; loss_op.go carries
// the loss into the graph; own_graph.go keeps a graph this package's ops
// only; plan.go is the memory plan of a training graph; kernels*.go and
// gemm*.go are the inner loops (Go, assembly written by asmgen/ in the
// default build on x86-64, and C with OpenBLAS in the openblas build).
//
// The GPU: device*.go and precision.go say which devices a build has and
// how it computes there; net_device.go is what a net on a GPU adds
// (weights to and from the host, the optimizer's step as an Update from
// update.go); gpu_net_cuda.go holds the net's device memory,
// gpu_run_cuda.go lays a graph out on the device and gpu_exec_cuda.go
// runs its ops there (build tag cuda; gpu_net_nocuda.go otherwise).
// Subpackages: asmgen (the assembly's generator), cpupeak (the cores'
// measured peak), gpu (the device layer: cuDNN, cuBLAS, streams,
// buffers), cudakern (the project's GPU kernels, also compiled for the
// CPU) and cudaprobe (whether a GPU answers).
package models
