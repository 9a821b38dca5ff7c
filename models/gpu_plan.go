package models

import (
	"github.com/maskdash/maskdash/models/ops"
	G "gorgonia.org/gorgonia"
)

// The GPU engine's memory plan (used in a cuda build, tested everywhere):
// which ops' outputs may share device memory. gpuSteps says what each op's
// GPU form (package ops, *_gpu.go) reads and writes; gpuPlan gives outputs
// that are never needed at the same time one buffer.

// gpuStep is what one op's GPU form reads and writes, by node: its inputs,
// the values it reads through its forward op (BatchNorm's and a biased
// ReLU's gradient read the layer's input or output, a max pool's gradient
// its input and output), and the gradients one op computes for its
// siblings (BatchNorm's three, a bias's two, a convolution's kernel
// gradient with its input gradient, the loss's gradient with the loss).
type gpuStep struct {
	reads, writes G.Nodes
}

// opIndex finds the nodes the GPU forms reach past their own inputs:
// a forward op's node (BatchNorm, max pool, bias), by op, for its
// gradient; the gradient nodes one op computes together; the loss and
// its gradient.
type opIndex struct {
	fwd                 map[any]*G.Node
	bnGrads             map[*ops.BNOp]*[3]*G.Node // dx, dγ, dβ
	biasGrads           map[*ops.ChanBiasOp]*[2]*G.Node
	Dw                  map[*ops.ConvDwOp]*G.Node
	lossNode, dlossNode *G.Node
}

func indexOps(order G.Nodes) opIndex {
	ix := opIndex{fwd: map[any]*G.Node{}, bnGrads: map[*ops.BNOp]*[3]*G.Node{}, biasGrads: map[*ops.ChanBiasOp]*[2]*G.Node{},
		Dw: map[*ops.ConvDwOp]*G.Node{}}
	for _, nd := range order {
		switch op := nd.Op().(type) {
		case *ops.BNOp, *ops.MaxPool2Op, *ops.MaxPool3Op, *ops.ChanBiasOp:
			ix.fwd[op] = nd
		case *ops.LossOp:
			ix.lossNode = nd
		case *ops.LossDxOp:
			ix.dlossNode = nd
		case *ops.BNGradOp:
			if ix.bnGrads[op.Fwd] == nil {
				ix.bnGrads[op.Fwd] = &[3]*G.Node{}
			}
			ix.bnGrads[op.Fwd][op.Which] = nd
		case *ops.ChanBiasGradOp:
			if ix.biasGrads[op.Fwd] == nil {
				ix.biasGrads[op.Fwd] = &[2]*G.Node{}
			}
			ix.biasGrads[op.Fwd][op.Which] = nd
		case *ops.ConvDwOp:
			ix.Dw[op] = nd
		}
	}
	return ix
}

// gpuSteps lists, for each node of order (the execution order), what its
// GPU form reads and writes; inputs and constants do nothing.
func gpuSteps(order G.Nodes) []gpuStep {
	ix := indexOps(order)
	fwd, bnGrads, biasGrads, dw, lossNode, dlossNode := ix.fwd, ix.bnGrads, ix.biasGrads, ix.Dw, ix.lossNode, ix.dlossNode
	done := map[any]bool{}
	first := func(k any) bool {
		if done[k] {
			return false
		}
		done[k] = true
		return true
	}
	nonNil := func(ns ...*G.Node) G.Nodes {
		var out G.Nodes
		for _, n := range ns {
			if n != nil {
				out = append(out, n)
			}
		}
		return out
	}
	steps := make([]gpuStep, len(order))
	for i, nd := range order {
		if nd.Op() == nil || isConstant(nd) {
			continue
		}
		in := graphChildren(nd)
		s := gpuStep{reads: in, writes: G.Nodes{nd}}
		switch op := nd.Op().(type) {
		case *ops.ConvDxOp:
			if op.Dw != nil {
				s.writes = append(s.writes, dw[op.Dw])
			}
		case *ops.ConvDwOp:
			if op.Fused {
				s = gpuStep{} // its ops.ConvDxOp wrote it
			}
		case *ops.BNGradOp:
			s = gpuStep{}
			if first(op.Fwd) {
				f := fwd[op.Fwd]
				s.reads = G.Nodes{in[0], in[2], graphChildren(f)[0]}
				if op.Fwd.ReLU {
					s.reads = append(s.reads, f)
					s.writes = G.Nodes{in[2]} // dy is masked in place
				}
				g := bnGrads[op.Fwd]
				s.writes = append(s.writes, nonNil(g[0], g[1], g[2])...)
			}
		case *ops.ChanBiasGradOp:
			s = gpuStep{}
			if first(op.Fwd) {
				s.reads = G.Nodes{in[2]}
				if op.Fwd.ReLU {
					s.reads = append(s.reads, fwd[op.Fwd])
				}
				g := biasGrads[op.Fwd]
				s.writes = nonNil(g[0], g[1])
			}
		case *ops.ScatterOp:
			p := fwd[op.Fwd]
			s.reads = G.Nodes{in[0], graphChildren(p)[0], p}
		case *ops.MaxPool3DxOp:
			s.reads = G.Nodes{in[0], graphChildren(fwd[op.Fwd])[0]} // dy, and the pool's input
		case *ops.LossOp, *ops.LossDxOp:
			s = gpuStep{}
			if first(lossNode) {
				s.reads = G.Nodes{graphChildren(lossNode)[0]}
				s.writes = nonNil(dlossNode)
			}
		}
		steps[i] = s
	}
	return steps
}

// gpuPlan gives every node an op writes a slot: nodes of the same size
// whose values are never needed at the same time share one. A value is
// needed from the step that first writes it to the last step that reads
// it, and to the end for the nodes keep names (the parameters' gradients,
// which the optimizer reads after the step). words is a value's size in
// 4-byte words (half its values for bf16). Slots are handed out in the
// order values appear, each to the first free slot of its size.
func gpuPlan(order G.Nodes, steps []gpuStep, keep func(*G.Node) bool, words func(*G.Node) int) (slot map[*G.Node]int, sizes []int) {
	def, last := map[*G.Node]int{}, map[*G.Node]int{}
	var born G.Nodes
	for i, s := range steps {
		for _, w := range s.writes {
			if _, ok := def[w]; !ok {
				def[w], last[w] = i, i
				born = append(born, w)
			}
		}
	}
	for i, s := range steps {
		for _, r := range s.reads {
			if _, ok := def[r]; ok && i > last[r] {
				last[r] = i
			}
		}
	}
	for _, n := range born {
		if keep(n) {
			last[n] = len(order)
		}
	}
	slot = map[*G.Node]int{}
	var busy []int // the last step each slot's value is needed
	for _, n := range born {
		size := words(n)
		k := -1
		for j := range sizes {
			if sizes[j] == size && busy[j] < def[n] {
				k = j
				break
			}
		}
		if k < 0 {
			k = len(sizes)
			sizes, busy = append(sizes, size), append(busy, 0)
		}
		slot[n], busy[k] = k, last[n]
	}
	return slot, sizes
}
