package training

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
)

// cutMixBatch is a batch of n random 3×h×w images labelled 0…n−1, so a
// box's label names the image it came from.
func cutMixBatch(n, w, h int, seed uint64) ([]float32, []int) {
	r := rand.New(rand.NewPCG(seed, 7))
	x := make([]float32, n*3*w*h)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = i
	}
	return x, labels
}

// TestCutMixHalfMatchesPyTorch: the half box and the mixed loss are what
// the competition winners' PyTorch code computes: x[:, :, :, W//2:] =
// x[perm, :, :, W//2:], and λ·CE(out, y) + (1−λ)·CE(out, y[perm]) with
// its gradient by autograd (the "smooth" loss: cross entropy against
// targets 0.9 on the class and 0.1/17 elsewhere).
func TestCutMixHalfMatchesPyTorch(t *testing.T) {
	const n, w, h, k = 6, 8, 6, 18
	x, labels := cutMixBatch(n, w, h, 1)
	orig := append([]float32(nil), x...)
	c, err := newBatchMixer(Config{CutMix: 1, CutMixBox: "half", Seed: 5, W: w, H: h})
	if err != nil {
		t.Fatal(err)
	}
	m := c.mix(x, labels, 3)
	if m == nil {
		t.Fatal("a chance of 1 left the batch plain")
	}
	perm := append([]int(nil), m.other...) // labels are the images' indices
	r := rand.New(rand.NewPCG(2, 2))
	logits := make([]float32, n*k)
	for i := range logits {
		logits[i] = float32(2 * r.NormFloat64())
	}
	own := make([]int, n)
	for i := range own {
		own[i] = 3 * i // classes other than the indices, and two heads' worth apart
	}
	boxed := make([]int, n)
	for i, o := range perm {
		boxed[i] = own[o]
	}
	l, _ := ParseLoss("smooth")
	lams := []float64{m.lam, 0.3} // the half box's, and another box's
	losses := make([]float64, len(lams))
	grads := make([][]float32, len(lams))
	for j, lam := range lams {
		grads[j] = make([]float32, n*k)
		losses[j] = c.loss(l.Func(own, []int{k}), l.Func(boxed, []int{k}), lam)(logits, n, k, grads[j])
	}

	var ref struct {
		X    []float32   `json:"x"`
		Loss []float64   `json:"loss"`
		Grad [][]float32 `json:"grad"`
	}
	pyTorch(t, `
import json, sys, torch
import torch.nn.functional as F
d = json.load(sys.stdin)
n, w, h, k = d["n"], d["w"], d["h"], d["k"]
x = torch.tensor(d["x"]).reshape(n, 3, h, w)
perm = torch.tensor(d["perm"])
x[:, :, :, w // 2:] = x[perm, :, :, w // 2:]
y = torch.tensor(d["own"])
def smooth(y):  # maskdash's smoothing: 1 - s on the class, s / (k - 1) elsewhere
    q = torch.full((n, k), 0.1 / (k - 1), dtype=torch.float64)
    q[torch.arange(n), y] = 0.9
    return q
losses, grads = [], []
for lam in [1 - (w - w // 2) / w, 0.3]:
    z = torch.tensor(d["logits"], dtype=torch.float64).reshape(n, k).requires_grad_()
    loss = lam * F.cross_entropy(z, smooth(y)) + (1 - lam) * F.cross_entropy(z, smooth(y[perm]))
    loss.backward()
    losses.append(loss.item())
    grads.append(z.grad.flatten().tolist())
print(json.dumps({"x": x.flatten().tolist(), "loss": losses, "grad": grads}))
`, map[string]any{"n": n, "w": w, "h": h, "k": k, "x": orig, "perm": perm, "logits": logits, "own": own}, &ref)

	if m.lam != 0.5 {
		t.Errorf("λ of the half box = %v, want 0.5", m.lam)
	}
	for i := range x {
		if x[i] != ref.X[i] {
			t.Fatalf("mixed batch differs from PyTorch's at %d: %v, want %v", i, x[i], ref.X[i])
		}
	}
	for j, lam := range lams {
		if math.Abs(losses[j]-ref.Loss[j]) > 1e-5*math.Max(1, ref.Loss[j]) {
			t.Errorf("λ %v: mixed loss %.7f, PyTorch %.7f", lam, losses[j], ref.Loss[j])
		}
		for i, v := range grads[j] {
			if math.Abs(float64(v-ref.Grad[j][i])) > 1e-5 {
				t.Fatalf("λ %v: ∂loss/∂logit[%d] = %v, PyTorch %v", lam, i, v, ref.Grad[j][i])
			}
		}
	}
}

