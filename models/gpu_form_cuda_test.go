//go:build cuda || gpuemu

package models

import (
	"testing"

	"github.com/maskdash/maskdash/models/ops"
)

// TestGPUForms: every op of every model's training and evaluation graph
// (with dropout) has a GPU form in package ops, but the loss, which the
// run does itself; and an op has a bfloat16 form exactly where
// hasHalfForm, which TestHalfForms checks in every build, says it has.
func TestGPUForms(t *testing.T) {
	for _, name := range Names() {
		net, err := New(Spec{Name: name, Batch: 4, W: 32, H: 32, Seed: 1, Dropout: 0.3})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := net.Forward(make([]float32, 3*32*32), 1); err != nil { // builds the evaluation graph
			t.Fatal(err)
		}
		for _, gr := range []*graph{net.train, net.eval} {
			for _, nd := range gr.g.AllNodes() {
				op := nd.Op()
				if op == nil || isConstant(nd) {
					continue
				}
				switch op.(type) {
				case *ops.LossOp, *ops.LossDxOp:
					continue
				}
				if _, ok := op.(ops.GPUDoer); !ok {
					t.Errorf("%s: op %v (%T) has no GPU form", name, op, op)
				}
				_, half := op.(ops.GPUHalfDoer)
				if half != hasHalfForm(op) {
					t.Errorf("%s: op %T: a bf16 form %v, hasHalfForm %v", name, op, half, hasHalfForm(op))
				}
			}
		}
		if err := net.Close(); err != nil {
			t.Error(err)
		}
	}
}
