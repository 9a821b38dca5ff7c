package training

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
)

// fakeLogProbs makes n images of c classes whose truth follows weights
// and whose log-probabilities favour the truth by signal, with class
// shy's log-probability lowered by bias: a net that under-predicts it.
func fakeLogProbs(r *rand.Rand, n int, weights []float64, signal, bias float64, shy int) ([]int, [][]float64) {
	var total float64
	for _, w := range weights {
		total += w
	}
	truth, lp := make([]int, n), make([][]float64, n)
	for i := range n {
		u, y := r.Float64()*total, 0
		for y < len(weights)-1 && u > weights[y] {
			u -= weights[y]
			y++
		}
		row := make([]float64, len(weights))
		for c := range row {
			row[c] = r.NormFloat64()
		}
		row[y] += signal
		if shy >= 0 {
			row[shy] -= bias
		}
		truth[i], lp[i] = y, logSoftmax64(row)
	}
	return truth, lp
}

func logSoftmax64(row []float64) []float64 {
	f := make([]float32, len(row))
	for i, v := range row {
		f[i] = float32(v)
	}
	return logSoftmax(f)
}

// TestF1TallyMatchesConfusion moves random images between predictions and
// checks the running macro F1 against a recount from the confusion
// matrix, classes coming and going from the predictions included.
func TestF1TallyMatchesConfusion(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const c = 6
	truth, pred := make([]int, 40), make([]int, 40)
	tally := newF1Tally(c)
	for i := range truth {
		truth[i], pred[i] = r.IntN(c-1), r.IntN(c) // class 5 is never the truth
		tally.count(truth[i], pred[i])
	}
	for step := range 2000 {
		i, to := r.IntN(len(truth)), r.IntN(c)
		tally.move(truth[i], pred[i], to)
		pred[i] = to
		conf := NewConfusion(c)
		for j := range truth {
			conf.Add(truth[j], pred[j])
		}
		if got, want := tally.macro(), conf.MacroF1(); math.Abs(got-want) > 1e-9 {
			t.Fatalf("step %d: running macro F1 %v, recounted %v", step, got, want)
		}
	}
}

// TestClassOffsetsFindTheShyClass: a net that under-predicts a rare
// class by a fixed amount in log-probability. The fit must raise macro F1
// on the images it saw and on held-out halves, and give the shy class the
// largest offset.
func TestClassOffsetsFindTheShyClass(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	truth, lp := fakeLogProbs(r, 3000, []float64{5, 4, 3, 1}, 2.5, 1.5, 3)
	cal, err := CalibrateClasses(truth, lp, OffsetGroups(len(lp[0]), false))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("macro F1 %.4f → %.4f, held out %+.4f ± %.4f (%d of %d), offsets %.3f", cal.Before, cal.After, cal.HeldOut.Gain, cal.HeldOut.SD, cal.HeldOut.Improved, cal.HeldOut.Halves, cal.Offsets)
	if cal.After < cal.Before+0.01 {
		t.Errorf("macro F1 %.4f → %.4f: the offsets should recover the shy class", cal.Before, cal.After)
	}
	if !cal.Worth() || cal.HeldOut.Improved < cal.HeldOut.Halves-1 || cal.HeldOut.Halves != 2*OffsetSplits {
		t.Errorf("held-out gain %+.4f ± %.4f, %d of %d halves improved: want a gain on nearly every half", cal.HeldOut.Gain, cal.HeldOut.SD, cal.HeldOut.Improved, cal.HeldOut.Halves)
	}
	shy := cal.Offsets[3]
	for c, o := range cal.Offsets[:3] {
		if shy-o < 0.5 {
			t.Errorf("offsets %v: class 3's should exceed class %d's by about the 1.5 it was lowered", cal.Offsets, c)
		}
	}
	// The new predictions are what the reported figure says.
	conf := NewConfusion(4)
	for i, row := range lp {
		shifted := append([]float64(nil), row...)
		AddOffsets([][]float64{shifted}, cal.Offsets)
		conf.Add(truth[i], Argmax(shifted))
	}
	if math.Abs(conf.MacroF1()-cal.After) > 1e-12 {
		t.Errorf("reported macro F1 with offsets %v, recounted %v", cal.After, conf.MacroF1())
	}
}