// TestCutMixRandomBox: with the random box each image keeps its pixels
// outside one rectangle, shows its partner's inside, and λ is the share
// of the image outside the rectangle.
func TestCutMixRandomBox(t *testing.T) {
	const n, w, h = 5, 12, 10
	c, err := newBatchMixer(Config{CutMix: 1, CutMixBox: "random", Seed: 9, W: w, H: h})
	if err != nil {
		t.Fatal(err)
	}
	lams := map[float64]bool{}
	for step := range 40 {
		x, labels := cutMixBatch(n, w, h, uint64(step))
		orig := append([]float32(nil), x...)
		m := c.mix(x, labels, step)
		if m == nil {
			continue // a box clipped to nothing
		}
		lams[m.lam] = true
		per := 3 * w * h
		for i := range n {
			o := m.other[i]
			inside := 0
			x0, x1, y0, y1 := w, -1, h, -1
			for ch := range 3 {
				for y := range h {
					for xx := range w {
						at := ch*w*h + y*w + xx
						switch got := x[i*per+at]; {
						case o != i && got == orig[o*per+at] && got != orig[i*per+at]:
							if ch == 0 {
								inside++
								x0, x1, y0, y1 = min(x0, xx), max(x1, xx+1), min(y0, y), max(y1, y+1)
							}
						case got != orig[i*per+at]:
							t.Fatalf("step %d image %d: pixel %d is neither its own nor its partner's", step, i, at)
						}
					}
				}
			}
			if o == i {
				continue
			}
			if inside != (x1-x0)*(y1-y0) {
				t.Fatalf("step %d image %d: %d pasted pixels are not a rectangle [%d,%d)×[%d,%d)", step, i, inside, x0, x1, y0, y1)
			}
			if want := 1 - float64(inside)/float64(w*h); math.Abs(m.lam-want) > 1e-12 {
				t.Fatalf("step %d: λ = %v, the box leaves %v of the image", step, m.lam, want)
			}
		}
	}
	if len(lams) < 10 {
		t.Errorf("40 random boxes gave only %d different λ", len(lams))
	}
}

// TestCutMixChanceAndSeed: about the chance of the batches are mixed; the
// same seed and step mix the same way (a resume's batches), another seed
// does not.
func TestCutMixChanceAndSeed(t *testing.T) {
	const n, w, h, steps = 8, 8, 8, 2000
	c, _ := newBatchMixer(Config{CutMix: 0.3, CutMixBox: "half", Seed: 1, W: w, H: h})
	again, _ := newBatchMixer(Config{CutMix: 0.3, CutMixBox: "half", Seed: 1, W: w, H: h})
	other, _ := newBatchMixer(Config{CutMix: 0.3, CutMixBox: "half", Seed: 2, W: w, H: h})
	mixed, differ := 0, 0
	for step := range steps {
		x, labels := cutMixBatch(n, w, h, 1)
		m := c.mix(x, labels, step)
		x2, _ := cutMixBatch(n, w, h, 1)
		m2 := again.mix(x2, labels, step)
		if (m == nil) != (m2 == nil) {
			t.Fatalf("step %d: the same seed mixed once and not the other time", step)
		}
		if m != nil {
			mixed++
			for i := range x {
				if x[i] != x2[i] {
					t.Fatalf("step %d: the same seed mixed differently", step)
				}
			}
		}
		x3, _ := cutMixBatch(n, w, h, 1)
		if m3 := other.mix(x3, labels, step); (m == nil) != (m3 == nil) {
			differ++
		}
	}
	if f := float64(mixed) / steps; f < 0.26 || f > 0.34 {
		t.Errorf("%d of %d batches mixed at a chance of 0.3", mixed, steps)
	}
	if differ < steps/5 {
		t.Errorf("another seed agreed on %d of %d steps", steps-differ, steps)
	}
	none, _ := newBatchMixer(Config{Seed: 1, W: w, H: h})
	for step := range 100 {
		x, labels := cutMixBatch(n, w, h, 1)
		if none.mix(x, labels, step) != nil {
			t.Fatalf("step %d: a chance of 0 mixed the batch", step)
		}
	}
}

