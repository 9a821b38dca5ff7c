package models

import (
	"fmt"
	"strings"

	"github.com/maskdash/maskdash/models/ops"
	G "gorgonia.org/gorgonia"
)

// ownSums rebuilds a training graph in which Gorgonia summed a node's
// gradients with its own Add (a node read by two ops: a residual block's
// input, the multi-head models' features), with package ops's AddOp in
// their place, so that the graph holds only package ops's ops. In a cuda
// build Gorgonia's Add is one of Gorgonia's CUDA ops: one of them in a CPU
// graph made Gorgonia's tape machine start its own CUDA context, which on
// a GPU machine failed now and then ("Failed to load module elembinop …
// InvalidContext", measured on the H200) and put a GPU under every CPU
// run of resnet-s. Everything else is kept: the inputs hold the same
// tensors, each op is the same op.
func ownSums(gr *graph) error {
	sum := func(nd *G.Node) bool {
		return nd.Op() != nil && strings.HasPrefix(nd.Op().String(), "+ ") && len(graphChildren(nd)) == 2
	}
	has := false
	for _, nd := range gr.g.AllNodes() {
		has = has || sum(nd)
	}
	if !has {
		return nil
	}
	sorted, err := G.Sort(gr.g)
	if err != nil {
		return err
	}
	g := G.NewGraph()
	m := make(map[*G.Node]*G.Node, len(sorted))
	for i := len(sorted) - 1; i >= 0; i-- {
		nd := sorted[i]
		var nn *G.Node
		switch {
		case nd.Op() == nil:
			nn = G.NewTensor(g, nd.Dtype(), nd.Dims(), G.WithShape(nd.Shape()...), G.WithName(nd.Name()), G.WithValue(nd.Value()))
		case isConstant(nd):
			nn = g.AddNode(G.NewConstant(nd.Value()))
		default:
			op := nd.Op()
			if sum(nd) {
				op = ops.NewGradSum(nd.Dims())
			}
			var in G.Nodes
			for _, c := range graphChildren(nd) {
				in = append(in, m[c])
			}
			if nn, err = G.ApplyOp(op, in...); err != nil {
				return fmt.Errorf("rebuilding %v: %w", nd.Op(), err)
			}
		}
		m[nd] = nn
	}
	gr.g, gr.x, gr.out, gr.cost = g, m[gr.x], m[gr.out], m[gr.cost]
	for i, n := range gr.grads {
		gr.grads[i] = m[n]
	}
	return nil
}

// isConstant reports whether nd is a constant the graph made (the loss
// gradient's seed, 1).
func isConstant(nd *G.Node) bool {
	return nd.Op() != nil && nd.IsScalar() && strings.HasPrefix(nd.Op().String(), "const")
}

// graphChildren are nd's inputs in order.
func graphChildren(nd *G.Node) G.Nodes {
	it := nd.Graph().From(nd.ID())
	var out G.Nodes
	for it.Next() {
		out = append(out, it.Node().(*G.Node))
	}
	return out
}