// TestClassOffsetsNeverLower: on noisy nets of every shape the fit never
// lowers macro F1 on the images it was fitted on, and a net already
// perfect keeps offsets of zero (nothing is moved for nothing).
func TestClassOffsetsNeverLower(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for trial := range 30 {
		c := 2 + r.IntN(7)
		w := make([]float64, c)
		for k := range w {
			w[k] = 0.2 + r.Float64()*3
		}
		truth, lp := fakeLogProbs(r, 50+r.IntN(400), w, r.Float64()*3, r.Float64()*2, r.IntN(c+1)-1)
		idx := make([]int, len(lp))
		for i := range idx {
			idx[i] = i
		}
		off := fitOffsets(truth, lp, idx, OffsetGroups(c, false))
		before, after := offsetMacroF1(truth, lp, nil, nil), offsetMacroF1(truth, lp, off, nil)
		if after < before-1e-12 {
			t.Errorf("trial %d (%d classes): macro F1 fell from %.6f to %.6f", trial, c, before, after)
		}
		for _, o := range off {
			if math.Abs(o) > MaxClassOffset {
				t.Errorf("trial %d: offset %v past the bound %v", trial, o, MaxClassOffset)
			}
		}
	}
	truth, lp := fakeLogProbs(r, 500, []float64{1, 1, 1}, 30, 0, -1)
	if off := FitClassOffsets(truth, lp, OffsetGroups(3, false)); off[0] != 0 || off[1] != 0 || off[2] != 0 {
		t.Errorf("a perfect net got offsets %v, want zeros", off)
	}
}

// TestClassOffsetsRefuseBadInput: a diverged run's predictions and
// mismatched labels are refused with a sentence, not fitted.
func TestClassOffsetsRefuseBadInput(t *testing.T) {
	if _, err := CalibrateClasses([]int{0, 1}, [][]float64{{0, math.NaN()}, {0, -1}}, OffsetGroups(2, false)); err == nil {
		t.Error("a NaN log-probability was accepted")
	}
	if _, err := CalibrateClasses([]int{0}, [][]float64{{0, -1}, {0, -1}}, OffsetGroups(2, false)); err == nil {
		t.Error("two images with one label were accepted")
	}
	if _, err := CalibrateClasses([]int{2}, [][]float64{{0, -1}}, OffsetGroups(2, false)); err == nil {
		t.Error("class 2 of 2 was accepted")
	}
}

// TestClassOffsetStepMatchesScikitLearn checks one class's step against
// an independent search: Python computes each image's border itself,
// tries every value between two borders (and the ends, within the bound)
// with scikit-learn's f1_score, and takes the best. The Go step must
// reach the same macro F1. The whole fit's reported F1 is checked with
// scikit-learn too.
func TestClassOffsetStepMatchesScikitLearn(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	truth, lp := fakeLogProbs(r, 400, []float64{4, 3, 2, 1, 0.5}, 1.2, 1, 4)
	const k = 4
	idx := make([]int, len(lp))
	for i := range idx {
		idx[i] = i
	}
	step, param := make([]float64, 5), 0.0
	s := newOffsetSweep(5, len(lp))
	if !s.fit(truth, lp, idx, step, []int{k}, &param) {
		t.Fatal("the step found no gain for the under-predicted class")
	}
	cal, err := CalibrateClasses(truth, lp, OffsetGroups(len(lp[0]), false))
	if err != nil {
		t.Fatal(err)
	}
	script := `
import json, sys
import numpy as np
from sklearn.metrics import f1_score
d = json.load(sys.stdin)
t, lp, k, m = np.array(d["t"]), np.array(d["lp"]), d["k"], d["bound"]
others = np.delete(lp, k, axis=1).max(axis=1)
b = np.unique(others - lp[:, k])
cands = [(x + y) / 2 for x, y in zip(b[:-1], b[1:])] + [(-m + b[0]) / 2, (b[-1] + m) / 2]
best = -1.0
for c in cands:
    if -m <= c <= m:
        off = np.zeros(lp.shape[1]); off[k] = c
        best = max(best, f1_score(t, (lp + off).argmax(axis=1), average="macro", zero_division=0))
print(json.dumps({"step": best, "fit": f1_score(t, (lp + np.array(d["off"])).argmax(axis=1), average="macro", zero_division=0)}))
`
	var ref struct{ Step, Fit float64 }
	scikitLearn(t, script, map[string]any{"t": truth, "lp": lp, "k": k, "bound": MaxClassOffset, "off": cal.Offsets}, &ref)
	if got := offsetMacroF1(truth, lp, step, nil); math.Abs(got-ref.Step) > 1e-12 {
		t.Errorf("one step on class %d: macro F1 %.6f (offset %.4f), scikit-learn's best %.6f", k, got, step[k], ref.Step)
	}
	if math.Abs(cal.After-ref.Fit) > 1e-12 {
		t.Errorf("the fit's macro F1 %.6f, scikit-learn on the same offsets %.6f", cal.After, ref.Fit)
	}
}

