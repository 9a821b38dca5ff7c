package training

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestClassWeightsMatchPyTorch: with class weights, ce is PyTorch's
// F.cross_entropy(x, y, weight=w), focal the competition's FocalLoss
// with weight (F.nll_loss((1 − p)^γ·log p, y, weight=w): Σ w_y·loss /
// Σ w_y), and smooth its LabelSmoothingLoss's rows weighed the same way;
// the loss and its gradient (autograd). The weights' scale does not
// matter, only their ratios.
func TestClassWeightsMatchPyTorch(t *testing.T) {
	type tc struct {
		Spec    string      `json:"spec"`
		Weights []float64   `json:"weights"`
		X       [][]float32 `json:"x"`
		Y       []int       `json:"y"`
	}
	r := rand.New(rand.NewPCG(41, 42))
	const n, k = 12, 18
	var cases []tc
	for _, spec := range []string{"ce", "focal", "smooth", "0.5ce+0.3focal+0.2smooth"} {
		c := tc{Spec: spec, Weights: make([]float64, k)}
		for j := range c.Weights {
			c.Weights[j] = 7 * math.Exp(3*r.Float64()) // up to 20× apart, far from a mean of 1
		}
		c.X, c.Y = randomRows(r, n, k)
		cases = append(cases, c)
	}
	var ref []lossAndGradient
	pyTorch(t, torchLosses+`
def loss_of(c, x, y):
    w = torch.tensor(c["weights"], dtype=torch.float64)
    ce, fo, sm = lambda: F.cross_entropy(x, y, weight=w), lambda: focal(x, y, 2.0, w), lambda: smooth(x, y, 0.1, w)
    return {"ce": ce, "focal": fo, "smooth": sm,
            "0.5ce+0.3focal+0.2smooth": lambda: 0.5 * ce() + 0.3 * fo() + 0.2 * sm()}[c["spec"]]()
each_case(loss_of)
`, cases, &ref)
	for ci, c := range cases {
		l, err := ParseLoss(c.Spec)
		if err != nil {
			t.Fatal(err)
		}
		l.ClassWeights = [][]float64{c.Weights}
		matchesReference(t, c.Spec, l, c.X, c.Y, ref[ci])
	}
}

// TestClassWeights: --class-weights inverse and sqrt weigh each class by
// 1/n and 1/√n of its training images (averaging 1 over the classes;
// per task for a -mh model), reach the run's loss and a loss switched to
// while training, and are in the header and the runs table; none (a
// sweep's empty value) is no weights; another word is refused.
func TestClassWeights(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	cfg.Loss, cfg.ClassWeights, cfg.Epochs = "ce", ClassWeightsInverse, 1
	tr, _ := runSwitchingLoss(t, cfg, "focal", nil)
	counts := make([]float64, len(tr.train.Classes))
	for _, s := range tr.train.Samples {
		counts[s.Label]++
	}
	w := tr.loss.ClassWeights
	if tr.loss.Spec != "focal" || len(w) != 1 || len(w[0]) != len(counts) {
		t.Fatalf("after the switch to focal: the loss %q, its class weights %v", tr.loss.Spec, w)
	}
	var mean float64
	for j, n := range counts {
		mean += w[0][j] / float64(len(counts))
		for i, m := range counts {
			if n > 0 && m > 0 && math.Abs(w[0][j]*n-w[0][i]*m) > 1e-9*w[0][j]*n {
				t.Fatalf("class %d (%v images) weighs %v, class %d (%v images) %v: not 1/n", j, n, w[0][j], i, m, w[0][i])
			}
		}
	}
	if math.Abs(mean-1) > 1e-12 {
		t.Errorf("the classes' weights average %v", mean)
	}
	tricksShown(t, tr, "class weights inverse")

	// sqrt, and a -mh model's tasks.
	var labels []int
	for c, n := range []int{9, 4, 1, 0, 16} { // class 3 has no image: it counts as one
		for range n {
			labels = append(labels, c)
		}
	}
	got := classWeights(labels, []int{5}, ClassWeightsSqrt)[0]
	want := []float64{1 / 3.0, 1 / 2.0, 1, 1, 1 / 4.0}
	s := 0.0
	for _, v := range want {
		s += v
	}
	for j := range want {
		if math.Abs(got[j]-want[j]*5/s) > 1e-12 {
			t.Errorf("sqrt: class %d weighs %v, want %v", j, got[j], want[j]*5/s)
		}
	}
	mh := classWeights([]int{0, 0, 3, 1, -1}, []int{3, 2, 3}, ClassWeightsInverse)
	// Tasks of classes 0, 0, 3 and 1: masks 0 0 0 0 (one mask class seen),
	// genders 0 0 1 0, ages 0 0 0 1.
	if fmt.Sprint(mh[1]) != fmt.Sprint([]float64{0.5, 1.5}) || mh[2][0] >= mh[2][1] {
		t.Errorf("the -mh heads' weights %v: want the gender head 1/3 : 1 (0.5, 1.5), and the older age rarer", mh)
	}

	d := Config{ClassWeights: NoneSetting}
	d.Defaults()
	if d.ClassWeights != "" || classWeights(labels, []int{5}, d.ClassWeights) != nil {
		t.Errorf("--class-weights none: %q", d.ClassWeights)
	}
	bad := tinyConfig(t, t.TempDir())
	bad.ClassWeights = "balanced"
	if err := bad.Check(); err == nil || !strings.Contains(err.Error(), `--class-weights "balanced" is unknown`) {
		t.Errorf("--class-weights balanced: %v", err)
	}
}

