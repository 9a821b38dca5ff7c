package training

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maskdash/maskdash/runs"
)

// TestMixupBlendsTheImages: Mixup blends each image with its pair, λ of
// its own (Zhang et al.'s x = λ·x + (1−λ)·x[perm], as PyTorch code writes
// it), pairs every image with one of the batch, and draws λ from
// Beta(α, α): over 3,000 batches the draws' mean and variance are
// Beta's, 1/2 and 1/(4(2α+1)).
func TestMixupBlendsTheImages(t *testing.T) {
	const n, w, h, steps, alpha = 6, 4, 4, 3000, 0.4
	m, err := newBatchMixer(Config{Mixup: 1, MixupAlpha: alpha, Seed: 3, W: w, H: h})
	if err != nil {
		t.Fatal(err)
	}
	per := 3 * w * h
	var sum, sq float64
	for step := range steps {
		x, labels := cutMixBatch(n, w, h, uint64(step))
		orig := slices.Clone(x)
		mixed := m.mix(x, labels, step)
		if mixed == nil {
			t.Fatalf("step %d: a chance of 1 left the batch plain", step)
		}
		lam := mixed.lam
		if !(lam >= 0 && lam <= 1) {
			t.Fatalf("step %d: λ %v", step, lam)
		}
		sum, sq = sum+lam, sq+lam*lam
		seen := make([]bool, n)
		for i, o := range mixed.other { // labels are the images' numbers
			seen[o] = true
			for j := range per {
				want := float32(lam)*orig[i*per+j] + float32(1-lam)*orig[o*per+j]
				if got := x[i*per+j]; math.Abs(float64(got-want)) > 1e-6 {
					t.Fatalf("step %d, image %d with %d (λ %v), value %d: %v, want %v", step, i, o, lam, j, got, want)
				}
			}
		}
		if slices.Contains(seen, false) {
			t.Fatalf("step %d: pairs %v are not a permutation", step, mixed.other)
		}
	}
	mean := sum / steps
	variance := sq/steps - mean*mean
	if want := 1 / (4 * (2*alpha + 1)); math.Abs(mean-0.5) > 0.02 || math.Abs(variance-want) > 0.01 {
		t.Errorf("λ's mean %.4f and variance %.4f over %d batches; Beta(%g, %g)'s are 0.5 and %.4f", mean, variance, steps, alpha, alpha, want)
	}
}

// TestCutMixAndMixupShareTheBatches: with both, a batch is mixed one way
// at most, each about as often as its chance says; the batches CutMix
// mixes are the ones it mixes alone with the same seed (a run from before
// Mixup mixes as it did), and chances that add up to more than 1 are
// refused, in a config and in a change.
func TestCutMixAndMixupShareTheBatches(t *testing.T) {
	const n, w, h, steps = 4, 8, 8, 2000
	both, _ := newBatchMixer(Config{CutMix: 0.3, Mixup: 0.3, Seed: 1, W: w, H: h})
	alone, _ := newBatchMixer(Config{CutMix: 0.3, Seed: 1, W: w, H: h})
	var cut, blended int
	for step := range steps {
		x, labels := cutMixBatch(n, w, h, 1)
		m := both.mix(x, labels, step)
		x2, _ := cutMixBatch(n, w, h, 1)
		a := alone.mix(x2, labels, step)
		isCut := m != nil && m.lam == 0.5 // the half box; Mixup's λ is never exactly 0.5
		if isCut != (a != nil) {
			t.Fatalf("step %d: CutMix with Mixup beside it %v, alone %v", step, isCut, a != nil)
		}
		switch {
		case isCut:
			cut++
		case m != nil:
			blended++
		}
	}
	for name, got := range map[string]int{"CutMix": cut, "Mixup": blended} {
		if f := float64(got) / steps; f < 0.26 || f > 0.34 {
			t.Errorf("%s mixed %d of %d batches at a chance of 0.3", name, got, steps)
		}
	}
	cfg := Config{CutMix: 0.6, Mixup: 0.5}
	if err := cfg.Check(); err == nil || !strings.Contains(err.Error(), "add up to more than 1") {
		t.Errorf("--cutmix 0.6 --mixup 0.5: %v", err)
	}
	if err := both.set(0.8, "half", 0.3, 0); err == nil || both.cutChance != 0.3 {
		t.Errorf("a change to 0.8 beside Mixup's 0.3: %v; CutMix's chance now %v", err, both.cutChance)
	}
}

// TestParseMixup: the forms a Mixup change is typed in, and one sentence
// for each bad one.
func TestParseMixup(t *testing.T) {
	for _, c := range []struct {
		in        string
		p, alpha  float64
		wantError string
	}{
		{"0.3", 0.3, 0.7, ""}, // α as before
		{"0.3 0.4", 0.3, 0.4, ""},
		{"0.3 alpha=1", 0.3, 1, ""}, // the form the header shows
		{"off", 0, 0.7, ""},
		{"0", 0, 0.7, ""},
		{"1.5", 0, 0, "not a chance from 0 to 1"},
		{"0.3 -1", 0, 0, "not a number above 0"},
		{"0.3 0.4 5", 0, 0, "type a chance"},
		{"", 0, 0, "type a chance"},
	} {
		p, alpha, err := ParseMixup(c.in, 0.7)
		switch {
		case c.wantError != "":
			if err == nil || !strings.Contains(err.Error(), c.wantError) || strings.Count(err.Error(), ". ") > 0 {
				t.Errorf("%q: %v, want an error saying %q", c.in, err, c.wantError)
			}
		case err != nil || p != c.p || alpha != c.alpha:
			t.Errorf("%q: %v %v %v, want %v %v", c.in, p, alpha, err, c.p, c.alpha)
		}
	}
	if _, alpha, _ := ParseMixup("0.3", 0); alpha != DefaultMixupAlpha {
		t.Errorf("no α yet: %v, want the default %v", alpha, DefaultMixupAlpha)
	}
}

