package training

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
)

// randomPriors are, for each head, random class shares (some far from
// even, as the competition's 60+ classes are).
func randomPriors(r *rand.Rand, heads []int) [][]float64 {
	out := make([][]float64, len(heads))
	for h, size := range heads {
		var sum float64
		out[h] = make([]float64, size)
		for j := range out[h] {
			out[h][j] = math.Exp(3 * r.Float64()) // shares up to 20× apart
			sum += out[h][j]
		}
		for j := range out[h] {
			out[h][j] /= sum
		}
	}
	return out
}

// randomRows are n rows of k logits (normal, sd 2) and a label for each.
func randomRows(r *rand.Rand, n, k int) ([][]float32, []int) {
	x, y := make([][]float32, n), make([]int, n)
	for i := range n {
		x[i] = make([]float32, k)
		for j := range x[i] {
			x[i][j] = float32(2 * r.NormFloat64())
		}
		y[i] = r.IntN(k)
	}
	return x, y
}

// lossAndGradient is a reference's loss of a batch and its gradient with
// respect to the logits, a row an image.
type lossAndGradient struct {
	Loss float64     `json:"loss"`
	Grad [][]float64 `json:"grad"`
}

// matchesReference checks loss l on rows x labelled y (one head) against
// a reference's loss (1e-6 relative) and gradient (1e-7).
func matchesReference(t *testing.T, name string, l *Loss, x [][]float32, y []int, ref lossAndGradient) {
	t.Helper()
	n, k := len(x), len(x[0])
	g := make([]float32, n*k)
	got := l.Func(y, []int{k})(slices.Concat(x...), n, k, g)
	if math.Abs(got-ref.Loss) > 1e-6*max(1, ref.Loss) {
		t.Errorf("%s: loss %v, PyTorch's %v", name, got, ref.Loss)
	}
	if worst := worstGap(g, ref.Grad); worst > 1e-7 {
		t.Errorf("%s: the gradient is %.3g from PyTorch's", name, worst)
	}
}

// torchLosses is the PyTorch side of the losses' checks: focal and
// smooth, as the competition's FocalLoss (F.nll_loss((1 − p)^γ·log p, y,
// weight=w)) and LabelSmoothingLoss with classes = 18, its rows weighed
// as nll_loss weighs them (Σ w_y·loss / Σ w_y); and each_case(loss_of),
// which writes the loss and its gradient (lossAndGradient) of every case
// on stdin (x, y and the case's own fields) as loss_of(c, x, y) gives it.
const torchLosses = `
import json, sys, torch
import torch.nn.functional as F
def focal(x, y, gamma, w=None):
    logp = F.log_softmax(x, -1)
    return F.nll_loss(((1 - logp.exp()) ** gamma) * logp, y, weight=w)
def smooth(x, y, s, w=None):
    logp = F.log_softmax(x, -1)
    q = torch.full_like(logp, s / (x.shape[1] - 1))
    q[torch.arange(x.shape[0]), y] = 1 - s
    wy = torch.ones_like(y, dtype=logp.dtype) if w is None else w[y]
    return ((-q * logp).sum(-1) * wy).sum() / wy.sum()
def each_case(loss_of):
    out = []
    for c in json.load(sys.stdin):
        x = torch.tensor(c["x"], dtype=torch.float64, requires_grad=True)
        loss = loss_of(c, x, torch.tensor(c["y"]))
        loss.backward()
        out.append({"loss": loss.item(), "grad": x.grad.tolist()})
    json.dump(out, sys.stdout)
`

