package training

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/models"
)

func param(name string, shape []int, data, grad []float32) *models.Param {
	return &models.Param{Name: name, Shape: shape, Data: data, Grad: grad, Decay: len(shape) > 1}
}

func TestUnknownOptimizer(t *testing.T) {
	_, err := NewOptimizer(OptimConfig{Name: "lion"})
	if err == nil || !strings.Contains(err.Error(), "sgd, adam, adamw, adamp") {
		t.Fatalf("%v", err)
	}
}

// TestAdamMatchesFormula follows PyTorch's Adam by hand for three steps.
func TestAdamMatchesFormula(t *testing.T) {
	o, _ := NewOptimizer(OptimConfig{Name: "adam", LR: 0.1})
	p := param("w", []int{1}, []float32{1}, []float32{0})
	w, m, v := 1.0, 0.0, 0.0
	for step, g := range []float64{0.5, -0.2, 0.3} {
		p.Grad[0] = float32(g)
		o.Step([]*models.Param{p})
		m = 0.9*m + 0.1*g
		v = 0.999*v + 0.001*g*g
		tt := float64(step + 1)
		w -= 0.1 / (1 - math.Pow(0.9, tt)) * m / (math.Sqrt(v)/math.Sqrt(1-math.Pow(0.999, tt)) + 1e-8)
		if math.Abs(float64(p.Data[0])-w) > 1e-6 {
			t.Fatalf("step %d: %v, want %v", step+1, p.Data[0], w)
		}
	}
	// Changing the rate keeps the moments: the next step uses them.
	st := o.State()
	o.SetLR(0.01)
	if o.State().Step != st.Step || o.State().Slots["w"][0][0] != st.Slots["w"][0][0] {
		t.Error("SetLR lost optimizer state")
	}
}

func TestSGDNesterov(t *testing.T) {
	o, _ := NewOptimizer(OptimConfig{Name: "sgd", LR: 0.1, Momentum: 0.9, Nesterov: true})
	p := param("b", []int{1}, []float32{0}, []float32{1})
	o.Step([]*models.Param{p}) // buf = 1, g' = 1 + 0.9 = 1.9
	o.Step([]*models.Param{p}) // buf = 1.9, g' = 1 + 1.71 = 2.71
	if want := float32(-0.1 * (1.9 + 2.71)); math.Abs(float64(p.Data[0]-want)) > 1e-6 {
		t.Fatalf("got %v want %v", p.Data[0], want)
	}
}

