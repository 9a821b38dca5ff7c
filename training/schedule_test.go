package training

import (
	"math"
	"strings"
	"testing"
	"time"
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

// TestPlateauMatchesPyTorch: the plateau schedule lowers the rate after
// the same epochs as PyTorch's ReduceLROnPlateau (mode "max", its default
// threshold), for several waits and factors and F1 sequences with ties,
// gains below the threshold and gains after a lowering.
func TestPlateauMatchesPyTorch(t *testing.T) {
	type tc struct {
		F1       []float64 `json:"f1"`
		Patience int       `json:"patience"`
		Gamma    float64   `json:"gamma"`
	}
	cases := []tc{
		{[]float64{0.1, 0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3}, 1, 0.5},
		{[]float64{0.5, 0.50002, 0.50004, 0.50006, 0.5001, 0.49, 0.48, 0.6, 0.59, 0.58, 0.57, 0.56}, 2, 0.1},
		{[]float64{0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3}, 0, 0.5},
		{[]float64{0, 0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.1, 0.1, 0.1, 0.1}, 3, 0.3},
	}
	var ref [][]float64
	pyTorch(t, `
import json, sys, torch
cases = json.load(sys.stdin)
out = []
for c in cases:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    s = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=c["gamma"], patience=c["patience"])
    lrs = []
    for f in c["f1"]:
        s.step(f)
        lrs.append(opt.param_groups[0]["lr"])
    out.append(lrs)
json.dump(out, sys.stdout)
`, cases, &ref)
	lowered := 0
	for k, c := range cases {
		var p Plateau
		s := Schedule{Name: "plateau", Gamma: c.Gamma}
		for e, f1 := range c.F1 {
			if p.Observe(f1, c.Patience) {
				lowered++
			}
			s.Reductions = p.Reductions
			if got := s.Rate(1, 100, e+1); math.Abs(got-ref[k][e]) > 1e-12 {
				t.Errorf("case %d (patience %d, ×%g), after epoch %d (F1 %v): rate %v, PyTorch's %v", k, c.Patience, c.Gamma, e+1, f1, got, ref[k][e])
			}
		}
	}
	if lowered < 6 {
		t.Errorf("the cases lowered the rate %d times: too few to test the waits", lowered)
	}
}

// TestPlateauScheduleInARun: a run whose validation F1 stays put (a rate
// too small to change a prediction) lowers its rate once it has waited
// out --lr-patience epochs, says so in its log, and a resume goes on
// waiting where the checkpoint left it; --lr-patience and --lr-gamma with
// another schedule are refused in a sentence.
func TestPlateauScheduleInARun(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t, dir)
	cfg.Epochs, cfg.Schedule, cfg.LRPatience, cfg.LRGamma, cfg.LR = 3, "plateau", 1, 0.25, 1e-9
	tr, evs, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	rates := func(evs []Event) map[int]float64 {
		r := map[int]float64{}
		for _, e := range evs {
			if e.Kind == KindStep {
				r[e.Epoch] = e.LR
			}
		}
		return r
	}
	notices := func(evs []Event) (n int, last string) {
		for _, e := range evs {
			if e.Kind == KindNotice && strings.Contains(e.Msg, "--schedule plateau") {
				n, last = n+1, e.Msg
			}
		}
		return n, last
	}
	// Epoch 1 sets the best, 2 waits, 3 lowers: epochs 1–3 trained at 1e-9.
	for epoch := range 3 {
		if got := rates(evs)[epoch]; math.Abs(got-1e-9) > 1e-21 {
			t.Errorf("epoch %d trained at %v, want 1e-09", epoch+1, got)
		}
	}
	if n, msg := notices(evs); n != 1 || !strings.Contains(msg, "learning rate ×0.25 after epoch 3") {
		t.Errorf("%d lowering notices; the last: %q", n, msg)
	}
	_, resumed, err := runTrainer(t, Config{Runs: dir, Resume: tr.RunID(), Epochs: 6, StepEvery: time.Nanosecond, Workers: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Epochs 4 and 5 wait at 2.5e-10, 5 lowers again: 6 at 6.25e-11.
	for epoch, want := range map[int]float64{3: 2.5e-10, 4: 2.5e-10, 5: 6.25e-11} {
		if got := rates(resumed)[epoch]; math.Abs(got-want) > 1e-21 {
			t.Errorf("after the resume, epoch %d trained at %v, want %v", epoch+1, got, want)
		}
	}
	if n, msg := notices(resumed); n != 1 || !strings.Contains(msg, "after epoch 5") {
		t.Errorf("after the resume, %d lowering notices; the last: %q", n, msg)
	}
	for _, bad := range []struct {
		cfg  Config
		want string
	}{
		{Config{Schedule: "cosine", LRPatience: 2}, "--lr-patience 2 is the plateau schedule's"},
		{Config{Schedule: "none", LRGamma: 0.1}, "--lr-gamma 0.1 is what the step and plateau schedules"},
	} {
		if err := bad.cfg.Check(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: %v", bad.cfg, err)
		}
	}
	d := Config{Schedule: "plateau"}
	d.Defaults()
	if d.LRPatience != DefaultLRPatience || d.LRGamma != DefaultLRGamma {
		t.Errorf("the plateau schedule's defaults: patience %d, gamma %g", d.LRPatience, d.LRGamma)
	}
}