// runSwitchingLoss runs cfg's trainer to its end, switching its loss to
// spec (as the dashboard's l or maskdash control does) at its first step,
// after first(tr) (nil: nothing) has looked at the run's own loss.
func runSwitchingLoss(t *testing.T, cfg Config, spec string, first func(*Trainer)) (*Trainer, []Event) {
	t.Helper()
	sent := false
	tr, evs, err := runTrainer(t, cfg, func(tr *Trainer, e Event) {
		if e.Kind == KindStep && !sent {
			if first != nil {
				first(tr)
			}
			sent = true
			tr.Send(Command{Kind: CmdSetLoss, Text: spec, Who: "bob"})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr, evs
}

// tricksShown checks that the run of tr shows each of want among its
// header's tricks, and that the runs table, reading run.json, shows what
// the header does.
func tricksShown(t *testing.T, tr *Trainer, want ...string) {
	t.Helper()
	tricks := tr.Header().Tricks()
	for _, w := range want {
		if !slices.Contains(tricks, w) {
			t.Errorf("the header's tricks %q lack %q", tricks, w)
		}
	}
	info, err := runs.NewStore(tr.cfg.Runs).Info(tr.RunID())
	if err != nil {
		t.Fatal(err)
	}
	if got := ConfigTricks(info.Config); !slices.Equal(got, tricks) {
		t.Errorf("from run.json %q, the header %q", got, tricks)
	}
}

// worstGap is the largest difference between a gradient g of rows laid
// end to end and a reference's rows.
func worstGap(g []float32, ref [][]float64) float64 {
	worst, at := 0.0, 0
	for _, row := range ref {
		for _, v := range row {
			worst = max(worst, math.Abs(float64(g[at])-v))
			at++
		}
	}
	return worst
}

// TestLogitAdjustedLossMatchesPyTorch: --loss la is
// F.cross_entropy(logits + τ·log(priors), labels) in PyTorch, its loss and
// its gradient with respect to the logits (autograd), with τ 1 and 1.5.
func TestLogitAdjustedLossMatchesPyTorch(t *testing.T) {
	type tc struct {
		Tau    float64     `json:"tau"`
		X      [][]float32 `json:"x"`
		Y      []int       `json:"y"`
		Priors []float64   `json:"priors"`
	}
	r := rand.New(rand.NewPCG(21, 22))
	const n, k = 13, 18
	var cases []tc
	for _, tau := range []float64{1, 1.5} {
		c := tc{Tau: tau, Priors: randomPriors(r, []int{k})[0]}
		c.X, c.Y = randomRows(r, n, k)
		cases = append(cases, c)
	}
	var ref []lossAndGradient
	pyTorch(t, torchLosses+`
def la(c, x, y):
    adj = c["tau"] * torch.log(torch.tensor(c["priors"], dtype=torch.float64))
    return F.cross_entropy(x + adj, y)
each_case(la)
`, cases, &ref)
	for ci, c := range cases {
		l, err := ParseLoss("la")
		if err != nil {
			t.Fatal(err)
		}
		l.Tau, l.Priors = c.Tau, [][]float64{c.Priors}
		matchesReference(t, fmt.Sprintf("τ %g", c.Tau), l, c.X, c.Y, ref[ci])
	}
}

// TestLogitAdjustedLoss: with even priors (or none) la is cross entropy;
// priors that make a class rarer raise the loss of the rows labelled with
// it (its logit is lowered in training), and its gradient checks against
// finite differences, one head or three (-mh), alone and in a sum.
func TestLogitAdjustedLoss(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	const n, k = 7, 18
	x := make([]float32, n*k)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = r.IntN(k)
	}
	ce, _ := ParseLoss("ce")
	want := ce.Func(labels, []int{k})(x, n, k, make([]float32, n*k))
	even := make([]float64, k)
	for j := range even {
		even[j] = 1.0 / k
	}
	for _, priors := range [][][]float64{nil, {even}} {
		la, _ := ParseLoss("la")
		la.Priors = priors
		if !la.AdjustsLogits() {
			t.Fatal("la does not adjust the logits")
		}
		if got := la.Func(labels, []int{k})(x, n, k, make([]float32, n*k)); math.Abs(got-want) > 1e-12*want {
			t.Errorf("la with priors %v: %v; cross entropy %v", priors, got, want)
		}
	}
	if ce.AdjustsLogits() {
		t.Error("ce adjusts the logits")
	}
	rare := slices.Clone(even)
	rare[labels[0]] /= 10
	la, _ := ParseLoss("la")
	la.Priors = [][]float64{rare}
	if got := la.Func(labels[:1], []int{k})(x[:k], 1, k, make([]float32, k)); !(got > ce.Func(labels[:1], []int{k})(x[:k], 1, k, make([]float32, k))) {
		t.Errorf("a row of a class made rarer: loss %v, not above cross entropy's", got)
	}
	for _, spec := range []string{"la", "0.5la+0.5f1"} {
		for _, heads := range [][]int{{18}, {3, 2, 3}} {
			l, _ := ParseLoss(spec)
			l.Priors = randomPriors(r, heads)
			kk := 0
			for _, h := range heads {
				kk += h
			}
			xs := make([]float32, n*kk)
			for i := range xs {
				xs[i] = float32(r.NormFloat64())
			}
			checkLossGradient(t, r, fmt.Sprintf("%s heads %v", spec, heads), l.Func(labels, heads), xs, n, kk)
		}
	}
}

// TestSamplePriors: --loss la's priors are each class's share of an
// epoch's sampled labels, one more a class: the training split's with the
// shuffle sampler, about even with the weighted one, following the
// dynamic balance sampler from the split's to even, and a -mh model's per
// task.
func TestSamplePriors(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	cfg.Loss = "la"
	tr := testTrainer(t, cfg, nil)
	counts := make([]float64, len(tr.train.Classes))
	for _, s := range tr.train.Samples {
		counts[s.Label]++
	}
	got := tr.samplePriors(0)
	if len(got) != 1 || len(got[0]) != len(counts) {
		t.Fatalf("priors %v for %d classes", got, len(counts))
	}
	n := float64(tr.train.Len() + len(counts))
	for j, c := range counts {
		if math.Abs(got[0][j]-(c+1)/n) > 1e-12 {
			t.Errorf("class %d: prior %v, the split's share %v", j, got[0][j], (c+1)/n)
		}
	}
	spread := func(p []float64) float64 { return slices.Max(p) / slices.Min(p) }
	cfg.Sampler = "weighted"
	if w := testTrainer(t, cfg, nil).samplePriors(0)[0]; !(spread(w) < spread(got[0])/2) {
		t.Errorf("the weighted sampler's priors spread %.2f×, the split's %.2f×", spread(w), spread(got[0]))
	}
	// The dynamic balance sampler starts from the split's shares and
	// moves to even ones: the priors follow it epoch by epoch.
	cfg.Sampler = "balance"
	bal := testTrainer(t, cfg, nil)
	if first, later := bal.samplePriors(0)[0], bal.samplePriors(30)[0]; !(spread(later) < spread(first)/2) {
		t.Errorf("the balance sampler's priors spread %.2f× at epoch 1, %.2f× at epoch 31", spread(first), spread(later))
	}
	cfg.Sampler, cfg.Model = "", "vgg-s-mh"
	mh := testTrainer(t, cfg, nil).samplePriors(0)
	if len(mh) != 3 || len(mh[0]) != 3 || len(mh[1]) != 2 || len(mh[2]) != 3 {
		t.Fatalf("a -mh model's priors %v", mh)
	}
	var male float64
	for _, s := range tr.train.Samples {
		if dataset.TaskLabel(s.Label, 1) == 0 {
			male++
		}
	}
	if w := (male + 1) / float64(tr.train.Len()+2); math.Abs(mh[1][0]-w) > 1e-12 {
		t.Errorf("the gender head's first prior %v, want %v", mh[1][0], w)
	}
}

// TestLossSwitchedToLA: a run switched to la while training (the
// dashboard's L, maskdash control loss la) trains on with the priors of
// its epoch's batches: the switch makes a loss of its own, which the
// trainer gives them before its first step.
func TestLossSwitchedToLA(t *testing.T) {
	tr, evs := runSwitchingLoss(t, tinyConfig(t, t.TempDir()), "la", nil)
	if tr.loss.Spec != "la" {
		t.Fatalf("the loss is %q after the switch", tr.loss.Spec)
	}
	want := tr.samplePriors(tr.epoch - 1) // the last epoch trained
	if len(tr.loss.Priors) != 1 || !slices.Equal(tr.loss.Priors[0], want[0]) {
		t.Errorf("the switched loss's priors %v; the last epoch's batches' %v", tr.loss.Priors, want)
	}
	for _, e := range evs {
		if e.Kind == KindStep && (math.IsNaN(e.Loss) || math.IsInf(e.Loss, 0)) {
			t.Fatalf("step %d's loss %v", e.Step, e.Loss)
		}
	}
}

// TestLATau: --la-tau is la's τ in training (the header says a τ other
// than the default); a run of la without it has the default, written
// into its config; one of another loss has none; a negative τ is refused.
func TestLATau(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	cfg.Loss, cfg.LATau, cfg.Epochs = "la", 2, 1
	tr, _, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tr.loss.Tau != 2 {
		t.Errorf("--la-tau 2: the loss's τ %v", tr.loss.Tau)
	}
	tricksShown(t, tr, "la τ 2")
	for _, c := range []struct {
		loss string
		want float64
	}{{"la", DefaultLATau}, {"0.5la+0.5f1", DefaultLATau}, {"ce", 0}, {"smooth", 0}} {
		d := Config{Loss: c.loss}
		d.Defaults()
		if d.LATau != c.want {
			t.Errorf("--loss %s: τ %v after the defaults, want %v", c.loss, d.LATau, c.want)
		}
	}
	bad := tinyConfig(t, t.TempDir())
	bad.LATau = -1
	if err := bad.Check(); err == nil || !strings.Contains(err.Error(), "la-tau") {
		t.Errorf("--la-tau -1: %v", err)
	}
}