// BenchmarkCalibrateClasses times a whole calibration (the fit and its
// held-out estimate) of 3,780 images of the 18 mask classes, the size of
// the competition's validation split.
func BenchmarkCalibrateClasses(b *testing.B) {
	r := rand.New(rand.NewPCG(13, 14))
	w := make([]float64, 18)
	for c := range w {
		w[c] = 1 + float64(c%3*2)
	}
	truth, lp := fakeLogProbs(r, 3780, w, 1.5, 1, 2)
	groups := OffsetGroups(18, true)
	for b.Loop() {
		if _, err := CalibrateClasses(truth, lp, groups); err != nil {
			b.Fatal(err)
		}
	}
}

// TestOffsetGroupsOfTheMaskClasses: the 18 mask classes get an offset a
// task value (3 masks, 2 genders, 3 ages: six classes share each mask or
// age, nine each gender) and one a class; other sets one a class.
func TestOffsetGroupsOfTheMaskClasses(t *testing.T) {
	g := OffsetGroups(18, true)
	if len(g) != 8+18 {
		t.Fatalf("%d groups, want 26", len(g))
	}
	sizes := []int{6, 6, 6, 9, 9, 6, 6, 6}
	for i, want := range sizes {
		if len(g[i]) != want {
			t.Errorf("group %d has %d classes, want %d", i, len(g[i]), want)
		}
	}
	// The "60+" group: every class whose age is the third bin.
	for _, c := range g[7] {
		if _, _, a := dataset.Decode(c); a != 2 {
			t.Errorf("class %d is in the 60+ group with age bin %d", c, a)
		}
	}
	if n := len(OffsetGroups(18, false)); n != 18 {
		t.Errorf("18 classes not of the mask set: %d groups, want 18", n)
	}
}

// TestClassOffsetsFindAShyTask: a net that under-predicts every 60+
// class (the competition's hardest task) gets the largest offsets on all
// six of them, and gains on held-out halves.
func TestClassOffsetsFindAShyTask(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	w := make([]float64, 18)
	for c := range w {
		w[c] = 3
		if _, _, a := dataset.Decode(c); a == 2 {
			w[c] = 1
		}
	}
	truth, lp := fakeLogProbs(r, 3000, w, 3, 0, -1)
	for _, row := range lp {
		for c := range row {
			if _, _, a := dataset.Decode(c); a == 2 {
				row[c] -= 1.5
			}
		}
	}
	cal, err := CalibrateClasses(truth, lp, OffsetGroups(18, true))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("macro F1 %.4f → %.4f, held out %+.4f ± %.4f (%d of %d)", cal.Before, cal.After, cal.HeldOut.Gain, cal.HeldOut.SD, cal.HeldOut.Improved, cal.HeldOut.Halves)
	if !cal.Worth() {
		t.Errorf("held-out gain %+.4f, %d of %d halves: want the offsets kept", cal.HeldOut.Gain, cal.HeldOut.Improved, cal.HeldOut.Halves)
	}
	var old, rest float64
	for c, o := range cal.Offsets {
		if _, _, a := dataset.Decode(c); a == 2 {
			old += o / 6
		} else {
			rest += o / 12
		}
	}
	if old-rest < 0.5 {
		t.Errorf("60+ classes' mean offset %.3f, the others' %.3f: want the 60+ ones about 1.5 higher", old, rest)
	}
}