// TestMixupChangedWhileTraining: Mixup can be changed while a run
// trains, beside CutMix; a change whose chances would add up to more than
// 1 is refused in a sentence; each change is logged, in run.json's
// changes and carried by a child run; a resume mixes as the last changes
// said, not as the run started.
func TestMixupChangedWhileTraining(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t, dir)
	cfg.Mixup = 0.6
	tr, evs := trainSteered(t, cfg, map[int][]Command{0: {
		{Kind: CmdSetCutMix, Text: "0.5", Who: "carol"}, // 0.5 + 0.6
		{Kind: CmdSetMixup, Text: "0.2 0.4", Who: "alice"},
		{Kind: CmdSetCutMix, Text: "0.5 random", Who: "bob"},
	}})
	var refused bool
	var set []string
	for _, e := range evs {
		switch {
		case e.Kind == KindError && e.Who == "carol" && strings.Contains(e.Msg, "add up to more than 1"):
			refused = true
		case e.Kind == KindControl && (e.Setting == SettingCutMix || e.Setting == SettingMixup):
			set = append(set, string(e.Setting)+" "+e.Value+" by "+e.Who)
		}
	}
	if !refused {
		t.Error("cutmix 0.5 beside mixup 0.6 was not refused with a sentence")
	}
	if want := []string{"mixup 0.2 alpha=0.4 by alice", "cutmix 0.5 random by bob"}; !slices.Equal(set, want) {
		t.Errorf("changes logged %v, want %v", set, want)
	}
	info, err := runs.ReadInfo(tr.RunDir())
	if err != nil {
		t.Fatal(err)
	}
	if c := info.Changes; len(c) != 2 || c[0].Setting != "mixup" || c[0].Value != "0.2 alpha=0.4" {
		t.Errorf("run.json's changes %+v", c)
	}
	if c := childOf(tr, Fork{}); c.Mixup != 0.2 || c.MixupAlpha != 0.4 || c.CutMix != 0.5 || c.CutMixBox != "random" {
		t.Errorf("child run: mixup %v α %v, cutmix %v %q", c.Mixup, c.MixupAlpha, c.CutMix, c.CutMixBox)
	}
	resumed, _, err := runTrainer(t, Config{Runs: dir, Resume: tr.RunID(), StepEvery: time.Nanosecond, Workers: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h := resumed.Header(); h.Mixup != "0.2 alpha=0.4" || h.CutMix != "0.5 random" {
		t.Errorf("after a resume: mixup %q, cutmix %q; want the last changes", h.Mixup, h.CutMix)
	}
}

// TestMixupTrains: a run with Mixup on every batch trains (finite losses,
// not the plain run's), says so in its header and keeps it in run.json.
func TestMixupTrains(t *testing.T) {
	cfg, tr := trainMixed(t, func(c *Config) { c.Mixup = 1 })
	if got := tr.Header().Mixup; got != "1 alpha=0.2" {
		t.Errorf("header's mixup %q, want \"1 alpha=0.2\"", got)
	}
	if got := runConfig(t, cfg, tr); got.Mixup != 1 || got.MixupAlpha != DefaultMixupAlpha {
		t.Errorf("run.json: mixup %v α %v", got.Mixup, got.MixupAlpha)
	}
}

// TestMixPairsWithinClass: with --mix-pairs class, CutMix and Mixup mix
// each image with one of its own class, so every label stays what it was
// while the images change (but for a class's only image of the batch,
// mixed with itself); an unknown pairing is refused in a sentence.
func TestMixPairsWithinClass(t *testing.T) {
	const w, h = 8, 8
	labels := []int{0, 0, 1, 1, 1, 2, 0, 3}
	per := 3 * w * h
	for _, cfg := range []Config{{CutMix: 1}, {Mixup: 1, MixupAlpha: 1}} {
		cfg.MixPairs, cfg.Seed, cfg.W, cfg.H = MixPairsClass, 4, w, h
		m, err := newBatchMixer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		moved := 0
		for step := range 50 {
			x, _ := cutMixBatch(len(labels), w, h, uint64(step))
			orig := slices.Clone(x)
			mixed := m.mix(x, labels, step)
			if mixed == nil {
				t.Fatalf("%+v step %d: a chance of 1 left the batch plain", cfg, step)
			}
			if !slices.Equal(mixed.other, labels) {
				t.Fatalf("%+v step %d: mixed with labels %v, the batch's are %v", cfg, step, mixed.other, labels)
			}
			for i := range labels {
				same := slices.Equal(x[i*per:(i+1)*per], orig[i*per:(i+1)*per])
				if labels[i] >= 2 && !same {
					t.Fatalf("%+v step %d: image %d, its class's only one, changed", cfg, step, i)
				}
				if !same {
					moved++
				}
			}
		}
		if moved < 50 {
			t.Errorf("%+v: only %d images changed in 50 batches", cfg, moved)
		}
	}
	bad := Config{MixPairs: "friends"}
	if err := bad.Check(); err == nil || !strings.Contains(err.Error(), `--mix-pairs "friends" is unknown`) {
		t.Errorf("--mix-pairs friends: %v", err)
	}
}
