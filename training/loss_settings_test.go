package training

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestFocalAndSmoothMatchPyTorch: focal at γ 1, 2 and 3.5 is the
// competition's FocalLoss (F.nll_loss((1 − p)^γ·log p)), smooth at 0.1
// and 0.2 its LabelSmoothingLoss with classes = 18 (1 − s on the true
// class, s/17 on each other), and a weighted sum of both is the sum of
// theirs: the loss and its gradient with respect to the logits (autograd).
func TestFocalAndSmoothMatchPyTorch(t *testing.T) {
	type tc struct {
		Spec      string      `json:"spec"`
		Gamma     float64     `json:"gamma"`
		Smoothing float64     `json:"smoothing"`
		X         [][]float32 `json:"x"`
		Y         []int       `json:"y"`
	}
	r := rand.New(rand.NewPCG(31, 32))
	const n, k = 11, 18
	var cases []tc
	for _, c := range []tc{
		{Spec: "focal", Gamma: 1}, {Spec: "focal", Gamma: 2}, {Spec: "focal", Gamma: 3.5},
		{Spec: "smooth", Smoothing: 0.1}, {Spec: "smooth", Smoothing: 0.2},
		{Spec: "0.6focal+0.4smooth", Gamma: 0.5, Smoothing: 0.3},
	} {
		c.X, c.Y = randomRows(r, n, k)
		cases = append(cases, c)
	}
	var ref []lossAndGradient
	pyTorch(t, torchLosses+`
def loss_of(c, x, y):
    if c["spec"] == "focal":
        return focal(x, y, c["gamma"])
    if c["spec"] == "smooth":
        return smooth(x, y, c["smoothing"])
    return 0.6 * focal(x, y, c["gamma"]) + 0.4 * smooth(x, y, c["smoothing"])
each_case(loss_of)
`, cases, &ref)
	for ci, c := range cases {
		name := fmt.Sprintf("%s γ %g s %g", c.Spec, c.Gamma, c.Smoothing)
		tr := &Trainer{cfg: Config{FocalGamma: c.Gamma, Smoothing: c.Smoothing}}
		l, err := tr.parseLoss(c.Spec) // as a run of --focal-gamma and --smoothing reads it
		if err != nil {
			t.Fatal(err)
		}
		matchesReference(t, name, l, c.X, c.Y, ref[ci])
	}
}

// TestFocalGammaAndSmoothing: --focal-gamma and --smoothing reach the
// run's loss, a loss switched to while training (the dashboard's l,
// maskdash control) and the header (the runs table reads the same from
// run.json); a run without them has the defaults written into its config
// for the terms its loss has, and none for those it lacks; values out of
// range are refused, naming the flag.
func TestFocalGammaAndSmoothing(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	cfg.Loss, cfg.FocalGamma, cfg.Smoothing, cfg.Epochs = "focal", 1, 0.2, 1
	tr, _ := runSwitchingLoss(t, cfg, "0.5focal+0.5smooth", func(tr *Trainer) {
		if tr.loss.Gamma != 1 {
			t.Errorf("--focal-gamma 1: the run's loss has γ %v", tr.loss.Gamma)
		}
	})
	if tr.loss.Spec != "0.5focal+0.5smooth" || tr.loss.Gamma != 1 || tr.loss.Smoothing != 0.2 {
		t.Errorf("switched to %q: γ %v, s %v; want 1 and 0.2", tr.loss.Spec, tr.loss.Gamma, tr.loss.Smoothing)
	}
	tricksShown(t, tr, "focal γ 1", "smoothing 0.2")
	for _, c := range []struct {
		loss      string
		gamma, sm float64
	}{{"focal", DefaultFocalGamma, 0}, {"smooth", 0, DefaultSmoothing}, {"0.4f1+0.6focal", DefaultFocalGamma, 0}, {"ce", 0, 0}, {"focal+smooth", DefaultFocalGamma, DefaultSmoothing}} {
		d := Config{Loss: c.loss}
		d.Defaults()
		if d.FocalGamma != c.gamma || d.Smoothing != c.sm {
			t.Errorf("--loss %s: γ %v and s %v after the defaults, want %v and %v", c.loss, d.FocalGamma, d.Smoothing, c.gamma, c.sm)
		}
		if h := (RunHeader{FocalGamma: unlessDefault(d.FocalGamma, DefaultFocalGamma), Smoothing: unlessDefault(d.Smoothing, DefaultSmoothing)}); len(h.Tricks()) != 0 {
			t.Errorf("--loss %s: the defaults are shown as %q", c.loss, h.Tricks())
		}
	}
	for _, c := range []struct {
		set  func(*Config)
		flag string
	}{
		{func(c *Config) { c.FocalGamma = -1 }, "focal-gamma"},
		{func(c *Config) { c.FocalGamma = 101 }, "focal-gamma"},
		{func(c *Config) { c.Smoothing = 1 }, "smoothing"},
		{func(c *Config) { c.Smoothing = -0.1 }, "smoothing"},
	} {
		bad := tinyConfig(t, t.TempDir())
		c.set(&bad)
		if err := bad.Check(); err == nil || !strings.HasPrefix(err.Error(), c.flag+" ") {
			t.Errorf("%s out of range: %v", c.flag, err)
		}
	}
}
