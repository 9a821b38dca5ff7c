package models

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// refreeze rebuilds the training graph when the parameters marked
// Frozen are no longer those it was built for. The new graph takes the
// gradients of the trained parameters only, and Gorgonia differentiates
// only the nodes that lie between them and the loss: while a child run's
// whole trunk is frozen (--freeze-epochs), the step is the forward pass
// and the head's backward, with no backward pass through the trunk. A
// frozen parameter's Grad is zero. The rebuild happens when a freeze
// starts or ends, not every step; the weights, BatchNorm statistics and
// the input's memory (InputBatch) are the same ones. On a GPU the
// graph's run is laid out again (gpuNet.retrain; the weights and the
// optimizer's state stay on the device).
func (n *Net) refreeze() error {
	if n.frozenAsBuilt() {
		return nil
	}
	want := n.frozenNow()
	gr, err := n.build(n.train.batch, true, want, n.train.xt)
	if err != nil {
		return fmt.Errorf("training graph for the frozen tensors: %w", err)
	}
	old := n.train
	n.train = gr
	for i, p := range n.params {
		if want != nil && want[i] {
			clear(p.Grad)
		}
	}
	if n.gpu != nil {
		return n.gpu.retrain(n)
	}
	if old.vm == nil { // laid out for a GPU the net has given back
		return nil
	}
	if err := old.vm.Close(); err != nil {
		return fmt.Errorf("closing the training graph of before the freeze changed: %w", err)
	}
	return nil
}

// frozenNow marks the parameters (in Params order) that are Frozen; nil
// when none is.
func (n *Net) frozenNow() []bool {
	want := make([]bool, len(n.params))
	some := false
	for i, p := range n.params {
		want[i] = p.Frozen
		some = some || p.Frozen
	}
	if !some {
		return nil
	}
	return want
}

// frozenAsBuilt reports whether the training graph was built for the
// parameters Frozen now marks (every step asks: no allocation).
func (n *Net) frozenAsBuilt() bool {
	built := n.train.frozen
	for i, p := range n.params {
		if p.Frozen != (built != nil && built[i]) {
			return false
		}
	}
	return true
}

// trainedGrads is G.Grad of cost with respect to the nodes frozen does not
// mark, spread back over all of nodes (nil where frozen).
func trainedGrads(cost *G.Node, nodes G.Nodes, frozen []bool) (G.Nodes, error) {
	if frozen == nil {
		return G.Grad(cost, nodes...)
	}
	var wrt G.Nodes
	for i, nd := range nodes {
		if !frozen[i] {
			wrt = append(wrt, nd)
		}
	}
	if len(wrt) == 0 {
		return nil, fmt.Errorf("every tensor is frozen: nothing to train")
	}
	gs, err := G.Grad(cost, wrt...)
	if err != nil {
		return nil, err
	}
	all := make(G.Nodes, len(nodes))
	k := 0
	for i := range nodes {
		if !frozen[i] {
			all[i] = gs[k]
			k++
		}
	}
	return all, nil
}
