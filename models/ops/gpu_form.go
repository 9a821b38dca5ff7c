//go:build cuda || gpuemu

package ops

import (
	G "gorgonia.org/gorgonia"

	"github.com/maskdash/maskdash/models/gpu"
)

// The ops' GPU forms (a cuda or gpuemu build). Package models's GPU
// engine walks a graph's nodes in the tape machine's order and, for each,
// calls its op's GPUDo (GPUDoHalf where the node reads or writes a
// bfloat16 value, --precision bf16): the op queues its work on the
// device's stream. Each op's forms sit in a file beside its CPU form
// (conv_gpu.go beside conv.go, and so on). The loss is not here: it is
// where the run meets the host, and package models runs it.

// GPUDoer is an op with a float32 GPU form.
type GPUDoer interface {
	// GPUDo queues node nd's op on r's device.
	GPUDo(r GPURun, nd *G.Node) error
}

// GPUHalfDoer is an op with a bfloat16 form: it reads or writes
// bfloat16 NHWC values (the run's GPURun.Words and Desc say which).
type GPUHalfDoer interface {
	GPUDoHalf(r GPURun, nd *G.Node) error
}

// GPURun is what an op's GPU form needs of the graph run it is part of:
// device memory by node, the cuDNN descriptions and per-op state the run
// made before the first step, and the nodes an op reaches past its own
// inputs.
type GPURun interface {
	Device() *gpu.Device
	// Buf is nd's device memory; a nil Buffer for a nil nd (a gradient
	// the graph does not want).
	Buf(nd *G.Node) gpu.Buffer
	// Inputs are nd's inputs, in order.
	Inputs(nd *G.Node) G.Nodes
	// Desc is a four-dimensional node's description, float32 NCHW or
	// bfloat16 NHWC.
	Desc(nd *G.Node) *gpu.Tensor
	// Words is nd's size in 4-byte words (half its values for bfloat16).
	Words(nd *G.Node) int
	// HalfChannels is a four-dimensional bfloat16 node's channel count on
	// the device: its own, or more when padded with zeros (the batch's
	// three colours for the first convolution, --precision bf16).
	HalfChannels(nd *G.Node) int
	// First reports whether the work shared under key (a forward op whose
	// gradients one op computes together) is still to do this step.
	First(key any) bool
	// Forward is the node of a forward op (BatchNorm, max pool, bias),
	// for its gradient ops.
	Forward(op G.Op) *G.Node
	// BNGrads are a BatchNorm's dx, dγ and dβ nodes (nil: not wanted).
	BNGrads(op *BNOp) [3]*G.Node
	// BiasGrads are a bias's dx and db nodes.
	BiasGrads(op *ChanBiasOp) [2]*G.Node
	// KernelGrad is the node of a convolution's kernel gradient.
	KernelGrad(op *ConvDwOp) *G.Node
	// Conv is a convolution's cuDNN description, algorithms and all.
	Conv(op *Conv2dOp) *gpu.Conv
	// DxConv is the forward convolution that computes a bfloat16
	// convolution's input gradient, dy convolved with the kernels turned
	// by 180° (md_flip_krsc_h), where the run chose that form; nil where
	// cuDNN's backward-data convolution computes it.
	DxConv(op *Conv2dOp) *gpu.Conv
	// BN is a BatchNorm layer's state on the device.
	BN(op *BNOp) *BNOnGPU
	// Mask is a dropout's mask in device memory.
	Mask(op *DropoutOp) gpu.Buffer
	// PoolWinners is a max pool's winners, a byte an output (the nil
	// Buffer unless GPUChoices.PoolKernels and the pool's sides are even).
	PoolWinners(op *MaxPool2Op) gpu.Buffer
	// Ones is a device vector of at least n ones (sums through cuBLAS).
	Ones(n int) (gpu.Buffer, error)
	// Scratch is the run's shared scratch memory.
	Scratch() GPUScratch
	// HalfKernel is a convolution kernel's bfloat16 KRSC copy, by the
	// kernel's node (bf16).
	HalfKernel(nd *G.Node) gpu.Buffer
	// Choices are the engine's switches between equivalent ways of
	// computing a step.
	Choices() GPUChoices
}

// GPUScratch is a run's scratch memory, shared by the ops that need it.
type GPUScratch struct {
	BiasSums gpu.Buffer // per-(image, channel) sums of a bias gradient
	// bf16 only
	Flat       gpu.Buffer // a four-dimensional value flattened to float32 NCHW for a dense layer
	KernelGrad gpu.Buffer // a kernel gradient in bfloat16 KRSC, before its float32 form
	Flipped    gpu.Buffer // a convolution's kernels turned for its input gradient (GPURun.DxConv)
	HalfSums   gpu.Buffer // a bias gradient's per-channel float64 sums
}

// GPUChoices are the GPU engine's switches the ops read (package models
// sets them, from the environment; see its gpu_switches_cuda.go).
type GPUChoices struct {
	// FusedBN: BatchNorm and its ReLU in training through this package's
	// fused kernels (md_bnr_*) rather than cuDNN.
	FusedBN bool
	// HalfCuDNNBN: bf16's BatchNorm in training through cuDNN rather than
	// the md_bnh_* kernels.
	HalfCuDNNBN bool
	// PoolKernels: float32 max pooling through md_pool2k_*, which keep
	// each window's winner for the backward pass, rather than cuDNN's,
	// whose backward pass reads x and y again.
	PoolKernels bool
}

// BNOnGPU is one BatchNorm layer on the device: cuDNN's description and
// the batch statistics it keeps between the forward and backward passes,
// the layer's input and output nodes, its running statistics (the net's)
// and the fused kernels' per-channel float64 sums.
type BNOnGPU struct {
	gpu.BatchNorm
	In, Out         *G.Node
	RunMean, RunVar gpu.Buffer
	Sums            gpu.Buffer // 2·C float64: two sums a channel
}

// bnChunks splits each channel's m values into chunks so that the sums
// run on about 128 Ki threads, at least one value each.
func bnChunks(c, m int) int { return max(1, min(m, (128<<10)/max(c, 1))) }

// flag is a kernel's long for a bool.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// inBuf is the device memory of input i of nd.
func inBuf(r GPURun, nd *G.Node, i int) gpu.Buffer { return r.Buf(r.Inputs(nd)[i]) }