// TestCutMixTrains: a run with CutMix trains on mixed batches (its
// training loss is not the plain run's from the same seed), says so in
// its header and run.json, and refuses an unknown box in one sentence.
func TestCutMixTrains(t *testing.T) {
	cfg, tr := trainMixed(t, func(c *Config) { c.CutMix = 1 })
	if got := tr.Header().CutMix; got != "1 half" {
		t.Errorf("header's cutmix %q, want \"1 half\"", got)
	}
	if got := runConfig(t, cfg, tr); got.CutMix != 1 || got.CutMixBox != "half" {
		t.Errorf("run.json: cutmix %v box %q", got.CutMix, got.CutMixBox)
	}
	cfg.CutMixBox = "square"
	if err := cfg.Check(); err == nil {
		t.Error("an unknown box passed Check")
	}
}

// trainMixed trains a tiny config for an epoch plainly, then mixed as mix
// sets it, and fails unless every mixed step's loss is finite and some
// differ from the plain run's (something was mixed). It returns the mixed
// run's config and trainer.
func trainMixed(t *testing.T, mix func(*Config)) (Config, *Trainer) {
	t.Helper()
	cfg := tinyConfig(t, t.TempDir())
	cfg.Epochs = 1
	_, plain, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	mix(&cfg)
	tr, mixed, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	stepLosses := func(evs []Event) []float64 {
		var l []float64
		for _, e := range evs {
			if e.Kind == KindStep {
				l = append(l, e.Loss)
			}
		}
		return l
	}
	a, b := stepLosses(plain), stepLosses(mixed)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("step events: %d plain, %d mixed", len(a), len(b))
	}
	for i := range b {
		if math.IsNaN(b[i]) || math.IsInf(b[i], 0) {
			t.Fatalf("mixed step %d: loss %v", i, b[i])
		}
	}
	if slices.Equal(a, b) {
		t.Error("every step's loss is the plain run's: nothing was mixed")
	}
	return cfg, tr
}

