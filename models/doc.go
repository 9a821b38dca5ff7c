// Package models builds Gorgonia graphs for maskdash's networks by name.
// Gorgonia is the graph and the automatic differentiation; the operations
// in it are package ops's (models/ops), float32 throughout, with buffers
// reused across steps.
//
// Files: net.go and builder.go build the networks (Spec, New, Net);
// take.go fills a net's tensors from a file's by name and shape (a
// checkpoint's, a PyTorch state_dict's);
// embed.go reads an image's embedding (the features the output layers
// read) from the evaluation graph;
// engine_gorgonia.go builds the same networks from Gorgonia's own ops (a
// reference on the CPU); own_graph.go keeps a graph package ops's ops
// only; ops_api.go is what this package passes on from package ops
// (LossFunc, the build's names for bench).
//
// The GPU: device*.go and precision.go say which devices a build has and
// how it computes there; net_device.go is what a net on a GPU adds
// (weights to and from the host, the optimizer's step as an Update from
// update.go); gpu_net_cuda.go holds the net's device memory,
// gpu_run_cuda.go lays a graph out on the device, gpu_exec_cuda.go walks
// it, running each op's GPU form (package ops's *_gpu.go) and the loss,
// gpu_form_cuda.go is what those forms read of the run (ops.GPURun),
// gpu_loss_cuda.go the loss on the device, gpu_half.go and
// gpu_half_cuda.go --precision bf16, gpu_plan.go the training graph's
// device memory plan and gpu_switches_cuda.go the engine's switches (build
// tag cuda, or gpuemu for the same engine on package gpu's emulator;
// gpu_net_nocuda.go otherwise).
// Subpackages: ops (the ops, their CPU loops and their GPU forms), pth
// (PyTorch's state_dict files), asmgen (the assembly's
// generator), cpupeak (the cores' measured peak), gpu (the device layer:
// cuDNN, cuBLAS, streams, buffers; or its emulator), cudakern (the
// project's GPU kernels, also compiled for the CPU) and cudaprobe (whether
// a GPU answers).
package models
