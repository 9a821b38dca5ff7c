package training

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/models"
	"github.com/maskdash/maskdash/runs"
)

// TestWeightAverageFollowsItsFormula moves a net's weights at random and
// checks the average against the formula in float64: TensorFlow's
// warmed-up decay, updates only every Every-th step, and a tensor that
// does not move (a frozen one) kept exactly.
func TestWeightAverageFollowsItsFormula(t *testing.T) {
	for _, every := range []int{1, 3} {
		net, err := models.New(models.Spec{Name: "cnn-s", Batch: 2, W: 16, H: 16, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		a, err := newWeightAverage(net, 0.9, every)
		if err != nil {
			t.Fatal(err)
		}
		ts := append(slices.Clone(net.Params()), net.Buffers()...)
		want := make([][]float64, len(ts))
		for i, p := range ts {
			for _, v := range p.Data {
				want[i] = append(want[i], float64(v))
			}
		}
		still := ts[0] // never moves
		r := rand.New(rand.NewPCG(1, 2))
		n := 0
		for step := range 40 {
			for _, p := range ts[1:] {
				for j := range p.Data {
					p.Data[j] += float32(r.NormFloat64() * 0.1)
				}
			}
			if err := a.observe(net, step); err != nil {
				t.Fatal(err)
			}
			if (step+1)%every != 0 {
				continue
			}
			d := math.Min(0.9, float64(1+n)/float64(10+n))
			n++
			for i, p := range ts {
				for j, v := range p.Data {
					want[i][j] += (1 - d) * (float64(v) - want[i][j])
				}
			}
		}
		if a.updates != n || n != 40/every {
			t.Fatalf("every %d: %d updates, want %d", every, a.updates, 40/every)
		}
		worst := 0.0
		for i := range ts {
			for j, w := range want[i] {
				worst = max(worst, math.Abs(float64(a.avg[i][j])-w)/max(1, math.Abs(w)))
			}
		}
		if worst > 1e-5 {
			t.Errorf("every %d: the average is %.3g from the formula's", every, worst)
		}
		if !slices.Equal(a.avg[0], still.Data) {
			t.Errorf("every %d: a tensor that never moved has an average that did", every)
		}
		// with puts the average in and the weights back.
		before := slices.Clone(ts[1].Data)
		if err := a.with(net, func() error {
			if !slices.Equal(ts[1].Data, a.avg[1]) {
				t.Errorf("inside with the net does not hold the average")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ts[1].Data, before) {
			t.Errorf("after with the net's own weights were not put back")
		}
		if err := net.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEMAInARun trains with --ema and checks that the epoch's validation
// figures, the checkpoint's weights and so predictions are the average's,
// that the training weights are kept beside them, and that each epoch
// gives the training weights' own F1 too.
func TestEMAInARun(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	cfg.EMA = 0.8
	tr, evs, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("trained on the %s", tr.device) // the emulated GPU under -tags gpuemu
	var last Metrics
	var owns []float64
	for _, e := range evs {
		if e.Kind == KindEpoch {
			last = *e.Val
			if e.TrainWeightsF1 == nil {
				t.Fatalf("epoch %d's event has no F1 of the training weights", e.Epoch)
			}
			owns = append(owns, *e.TrainWeightsF1)
		}
	}
	if len(owns) != 2 {
		t.Fatalf("%d epoch events", len(owns))
	}
	own, _, _, err := tr.validateNet(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if own.MacroF1 != owns[1] {
		t.Errorf("the last epoch says the training weights score %v; they score %v", owns[1], own.MacroF1)
	}
	if tr.ema.updates != tr.step {
		t.Errorf("%d updates of the average in %d steps", tr.ema.updates, tr.step)
	}
	if got := tr.Header().Tricks(); !slices.Contains(got, "ema 0.8") {
		t.Errorf("the header's tricks %v do not say ema 0.8", got)
	}
	path, err := CheckpointPath(tr.RunDir(), "latest")
	if err != nil {
		t.Fatal(err)
	}
	meta, err := ReadCkptMeta(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta.EMA == nil || meta.EMA.Updates != tr.step || meta.TrainWeights == "" {
		t.Fatalf("the checkpoint keeps the average's state %+v and training weights %q", meta.EMA, meta.TrainWeights)
	}
	// The checkpoint predicts as the epoch validated: with the average.
	p, err := LoadPredictor(path)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := p.Evaluate(context.Background(), tr.val, false)
	if err != nil {
		t.Fatal(err)
	}
	if got.MacroF1 != last.MacroF1 || math.Abs(got.Loss-last.Loss) > 1e-6*max(1, last.Loss) {
		t.Errorf("the checkpoint scores F1 %v loss %v; the last epoch validated F1 %v loss %v", got.MacroF1, got.Loss, last.MacroF1, last.Loss)
	}
	// Beside it, the training weights: the net's own, not the average.
	kept, err := models.New(p.Net.Spec)
	if err != nil {
		t.Fatal(err)
	}
	defer kept.Close()
	if err := loadWeights(filepath.Join(filepath.Dir(path), meta.TrainWeights), kept); err != nil {
		t.Fatal(err)
	}
	if err := tr.net.WeightsToHost(); err != nil { // a GPU's training weights
		t.Fatal(err)
	}
	differ := false
	for i, q := range tr.net.Params() {
		if !slices.Equal(kept.Params()[i].Data, q.Data) {
			t.Fatalf("%s in the training weights file is not the net's", q.Name)
		}
		differ = differ || !slices.Equal(p.Net.Params()[i].Data, q.Data)
	}
	if !differ {
		t.Error("the checkpoint's weights are the training weights, not their average")
	}
	for _, bad := range []struct {
		cfg  Config
		want string
	}{
		{Config{EMA: 1}, "ema 1 is invalid"},
		{Config{EMAEvery: 4}, "--ema-every 4 is how often --ema's moving average"},
	} {
		if err := bad.cfg.Check(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: %v", bad.cfg, err)
		}
	}
}

// BenchmarkWeightAverage is one --ema update of vgg-s's weights on the
// CPU (compare with a step: maskdash bench --model vgg-s).
func BenchmarkWeightAverage(b *testing.B) {
	net, err := models.New(models.Spec{Name: "vgg-s", Batch: 32, W: 64, H: 64, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer net.Close()
	a, err := newWeightAverage(net, 0.999, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		if err := a.observe(net, i); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTrainingWeightsOfAnEMACheckpoint asks for the training weights
// beside an --ema run's checkpoint (--ckpt latest.train): they predict as
// the epoch event said they score, a submission of them is recorded with
// that figure, and calibrate, which fits on the average's kept
// predictions, refuses them; a run without --ema has none.
func TestTrainingWeightsOfAnEMACheckpoint(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t, dir)
	cfg.EMA = 0.8
	tr, evs, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var own float64
	for _, e := range evs {
		if e.Kind == KindEpoch && e.TrainWeightsF1 != nil {
			own = *e.TrainWeightsF1
		}
	}
	path, err := CheckpointPath(tr.RunDir(), "latest.train")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(path, ".train.safetensors") {
		t.Fatalf("latest.train is %s", path)
	}
	pr, err := OpenRunPredictor(runs.NewStore(dir), tr.RunID(), "latest.train")
	if err != nil {
		t.Fatal(err)
	}
	if !pr.Meta.OfTrainingWeights || pr.Meta.EMA != nil {
		t.Errorf("the meta of the training weights says OfTrainingWeights %v, EMA %+v", pr.Meta.OfTrainingWeights, pr.Meta.EMA)
	}
	got, _, err := pr.Evaluate(context.Background(), tr.val, false)
	if err != nil {
		t.Fatal(err)
	}
	if got.MacroF1 != own {
		t.Errorf("the training weights score %v; the last epoch said %v", got.MacroF1, own)
	}
	_, s := SubmissionFrom(dir, []RunPredictor{pr}, false, false)
	if s.ValF1 == nil || *s.ValF1 != own || !strings.HasSuffix(s.Ckpt, "training weights") {
		t.Errorf("a submission of the training weights is recorded as %q with F1 %v; want the training weights' %v", s.Ckpt, s.ValF1, own)
	}
	// Training weights from before the first epoch ended (a stop at
	// step 0) have no epoch's figure, and no index before the first.
	early := pr
	early.Meta.Epoch, early.Meta.Batch = 0, 0
	if _, s := SubmissionFrom(dir, []RunPredictor{early}, false, false); s.ValF1 != nil {
		t.Errorf("training weights of epoch 0 are recorded with F1 %v", *s.ValF1)
	}
	if _, err := CalibrateRun(context.Background(), tr.RunDir(), "latest.train", false); err == nil || !strings.Contains(err.Error(), "training weights") {
		t.Errorf("calibrating the training weights: %v", err)
	}
	if _, err := OffsetsFor(tr.RunDir(), pr.Meta); err == nil || !strings.Contains(err.Error(), "training weights") {
		t.Errorf("offsets for the training weights: %v", err)
	}

	plain := tinyConfig(t, dir)
	plain.Epochs = 1
	ptr, _, err := runTrainer(t, plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CheckpointPath(ptr.RunDir(), "best.train"); err == nil || !strings.Contains(err.Error(), "--ema") {
		t.Errorf("best.train of a run without --ema: %v", err)
	}
}
