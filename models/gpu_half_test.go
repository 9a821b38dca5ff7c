package models

import (
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/maskdash/maskdash/models/ops"
)

// TestHalfForms: in every model's training and evaluation graph, under
// --precision bf16, every op that reads or writes a bfloat16 value has a
// bfloat16 form on the GPU; the batch and every activation are bfloat16,
// no weight and no weight's gradient is; a dense layer on the trunk reads
// either the global average pool (float32) or a four-dimensional value
// it flattens itself; no dropout touches the trunk.
func TestHalfForms(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			net, err := New(Spec{Name: name, Batch: 4, W: 32, H: 32, Seed: 1, Dropout: 0.3})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := net.Close(); err != nil {
					t.Error(err)
				}
			}()
			if _, err := net.Forward(make([]float32, 3*32*32), 1); err != nil { // builds the evaluation graph
				t.Fatal(err)
			}
			params := map[*float32]bool{}
			for _, p := range net.Params() {
				params[&p.Data[0]] = true
			}
			for _, gr := range []*graph{net.train, net.eval} {
				sorted, err := G.Sort(gr.g)
				if err != nil {
					t.Fatal(err)
				}
				half := halfNodes(sorted, gr.grads, gr.x)
				if !half[gr.x] {
					t.Error("the batch is not bfloat16")
				}
				for _, g := range gr.grads {
					if half[g] {
						t.Errorf("the gradient %v is bfloat16", g)
					}
				}
				convs := 0
				for _, nd := range sorted {
					if v := nd.Value(); (nd.Op() == nil || isConstant(nd)) && v != nil && !nd.IsScalar() &&
						params[&ops.Float32s(v)[0]] && half[nd] {
						t.Errorf("the weight %s is bfloat16", nd.Name())
					}
					if nd.Op() == nil {
						continue
					}
					touches := half[nd]
					for _, in := range graphChildren(nd) {
						touches = touches || half[in]
					}
					if _, ok := nd.Op().(*ops.Conv2dOp); ok {
						convs++
						if !half[nd] {
							t.Errorf("convolution %v's output is float32", nd.Shape())
						}
					}
					if len(nd.Shape()) == 4 && !half[nd] && !slices.Contains(gr.grads, nd) {
						t.Errorf("%v %v: a four-dimensional value in float32", nd.Op(), nd.Shape())
					}
					if touches && !hasHalfForm(nd.Op()) {
						t.Errorf("%s: op %v (%T) touches bfloat16 values and has no bf16 form", name, nd.Op(), nd.Op())
					}
				}
				if convs == 0 {
					t.Errorf("%s has no convolution in a graph", name)
				}
			}
		})
	}
}

// TestHalfPadded: in every model's graphs the batch's three colours are
// padded to eight channels for exactly the convolutions that read it (one
// kernel each), and nothing else reads the batch.
func TestHalfPadded(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			net, err := New(Spec{Name: name, Batch: 4, W: 32, H: 32, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := net.Close(); err != nil {
					t.Error(err)
				}
			}()
			if _, err := net.Forward(make([]float32, 3*32*32), 1); err != nil {
				t.Fatal(err)
			}
			for _, gr := range []*graph{net.train, net.eval} {
				sorted, err := G.Sort(gr.g)
				if err != nil {
					t.Fatal(err)
				}
				pads := halfPadded(sorted, gr.x)
				if len(pads) != 1 {
					t.Fatalf("%d kernels padded, want the first convolution's", len(pads))
				}
				for k, cp := range pads {
					if cp != 8 || k.Shape()[1] != 3 {
						t.Errorf("kernel %v padded to %d channels, want 3 to 8", k.Shape(), cp)
					}
				}
			}
		})
	}
}
