package training

import (
	"math"
	"strings"
	"testing"
)

// TestStepScheduleTakesLRStep: --schedule step --lr-step 1 halves the
// rate after each epoch of a run (its step events say so); the step
// schedule's default is the baseline's 20 epochs, and --lr-step with
// another schedule is refused in a sentence.
func TestStepScheduleTakesLRStep(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	cfg.Epochs, cfg.Schedule, cfg.LRStep, cfg.LR = 3, "step", 1, 0.004
	_, evs, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	rates := map[int]float64{}
	for _, e := range evs {
		if e.Kind == KindStep {
			rates[e.Epoch] = e.LR
		}
	}
	for epoch, want := range map[int]float64{0: 0.004, 1: 0.002, 2: 0.001} {
		if math.Abs(rates[epoch]-want) > 1e-12 {
			t.Errorf("epoch %d trained at %v, want %v", epoch+1, rates[epoch], want)
		}
	}
	d := Config{Schedule: "step"}
	d.Defaults()
	if d.LRStep != DefaultLRStep || DefaultLRStep != 20 {
		t.Errorf("the step schedule's default: %d", d.LRStep)
	}
	bad := Config{Schedule: "cosine", LRStep: 5}
	if err := bad.Check(); err == nil || !strings.Contains(err.Error(), "--lr-step 5 is the step schedule's") {
		t.Errorf("--lr-step with cosine: %v", err)
	}
}
