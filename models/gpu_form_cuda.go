//go:build cuda || gpuemu

package models

import (
	G "gorgonia.org/gorgonia"

	"github.com/maskdash/maskdash/models/gpu"
	"github.com/maskdash/maskdash/models/ops"
)

// gpuRun is the ops' ops.GPURun: what their GPU forms (package ops,
// *_gpu.go) read of the run.
var _ ops.GPURun = (*gpuRun)(nil)

func (r *gpuRun) Device() *gpu.Device { return r.net.dev }

func (r *gpuRun) Buf(nd *G.Node) gpu.Buffer {
	if nd == nil {
		return gpu.Buffer{}
	}
	return r.buf[nd]
}

func (r *gpuRun) Inputs(nd *G.Node) G.Nodes {
	if ins, ok := r.ins[nd]; ok {
		return ins
	}
	return graphChildren(nd)
}

func (r *gpuRun) Desc(nd *G.Node) *gpu.Tensor { return r.desc[nd] }

func (r *gpuRun) Forward(op G.Op) *G.Node { return r.fwd[op] }

func (r *gpuRun) BNGrads(op *ops.BNOp) [3]*G.Node {
	if g := r.bnGrads[op]; g != nil {
		return *g
	}
	return [3]*G.Node{}
}

func (r *gpuRun) BiasGrads(op *ops.ChanBiasOp) [2]*G.Node {
	if g := r.biasGrads[op]; g != nil {
		return *g
	}
	return [2]*G.Node{}
}

func (r *gpuRun) KernelGrad(op *ops.ConvDwOp) *G.Node { return r.Dw[op] }

func (r *gpuRun) Conv(op *ops.Conv2dOp) *gpu.Conv { return r.convs[op] }

func (r *gpuRun) DxConv(op *ops.Conv2dOp) *gpu.Conv { return r.dxConvs[op] }

func (r *gpuRun) BN(op *ops.BNOp) *ops.BNOnGPU { return r.bns[op] }

func (r *gpuRun) Mask(op *ops.DropoutOp) gpu.Buffer { return r.masks[op] }

func (r *gpuRun) PoolWinners(op *ops.MaxPool2Op) gpu.Buffer { return r.winners[op] }

func (r *gpuRun) Ones(n int) (gpu.Buffer, error) { return r.net.onesOf(n) }

func (r *gpuRun) Scratch() ops.GPUScratch {
	return ops.GPUScratch{BiasSums: r.scratch, Flat: r.flat, KernelGrad: r.dwh, HalfSums: r.hsums, Flipped: r.flipped}
}

func (r *gpuRun) HalfKernel(nd *G.Node) gpu.Buffer { return r.wh[nd] }

func (r *gpuRun) Choices() ops.GPUChoices {
	return ops.GPUChoices{FusedBN: gpuFusedBN, HalfCuDNNBN: gpuHalfCuDNNBN, PoolKernels: gpuPoolKernels}
}
