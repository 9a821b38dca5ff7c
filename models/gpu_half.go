package models

import (
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
		*ops.MaskGradOp, *ops.AddOp, *ops.CopyOp, *ops.DropoutOp, *ops.DropDxOp:
		return true
	}
	return false
}
