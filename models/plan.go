package models

import G "gorgonia.org/gorgonia"

// virtualBN lets planMemory make BatchNorm layers virtual (tests compare
// with it off).
var virtualBN = true

// planMemory runs once on a training graph, after its gradients are
// built. It makes virtual every BatchNorm layer whose readers are all
// convolutions and max pools (and their gradient ops), pointing those at
// it, and marks the convolutions whose output only a BatchNorm layer reads
// (their dx may reuse that buffer).
func planMemory(g *G.ExprGraph, arena *gradArena) {
	for _, n := range g.AllNodes() {
		if conv, ok := n.Op().(*conv2dOp); ok {
			conv.outFree = true
			it := g.To(n.ID())
			for it.Next() {
				if bn, ok := it.Node().(*G.Node).Op().(*bnOp); !ok || !bn.train {
					conv.outFree = false
				}
			}
		}
	}
	if !virtualBN {
		return
	}
	for _, n := range g.AllNodes() {
		bn, ok := n.Op().(*bnOp)
		if !ok || !bn.train {
			continue
		}
		var convs []*conv2dOp
		var pools []*maxPool2Op
		it := g.To(n.ID())
		for it.Next() {
			switch op := it.Node().(*G.Node).Op().(type) {
			case *conv2dOp:
				convs = append(convs, op)
			case *maxPool2Op:
				pools = append(pools, op)
			case *convDxOp, *convDwOp:
				// The gradient ops of those convolutions: they read the
				// input through their convolution's src.
			default:
				ok = false
			}
		}
		if !ok || len(convs)+len(pools) == 0 {
			continue
		}
		bn.virtual = true
		for _, c := range convs {
			c.src = bn
		}
		for _, p := range pools {
			p.src = bn
		}
	}
	// A max pool's gradient reading a virtual layer is fused into that
	// layer's gradient ops: no scatter buffer. Only the other scatters
	// size the arena.
	arena.reset()
	arena.hint = 0
	for _, n := range g.AllNodes() {
		sc, ok := n.Op().(*scatterOp)
		if !ok {
			continue
		}
		if bn := sc.f.src; bn != nil && bn.virtual && bn.gradScatter == sc {
			sc.fused, bn.pooled = true, true
			continue
		}
		arena.expect(sc.shape.TotalSize())
	}
	// A max pool of a virtual layer whose gradient is fused and whose
	// other readers are all convolutions is virtual too.
	for _, n := range g.AllNodes() {
		pool, ok := n.Op().(*maxPool2Op)
		if !ok || pool.src == nil || !pool.src.virtual || !pool.src.pooled {
			continue
		}
		var convs []*conv2dOp
		ok = true
		it := g.To(n.ID())
		for it.Next() {
			switch op := it.Node().(*G.Node).Op().(type) {
			case *conv2dOp:
				convs = append(convs, op)
			case *convDxOp, *scatterOp:
			default:
				ok = false
			}
		}
		if !ok || len(convs) == 0 {
			continue
		}
		pool.virtual = true
		for _, c := range convs {
			c.srcPool = pool
		}
	}
}
