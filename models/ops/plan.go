package ops

import G "gorgonia.org/gorgonia"

// VirtualBN lets PlanMemory make BatchNorm layers virtual (tests compare
// with it off).
var VirtualBN = true

// PlanMemory runs once on a training graph, after its gradients are
// built. It makes virtual every BatchNorm layer whose readers are all
// convolutions and max pools (and their gradient ops), pointing those at
// it, and marks the convolutions whose output only a BatchNorm layer reads
// (their dx may reuse that buffer).
func PlanMemory(g *G.ExprGraph, arena *GradArena) {
	for _, n := range g.AllNodes() {
		if conv, ok := n.Op().(*Conv2dOp); ok {
			conv.outFree = true
			it := g.To(n.ID())
			for it.Next() {
				if bn, ok := it.Node().(*G.Node).Op().(*BNOp); !ok || !bn.Train {
					conv.outFree = false
				}
			}
		}
	}
	if !VirtualBN {
		return
	}
	for _, n := range g.AllNodes() {
		bn, ok := n.Op().(*BNOp)
		if !ok || !bn.Train {
			continue
		}
		var convs []*Conv2dOp
		var pools []*MaxPool2Op
		it := g.To(n.ID())
		for it.Next() {
			switch op := it.Node().(*G.Node).Op().(type) {
			case *Conv2dOp:
				convs = append(convs, op)
			case *MaxPool2Op:
				pools = append(pools, op)
			case *ConvDxOp, *ConvDwOp:
				// The gradient ops of those convolutions: they read the
				// input through their convolution's src.
			default:
				ok = false
			}
		}
		if !ok || len(convs)+len(pools) == 0 {
			continue
		}
		bn.Virtual = true
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
	arena.Reset()
	arena.hint = 0
	for _, n := range g.AllNodes() {
		sc, ok := n.Op().(*ScatterOp)
		if !ok {
			continue
		}
		if bn := sc.Fwd.src; bn != nil && bn.Virtual && bn.gradScatter == sc {
			sc.Fused, bn.pooled = true, true
			continue
		}
		arena.expect(sc.shape.TotalSize())
	}
	// A max pool of a virtual layer whose gradient is fused and whose
	// other readers are all convolutions is virtual too.
	for _, n := range g.AllNodes() {
		pool, ok := n.Op().(*MaxPool2Op)
		if !ok || pool.src == nil || !pool.src.Virtual || !pool.src.pooled {
			continue
		}
		var convs []*Conv2dOp
		ok = true
		it := g.To(n.ID())
		for it.Next() {
			switch op := it.Node().(*G.Node).Op().(type) {
			case *Conv2dOp:
				convs = append(convs, op)
			case *ConvDxOp, *ScatterOp:
			default:
				ok = false
			}
		}
		if !ok || len(convs) == 0 {
			continue
		}
		pool.Virtual = true
		for _, c := range convs {
			c.srcPool = pool
		}
	}
}
