package models

import (
	"slices"
	"testing"
)

// TestSummaryCountsWhatTheNetHas: for every model, the summary's
// parameters add up to the net's learnable values, its multiply-adds to
// the training step's FLOPs the builder counts (a convolution or dense
// layer twice its MACs in each of its three passes, the first layer's two),
// and cnn-s's dense layer reads the last map's 32·16·16 values at 64×64.
func TestSummaryCountsWhatTheNetHas(t *testing.T) {
	for _, name := range Names() {
		n, err := New(Spec{Name: name, Batch: 2, W: 64, H: 64, Classes: 18, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		ls, err := n.Summary()
		if err != nil {
			t.Fatal(err)
		}
		params, flops := 0, 0.0
		first := true
		for _, l := range ls {
			params += l.Params
			passes := 3.0
			if first && l.MACs > 0 {
				passes, first = 2, false
			}
			flops += 2 * passes * l.MACs
		}
		if params != n.NumParams() {
			t.Errorf("%s: the summary has %d parameters, the net %d", name, params, n.NumParams())
		}
		if flops != n.StepFLOPs() {
			t.Errorf("%s: the summary's MACs make %g FLOPs a step, the builder counted %g", name, flops, n.StepFLOPs())
		}
		if last := ls[len(ls)-1]; !slices.Equal(last.Out, []int{n.Spec.Outputs()}) {
			t.Errorf("%s: the last op gives %v, want the %d logits", name, last.Out, n.Spec.Outputs())
		}
		if name == "cnn-s" {
			for _, l := range ls {
				if l.Name == "fc" && l.Params != 32*16*16*18+18 {
					t.Errorf("cnn-s's dense layer reads %d values", l.Params)
				}
			}
		}
	}
}
