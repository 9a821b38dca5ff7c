package models

import (
	"testing"

	G "gorgonia.org/gorgonia"
)

// TestGPUPlanKeepsEveryReadValue walks every model's training graph, as
// the GPU engine lays it out, with the memory plan: at each step every
// value the op reads must still be in its slot (no other value was
// written there since), and the parameters' gradients must all be in
// theirs at the end. It also checks that the plan saves memory.
func TestGPUPlanKeepsEveryReadValue(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			n, err := New(Spec{Name: name, Batch: 4, W: 32, H: 32, Seed: 1, Dropout: 0.2})
			if err != nil {
				t.Fatal(err)
			}
			n.Spec.Device = DeviceCUDA // the graph as a GPU net builds it
			gr, err := n.build(4, true, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			sorted, err := G.Sort(gr.g)
			if err != nil {
				t.Fatal(err)
			}
			var order G.Nodes
			for i := len(sorted) - 1; i >= 0; i-- {
				order = append(order, sorted[i])
			}
			keep := map[*G.Node]bool{}
			for _, g := range gr.grads {
				keep[g] = true
			}
			steps := gpuSteps(order)
			slot, sizes := gpuPlan(order, steps, func(nd *G.Node) bool { return keep[nd] }, func(nd *G.Node) int { return nd.Shape().TotalSize() })
			owner := map[int]*G.Node{}
			for i, s := range steps {
				read := map[int]*G.Node{}
				for _, r := range s.reads {
					k, ok := slot[r]
					if !ok {
						continue // an input or weight: not planned
					}
					if owner[k] != r {
						t.Fatalf("step %d (%v) reads %v, but its slot %d holds %v", i, order[i].Op(), r.Op(), k, owner[k])
					}
					read[k] = r
				}
				for _, w := range s.writes {
					// An op's output never shares memory with what it reads
					// (but BatchNorm's gradient masking its own dy).
					if r, ok := read[slot[w]]; ok && r != w {
						t.Fatalf("step %d (%v) writes %v over %v, which it reads", i, order[i].Op(), w.Op(), r.Op())
					}
				}
				for _, w := range s.writes {
					k, ok := slot[w]
					if !ok {
						t.Fatalf("step %d (%v) writes %v, which has no slot", i, order[i].Op(), w.Op())
					}
					if w.Shape().TotalSize() != sizes[k] {
						t.Fatalf("%v in a slot of %d values", w.Shape(), sizes[k])
					}
					owner[k] = w
				}
			}
			for g := range keep {
				if owner[slot[g]] != g {
					t.Errorf("the gradient %v was overwritten", g.Op())
				}
			}
			all, planned := 0, 0
			for nd := range slot {
				all += nd.Shape().TotalSize()
			}
			for _, s := range sizes {
				planned += s
			}
			t.Logf("%s: %d values in %d slots, %d without the plan (%.0f%%)", name, planned, len(sizes), all, 100*float64(planned)/float64(all))
			if planned >= all {
				t.Errorf("the plan saves nothing: %d of %d values", planned, all)
			}
		})
	}
}