// TestValSetIsTheRunsValidation: the validation images found again in
// the data folder (for calibrate --tta) are the run's: predicted again
// without the mirror images they give the kept predictions, class for
// class and probability for probability (to the kept 1/65535). With
// --tta the fit is on other predictions, and says so in its record.
func TestValSetIsTheRunsValidation(t *testing.T) {
	rd := t.TempDir()
	if err := NewManager(tinyConfig(t, rd), NewHub()).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(rd)
	if err != nil || len(ents) != 1 {
		t.Fatalf("runs folder: %v %v", ents, err)
	}
	dir := filepath.Join(rd, ents[0].Name())
	pr, err := OpenRunPredictor(runs.NewStore(rd), dir, "best")
	if err != nil {
		t.Fatal(err)
	}
	preds, err := runs.ReadValPreds(dir, pr.Meta.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	set, err := pr.ValSet(preds)
	if err != nil {
		t.Fatal(err)
	}
	lp, _, err := pr.LogProbs(context.Background(), set, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(lp) != preds.Len() || preds.Len() == 0 {
		t.Fatalf("%d predictions again, %d kept", len(lp), preds.Len())
	}
	for i, row := range lp {
		if Argmax(row) != preds.Pred[i] {
			t.Errorf("image %d (%s): predicted %d again, %d kept", i, preds.Items[i].Name, Argmax(row), preds.Pred[i])
		}
		for c, v := range row {
			if d := math.Abs(math.Exp(v) - float64(preds.Prob(i, c))); d > 1e-4 {
				t.Errorf("image %d class %d: p %.6f again, %.6f kept", i, c, math.Exp(v), preds.Prob(i, c))
			}
		}
	}
	cal, err := CalibrateRun(context.Background(), dir, "best", true)
	if err != nil || !cal.Record.TTA || cal.Record.Images != preds.Len() {
		t.Errorf("calibrate --tta: %+v %v", cal.Record, err)
	}
}

// TestOffsetsNeedAnEpochsEnd: a checkpoint taken inside an epoch, or
// before the first ended, has no validation predictions of its weights;
// calibrate and predict --offsets refuse it with a sentence saying so.
func TestOffsetsNeedAnEpochsEnd(t *testing.T) {
	for _, c := range []struct {
		meta CkptMeta
		want string
	}{
		{CkptMeta{Epoch: 1, Batch: 3}, "taken 3 batches into epoch 2"},
		{CkptMeta{}, "before the first epoch ended"},
	} {
		if err := c.meta.validated("d/001-0000040.safetensors"); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "001-0000040.safetensors") {
			t.Errorf("%+v: %v, want %q", c.meta, err, c.want)
		}
		dir := t.TempDir()
		if err := runs.WriteClassOffsets(dir, runs.ClassOffsets{Epoch: c.meta.Epoch, Classes: []string{"a"}, Offsets: []float64{1}}); err != nil {
			t.Fatal(err)
		}
		c.meta.Weights = "001-0000040.safetensors"
		if _, err := OffsetsFor(dir, c.meta); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "use --ckpt best") {
			t.Errorf("OffsetsFor %+v: %v", c.meta, err)
		}
	}
	if err := (CkptMeta{Epoch: 2}).validated("x"); err != nil {
		t.Errorf("a checkpoint at an epoch's end: %v", err)
	}
}