func dot(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// TestAdamPProjection: a gradient orthogonal to every row of a weight
// (scale-invariant, as behind BatchNorm) must be projected, so the update
// has no radial part; a gradient along the weight must not be.
func TestAdamPProjection(t *testing.T) {
	w0 := []float32{1, 2, 0, 0, 0, 0, 3, 1}
	// Orthogonal to each row: rows (1,2,0,0) and (0,0,3,1).
	orth := []float32{2, -1, 0.5, 0, 0.5, 0.3, -1, 3}
	for _, c := range []struct {
		name    string
		grad    []float32
		project bool
	}{{"orthogonal", orth, true}, {"parallel", []float32{1, 2, 0, 0, 0, 0, 3, 1}, false}} {
		o, _ := NewOptimizer(OptimConfig{Name: "adamp", LR: 0.01})
		p := param("conv.weight", []int{2, 4}, append([]float32(nil), w0...), append([]float32(nil), c.grad...))
		upd := make([]float64, len(w0))
		for i := range upd {
			upd[i] = float64(c.grad[i]) // any update; the projection acts on it
		}
		got := adampProject(p, upd, 0.1, 1e-8)
		if got != c.project {
			t.Errorf("%s: projected = %v, want %v", c.name, got, c.project)
		}
		o.Step([]*models.Param{p})
		delta := make([]float32, len(w0))
		for i := range delta {
			delta[i] = p.Data[i] - w0[i]
		}
		radial := math.Abs(dot(delta[:4], w0[:4])) + math.Abs(dot(delta[4:], w0[4:]))
		if c.project && radial > 1e-4 {
			t.Errorf("%s: update has a radial part %v", c.name, radial)
		}
		if !c.project && radial < 1e-3 {
			t.Errorf("%s: update lost its radial part (%v)", c.name, radial)
		}
	}
	// 1-D parameters (biases, BatchNorm) are never projected.
	o, _ := NewOptimizer(OptimConfig{Name: "adamp", LR: 0.01})
	b := param("bn.bias", []int{2}, []float32{1, 0}, []float32{0, 1})
	o.Step([]*models.Param{b})
	if b.Data[1] == 0 {
		t.Error("bias was not updated")
	}
}

func TestScheduleWarmupAndStep(t *testing.T) {
	s := Schedule{Name: "step", StepEpochs: 2, Gamma: 0.5, WarmupSteps: 10}
	if got := s.Rate(1e-3, 0, 0); got != 1e-5 {
		t.Errorf("warm-up start %v, want 1e-5", got)
	}
	if got := s.Rate(1e-3, 10, 0); got != 1e-3 {
		t.Errorf("after warm-up %v", got)
	}
	if got := s.Rate(1e-3, 100, 4); math.Abs(got-2.5e-4) > 1e-12 {
		t.Errorf("step decay %v", got)
	}
	c := Schedule{Name: "cosine", TotalSteps: 100}
	if got := c.Rate(1, 50, 0); math.Abs(got-0.5) > 1e-12 {
		t.Errorf("cosine mid %v", got)
	}
}

// TestRateScaleScalesTheMove: a tensor with RateScale s moves s times as
// far on its first step as the same tensor without it (every rule is
// linear in the rate there, decoupled decay included); a Frozen one does
// not move.
func TestRateScaleScalesTheMove(t *testing.T) {
	for _, name := range []string{"sgd", "adam", "adamw", "adamp"} {
		o, err := NewOptimizer(OptimConfig{Name: name, LR: 0.05, WeightDecay: 0.01, Momentum: 0.9})
		if err != nil {
			t.Fatal(err)
		}
		data, grad := []float32{0.5, -1, 2, 0.25, -0.75, 1.5}, []float32{0.3, 0.1, -0.2, 0.05, 0.4, -0.1}
		whole := param("a", []int{2, 3}, append([]float32(nil), data...), grad)
		scaled := param("b", []int{2, 3}, append([]float32(nil), data...), grad)
		scaled.RateScale = 0.25
		frozen := param("c", []int{2, 3}, append([]float32(nil), data...), grad)
		frozen.Frozen = true
		o.Step([]*models.Param{whole, scaled, frozen})
		for i := range data {
			mw, ms := float64(whole.Data[i]-data[i]), float64(scaled.Data[i]-data[i])
			if mw == 0 || math.Abs(ms-0.25*mw) > 1e-6*math.Abs(mw)+5e-7 { // float32 values near 2: an ulp is 2.4e-7
				t.Errorf("%s: value %d moved %g at a quarter of the rate, %g at all of it", name, i, ms, mw)
			}
			if frozen.Data[i] != data[i] {
				t.Errorf("%s: the frozen tensor moved", name)
			}
		}
	}
}

// TestFrozenStepsDoNotCount: a tensor that sat out 1,000 steps frozen
// takes its first Adam step as a fresh tensor does (PyTorch counts steps
// per tensor): every value moves by the rate, against the gradient. With
// the run's step count it would move about 2.5 times as far. The count
// survives the optimizer's state (a checkpoint).
func TestFrozenStepsDoNotCount(t *testing.T) {
	o, err := NewOptimizer(OptimConfig{Name: "adam", LR: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	live := param("live", []int{3}, []float32{1, 1, 1}, []float32{0.1, 0.1, 0.1})
	late := param("late", []int{3}, []float32{1, 1, 1}, []float32{0.5, -0.2, 0.05})
	late.Frozen = true
	for range 1000 {
		o.Step([]*models.Param{live, late})
	}
	st := o.State()
	if st.Skipped["late"] != 1000 || st.Skipped["live"] != 0 {
		t.Fatalf("skipped %v", st.Skipped)
	}
	o2, _ := NewOptimizer(OptimConfig{Name: "adam", LR: 0.01})
	if err := o2.Load(st); err != nil {
		t.Fatal(err)
	}
	late.Frozen = false
	o2.Step([]*models.Param{live, late})
	for i, g := range late.Grad {
		want := 1 - 0.01*float64(g)/math.Abs(float64(g))
		if math.Abs(float64(late.Data[i])-want) > 1e-6 {
			t.Errorf("value %d: %v after its first step, want %v (a fresh Adam's)", i, late.Data[i], want)
		}
	}
}

// TestRAdamMatchesPyTorch: twelve steps of RAdam (the first five with
// the bias-corrected momentum alone, the rest rectified), with and
// without L2 decay, move the weights as PyTorch 1.13's torch.optim.RAdam
// does from the same weights and gradients, after every step.
func TestRAdamMatchesPyTorch(t *testing.T) {
	type tc struct {
		LR    float64     `json:"lr"`
		WD    float64     `json:"wd"`
		W     []float32   `json:"w"`
		Grads [][]float32 `json:"grads"`
	}
	r := rand.New(rand.NewPCG(12, 13))
	var cases []tc
	for _, wd := range []float64{0, 1e-2} {
		c := tc{LR: 3e-3, WD: wd, W: make([]float32, 40)}
		for i := range c.W {
			c.W[i] = float32(r.NormFloat64())
		}
		for range 12 {
			g := make([]float32, len(c.W))
			for i := range g {
				g[i] = float32(r.NormFloat64() * 0.1)
			}
			c.Grads = append(c.Grads, g)
		}
		cases = append(cases, c)
	}
	var ref [][][]float32
	pyTorch(t, `
import json, sys, torch
out = []
for c in json.load(sys.stdin):
    w = torch.tensor(c["w"], dtype=torch.float32, requires_grad=True)
    opt = torch.optim.RAdam([w], lr=c["lr"], weight_decay=c["wd"])
    steps = []
    for g in c["grads"]:
        w.grad = torch.tensor(g, dtype=torch.float32)
        opt.step()
        steps.append(w.detach().tolist())
    out.append(steps)
json.dump(out, sys.stdout)
`, cases, &ref)
	for k, c := range cases {
		o, err := NewOptimizer(OptimConfig{Name: "radam", LR: c.LR, WeightDecay: c.WD})
		if err != nil {
			t.Fatal(err)
		}
		p := &models.Param{Name: "w", Shape: []int{40}, Data: slices.Clone(c.W), Decay: true}
		for s, g := range c.Grads {
			p.Grad = slices.Clone(g)
			o.Step([]*models.Param{p})
			worst := 0.0
			for i, v := range p.Data {
				worst = max(worst, math.Abs(float64(v-ref[k][s][i])))
			}
			if worst > 1e-6 {
				t.Errorf("case %d (weight decay %g), step %d: %.3g from PyTorch's weights", k, c.WD, s+1, worst)
			}
		}
	}
	if r := models.RAdamRect(0.999, 5); r != 0 {
		t.Errorf("step 5 rectified (%v): PyTorch's first five steps are momentum alone", r)
	}
	if r := models.RAdamRect(0.999, 6); !(r > 0 && r < 1) {
		t.Errorf("step 6's rectification %v, want between 0 and 1", r)
	}
}