// runConfig is the config a run's run.json keeps.
func runConfig(t *testing.T, cfg Config, tr *Trainer) Config {
	t.Helper()
	info, err := runs.NewStore(cfg.Runs).Info(tr.RunID())
	if err != nil {
		t.Fatal(err)
	}
	got, err := ConfigFromMap(info.Config)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestMixedBatchLossIsTheMix: a mixed batch's loss (CutMix's or
// Mixup's) is the mix of its two labels' losses at the logits the step
// returned, even after a plain batch left a loss for the GPU's kernels
// behind (in a GPU build, with MASKDASH_GPU_LOSS=1, the net would
// otherwise compute that one, on the old labels). In a GPU build (or the
// emulator's) the net is on the GPU.
func TestMixedBatchLossIsTheMix(t *testing.T) {
	for name, mix := range map[string]func(*Config){"cutmix": func(c *Config) { c.CutMix = 1 }, "mixup": func(c *Config) { c.Mixup = 1 }} {
		t.Run(name, func(t *testing.T) {
			cfg := tinyConfig(t, t.TempDir())
			mix(&cfg)
			tr := testTrainer(t, cfg, nil)
			order := tr.sampler.Epoch(0)[:cfg.Batch]
			b, ok := <-tr.trainL.Epoch(context.Background(), 0, order)
			if !ok || b.N != cfg.Batch {
				t.Fatalf("no batch of %d: %v %d", cfg.Batch, ok, b.N)
			}
			heads := tr.net.Spec.Heads()
			stale := make([]int, cfg.Batch) // every image class 0: a loss for other labels
			tr.net.SetDeviceLoss(tr.loss.Device(stale, heads))
			labels := make([]int, cfg.Batch)
			loss, logits, mixed, err := tr.forwardBackward(b, tr.net.InputBatch(), labels, 1e-3, tr.mixer)
			if err != nil {
				t.Fatal(err)
			}
			if mixed == nil {
				t.Fatal("a chance of 1 left the batch plain")
			}
			k := tr.net.Spec.Outputs()
			want := tr.mixer.loss(tr.loss.Func(labels, heads), tr.loss.Func(mixed.other, heads), mixed.lam)(logits, cfg.Batch, k, make([]float32, len(logits)))
			if math.Abs(loss-want) > 1e-5*math.Max(1, want) {
				t.Errorf("the step's loss %v; the mix of its labels' losses at its logits %v (on %s)", loss, want, tr.device)
			}
			t.Logf("on %s: loss %.6g (λ %.3f)", tr.device, loss, mixed.lam)
		})
	}
}

// TestCutMixChangedWhileTraining: CutMix can be turned on, changed and
// off while a run trains; each change is logged with who made it and is
// in run.json's changes, a bad one is refused in a sentence, and a
// resume keeps the last setting (from the checkpoint), not the one the
// run started with.
func TestCutMixChangedWhileTraining(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t, dir)
	tr, evs := trainSteered(t, cfg, map[int][]Command{
		0: {{Kind: CmdSetCutMix, Text: "2", Who: "carol"}, {Kind: CmdSetCutMix, Text: "1 random", Who: "alice"}},
		3: {{Kind: CmdSetCutMix, Text: "0.5", Who: "bob"}},
	})
	var refused bool
	var set []string
	for _, e := range evs {
		switch {
		case e.Kind == KindError && e.Who == "carol" && strings.Contains(e.Msg, "not a chance from 0 to 1"):
			refused = true
		case e.Kind == KindControl && e.Setting == SettingCutMix:
			set = append(set, e.Value+" by "+e.Who)
		}
	}
	if !refused {
		t.Error("cutmix 2 was not refused with a sentence")
	}
	if want := []string{"1 random by alice", "0.5 random by bob"}; !slices.Equal(set, want) {
		t.Errorf("cutmix changes logged %v, want %v", set, want)
	}
	info, err := runs.ReadInfo(tr.RunDir())
	if err != nil {
		t.Fatal(err)
	}
	if c := info.Changes; len(c) != 2 || c[0].Setting != "cutmix" || c[1].Value != "0.5 random" || c[1].Who != "bob" {
		t.Errorf("run.json's changes %+v", c)
	}
	resumed, _, err := runTrainer(t, Config{Runs: dir, Resume: tr.RunID(), StepEvery: time.Nanosecond, Workers: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := resumed.Header().CutMix; got != "0.5 random" {
		t.Errorf("after a resume CutMix is %q, want the last change, 0.5 random", got)
	}
}

// TestChildRunMixesAsItsParentNow: a child run (n in the dashboard) mixes
// as its parent did when it forked, a change made while training
// included, not as the parent's config said.
func TestChildRunMixesAsItsParentNow(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	cfg.CutMix = 0.3
	tr := testTrainer(t, cfg, nil)
	if err := tr.setCutMix(0.5, dataset.CutMixRandom); err != nil {
		t.Fatal(err)
	}
	if c := childOf(tr, Fork{Loss: "focal"}); c.CutMix != 0.5 || c.CutMixBox != "random" {
		t.Errorf("child of a run changed to 0.5 random: cutmix %v %q", c.CutMix, c.CutMixBox)
	}
	if err := tr.setCutMix(0, dataset.CutMixRandom); err != nil {
		t.Fatal(err)
	}
	if c := childOf(tr, Fork{}); c.CutMix != 0 || c.CutMixBox != "" {
		t.Errorf("child of a run whose CutMix was turned off: cutmix %v %q", c.CutMix, c.CutMixBox)
	}
}

// trainSteered trains cfg, sending at[k] after the k-th step event, and
// stops the run once its first epoch has ended.
func trainSteered(t *testing.T, cfg Config, at map[int][]Command) (*Trainer, []Event) {
	t.Helper()
	sent, stopped := 0, false
	tr, evs, err := runTrainer(t, cfg, func(tr *Trainer, e Event) {
		if e.Kind != KindStep {
			return
		}
		for _, c := range at[sent] {
			tr.Send(c)
		}
		if e.Epoch == 1 && !stopped {
			stopped = true
			tr.Send(Command{Kind: CmdStop})
		}
		sent++
	})
	if err != nil || !stopped {
		t.Fatalf("training: %v, stopped %v", err, stopped)
	}
	return tr, evs
}
