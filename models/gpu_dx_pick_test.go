package models

import (
	"testing"

	"github.com/maskdash/maskdash/models/gpu"
)

// TestDxForwardFaster: the forward form is taken only when both forms
// were timed and it is clearly (10%) the faster one.
func TestDxForwardFaster(t *testing.T) {
	ms := func(v float64) gpu.ConvAlgorithm { return gpu.ConvAlgorithm{SearchMs: v} }
	for _, c := range []struct {
		bwd, fwd float64
		want     bool
	}{
		{25.6, 0.8, true}, // the H100's bf16 backward-data against a forward pass
		{1.0, 0.89, true},
		{1.0, 0.95, false}, // within the search's noise: cuDNN's own way
		{0.8, 1.0, false},
		{0, 0.5, false}, // not timed (the emulator)
		{0.5, 0, false},
	} {
		if got := dxForwardFaster(ms(c.bwd), ms(c.fwd)); got != c.want {
			t.Errorf("backward-data %.2f ms, forward %.2f ms: forward %v, want %v", c.bwd, c.fwd, got, c.want)
		}
	}
}
