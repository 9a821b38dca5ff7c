package models

import (
	"slices"

	G "gorgonia.org/gorgonia"

	"github.com/maskdash/maskdash/models/ops"
)

// Which values --precision bf16 keeps in bfloat16, and which ops have a
// bfloat16 form: used by the GPU engine (gpu_half_cuda.go) and tested in
// every build (gpu_half_test.go), so that a model whose graph needs an op
// the bf16 path lacks fails here, not first on a GPU.

// halfNodes are the nodes of a graph (order: the execution order) held
// as bfloat16 NHWC: every four-dimensional value, the batch x included,
// but the weights and the weights' gradients (grads), which stay float32.
func halfNodes(order, grads G.Nodes, x *G.Node) map[*G.Node]bool {
	isGrad := map[*G.Node]bool{}
	for _, g := range grads {
		isGrad[g] = true
	}
	half := map[*G.Node]bool{}
	for _, nd := range order {
		if len(nd.Shape()) != 4 || isGrad[nd] {
			continue
		}
		if (nd.Op() == nil || isConstant(nd)) && nd != x {
			continue // a weight
		}
		half[nd] = true
	}
	return half
}

// hasHalfForm reports whether the GPU engine runs op on bfloat16 values
// (each has a GPUDoHalf in package ops: TestGPUForms).
func hasHalfForm(op G.Op) bool {
	switch op.(type) {
	case *ops.Conv2dOp, *ops.ConvDxOp, *ops.ConvDwOp, *ops.BNOp, *ops.BNGradOp, *ops.ChanBiasOp, *ops.ChanBiasGradOp,
		*ops.MaxPool2Op, *ops.ScatterOp, *ops.GAPOp, *ops.GAPDxOp, *ops.LinearOp, *ops.LinGradOp, *ops.ReLUOp,
		*ops.MaskGradOp, *ops.AddOp, *ops.CopyOp, *ops.DropoutOp, *ops.DropDxOp,
		*ops.SubsampleOp, *ops.SubsampleDxOp, *ops.MaxPool3Op, *ops.MaxPool3DxOp:
		return true
	}
	return false
}

// halfChannelStep is the channel count cuDNN's bfloat16 NHWC tensor-core
// convolutions want a multiple of (16 bytes a position).
const halfChannelStep = 8

// halfPadded finds the convolutions that read the batch x directly with a
// channel count that is not a multiple of halfChannelStep (the first
// layer's three colours) and returns each one's kernel node with the
// padded count: the GPU engine then holds the batch in bfloat16 with zero
// channels up to it, and those kernels' bfloat16 copies with zero
// weights there (gpu_half_cuda.go). Nothing is padded (nil) unless every
// op that reads x is such a convolution or its kernel gradient: another
// reader would see the padding.
func halfPadded(order G.Nodes, x *G.Node) map[*G.Node]int {
	if len(x.Shape()) != 4 || x.Shape()[1]%halfChannelStep == 0 {
		return nil
	}
	c := x.Shape()[1]
	cp := (c + halfChannelStep - 1) / halfChannelStep * halfChannelStep
	out := map[*G.Node]int{}
	for _, nd := range order {
		ins := graphChildren(nd)
		if !slices.Contains(ins, x) {
			continue
		}
		switch nd.Op().(type) {
		case *ops.Conv2dOp:
			if ins[0] != x {
				return nil
			}
			out[ins[1]] = cp
		case *ops.ConvDwOp:
			if ins[0] != x {
				return nil
			}
		case *ops.ConvDxOp:
			if len(ins) < 3 || ins[2] != x || ins[0] == x || ins[1] == x {
				return nil
			}
		default:
			return nil
		}
	}
	return out
}