// TestClassWeightsWithoutAWeighedTerm: class weights with a loss that has
// no ce, focal or smooth term (la, f1) say at the start that they change
// nothing (a sweep of class-weights × loss=la trains alike twice); with
// one such term they say nothing.
func TestClassWeightsWithoutAWeighedTerm(t *testing.T) {
	for _, c := range []struct {
		loss string
		says bool
	}{{"la", true}, {"0.5la+0.5f1", true}, {"0.5la+0.5focal", false}, {"ce", false}} {
		hub := NewHub()
		cfg := tinyConfig(t, t.TempDir())
		cfg.Loss, cfg.ClassWeights = c.loss, ClassWeightsSqrt
		testTrainer(t, cfg, hub)
		_, evs := hub.Subscribe(0)
		said := slices.ContainsFunc(evs, func(e Event) bool {
			return e.Kind == KindError && strings.Contains(e.Msg, "--class-weights sqrt weighs the ce, focal and smooth terms, and loss "+c.loss+" has none")
		})
		if said != c.says {
			t.Errorf("--loss %s --class-weights sqrt: said %v, want %v (%v)", c.loss, said, c.says, evs)
		}
	}
}

// TestClassWeightsBesideABalancingSampler: class weights with the balance
// or weighted sampler say at start that the two corrections add up; with
// the shuffle sampler, or without weights, nothing is said.
func TestClassWeightsBesideABalancingSampler(t *testing.T) {
	for _, c := range []struct {
		sampler, weights string
		says             bool
	}{{"balance", ClassWeightsSqrt, true}, {"weighted", ClassWeightsInverse, true}, {"shuffle", ClassWeightsSqrt, false}, {"balance", "", false}} {
		hub := NewHub()
		cfg := tinyConfig(t, t.TempDir())
		cfg.Sampler, cfg.ClassWeights = c.sampler, c.weights
		testTrainer(t, cfg, hub)
		_, evs := hub.Subscribe(0)
		said := slices.ContainsFunc(evs, func(e Event) bool {
			return e.Kind == KindError && strings.Contains(e.Msg, "--class-weights "+c.weights+" and --sampler "+c.sampler+" both make up for the rare classes")
		})
		if said != c.says {
			t.Errorf("--sampler %s --class-weights %q: said %v, want %v", c.sampler, c.weights, said, c.says)
		}
	}
}
