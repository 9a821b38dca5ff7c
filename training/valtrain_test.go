package training

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
)

// TestValTrainLastEpochs: with --val-train 1 of 3 epochs, the third epoch
// trains on the validation images too (its batches are the two splits'),
// its validation is marked seen, picks no best figures and asks no early
// stopping rule; its checkpoint is best.json (the model predictions use),
// marked as trained on the validation images, and offsets refuse it; the
// schedule counts the longer epoch.
func TestValTrainLastEpochs(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	cfg.Epochs, cfg.ValTrain, cfg.Schedule = 3, 1, "cosine"
	var asked []int
	cfg.Gate = &EpochGate{Decide: func(epoch int, _ float64) (bool, string) {
		asked = append(asked, epoch)
		return false, ""
	}}
	tr, evs, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	nTrain, nBoth := tr.train.Len(), tr.trainVal.Len()
	if nBoth != nTrain+tr.val.Len() || tr.val.Len() == 0 {
		t.Fatalf("%d images train with validation's, %d without, %d validate", nBoth, nTrain, tr.val.Len())
	}
	// The joined set starts with the training split (a cache by index
	// serves both).
	for i, s := range tr.train.Samples {
		if tr.trainVal.Samples[i] != s {
			t.Fatalf("sample %d of the joined set is not the training split's", i)
		}
	}
	want := 2*(nTrain/cfg.Batch) + nBoth/cfg.Batch
	if tr.step != want || tr.sched.TotalSteps != want {
		t.Errorf("%d steps, schedule of %d; want %d (2×%d + %d)", tr.step, tr.sched.TotalSteps, want, nTrain/cfg.Batch, nBoth/cfg.Batch)
	}
	var seen []bool
	for _, e := range evs {
		if e.Kind == KindEpoch {
			seen = append(seen, e.ValSeen)
			if e.ValSeen && e.Best {
				t.Errorf("epoch %d: validation of seen images picked as best", e.Epoch)
			}
		}
		if e.Kind == KindNotice && strings.Contains(e.Msg, "--val-train") && !strings.Contains(e.Msg, "from epoch 3 the") {
			t.Errorf("notice %q", e.Msg)
		}
	}
	if !slices.Equal(seen, []bool{false, false, true}) {
		t.Errorf("epochs' validation seen: %v", seen)
	}
	if !slices.Equal(asked, []int{1, 2}) {
		t.Errorf("the early-stopping rule was asked after epochs %v, want 1 and 2", asked)
	}
	info, err := runs.NewStore(cfg.Runs).Info(tr.RunID())
	if err != nil {
		t.Fatal(err)
	}
	if info.Best.Epoch < 1 || info.Best.Epoch > 2 {
		t.Errorf("run.json's best epoch %d, want one of the held-out epochs", info.Best.Epoch)
	}
	for _, which := range []string{"best", "latest"} {
		p, err := CheckpointPath(tr.RunDir(), which)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ReadCkptMeta(p)
		if err != nil {
			t.Fatal(err)
		}
		if m.Epoch != 3 || !m.ValTrained || m.BestEpoch != info.Best.Epoch {
			t.Errorf("%s: epoch %d, trained on validation %v, best epoch %d", which, m.Epoch, m.ValTrained, m.BestEpoch)
		}
	}
	if h := tr.Header(); h.ValTrain != "1 (from epoch 3)" || !slices.Contains(h.Tricks(), "val-train 1 (from epoch 3)") {
		t.Errorf("header: %q, tricks %q", h.ValTrain, h.Tricks())
	}
	if _, err := CalibrateRun(context.Background(), tr.RunDir(), "best", false); err == nil || !strings.Contains(err.Error(), "has trained on its validation images (--val-train)") {
		t.Errorf("calibrate on the val-trained checkpoint: %v", err)
	}
	// An earlier checkpoint, held out, still calibrates.
	if _, err := CalibrateRun(context.Background(), tr.RunDir(), filepath.Join(tr.RunDir(), "checkpoints", earlierCkpt(t, tr.RunDir(), 2)), false); err != nil {
		t.Errorf("calibrate epoch 2's checkpoint: %v", err)
	}
	// A sweep's early stopping compares held-out epochs only.
	all, err := EpochCurve(tr.RunDir(), "f1")
	if err != nil {
		t.Fatal(err)
	}
	held, err := HeldOutF1(tr.RunDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || len(held) != 3 || held[0] != all[0] || held[1] != all[1] || !math.IsNaN(held[2]) || math.IsNaN(all[2]) {
		t.Errorf("held-out F1 %v of %v", held, all)
	}
	bad := Config{Epochs: 3, ValTrain: 3}
	if err := bad.Check(); err == nil || !strings.Contains(err.Error(), "--val-train 3 of --epochs 3 leaves no epoch validated") {
		t.Errorf("--val-train 3 --epochs 3: %v", err)
	}
}

// earlierCkpt names the weights file of epoch's end-of-epoch checkpoint.
func earlierCkpt(t *testing.T, runDir string, epoch int) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(runDir, "checkpoints", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		m, err := ReadCkptMeta(f)
		if err == nil && m.Epoch == epoch && m.Batch == 0 {
			return m.Weights
		}
	}
	t.Fatalf("no checkpoint of epoch %d in %s", epoch, runDir)
	return ""
}

// TestValTrainLabelsAsTraining: the validation images join the last
// epochs labelled and filtered as the training split is (--train-age-bins,
// --skip-train-ages), while validation itself keeps its own labels.
func TestValTrainLabelsAsTraining(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	cfg.Epochs, cfg.ValTrain = 3, 1
	cfg.TrainAgeBins, cfg.SkipTrainAges = "30,40", "20-29"
	tr := testTrainer(t, cfg, nil)
	extra := tr.trainVal.Samples[tr.train.Len():]
	if len(extra) == 0 {
		t.Fatal("no validation images join")
	}
	bins, err := dataset.ParseAgeBins("30,40")
	if err != nil {
		t.Fatal(err)
	}
	moved := 0
	for _, s := range extra {
		if s.Age >= 20 && s.Age <= 29 {
			t.Errorf("a validation image of age %d joins though --skip-train-ages leaves it out", s.Age)
		}
		m, g, a := dataset.Decode(s.Label)
		if want := bins.Bin(s.Age); a != want {
			t.Errorf("a joining image of age %d has age class %d, want %d", s.Age, a, want)
		}
		if s.Label != dataset.Encode(m, g, a) {
			t.Errorf("label %d does not encode", s.Label)
		}
		if s.Age >= 40 && s.Age < 60 {
			moved++
		}
	}
	for _, s := range tr.val.Samples {
		if _, _, a := dataset.Decode(s.Label); a != dataset.DefaultAgeBins.Bin(s.Age) {
			t.Errorf("validation relabelled: age %d has age class %d", s.Age, a)
		}
	}
	if moved == 0 {
		t.Error("no joining image of ages 40-59: the check of their labels checked nothing")
	}
}

// TestChildOfValTrainedWeights: a child run of weights that trained on
// every labelled image (--val-train) holds nothing out on the same data:
// each epoch's validation is marked seen, none is best, its checkpoints
// are the ones predictions use, and the run ends saying so (its notice
// at the start: TestValTrainCommandLine).
func TestChildOfValTrainedWeights(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	cfg.Epochs, cfg.ValTrain = 2, 1
	parent, _, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	child := tinyConfig(t, cfg.Runs)
	child.From, child.Epochs = parent.RunID(), 2
	tr, evs, err := runTrainer(t, child, nil)
	if err != nil {
		t.Fatal(err)
	}
	epochs := 0
	for _, e := range evs {
		if e.Kind == KindEpoch {
			epochs++
			if !e.ValSeen || e.Best {
				t.Errorf("child epoch %d: seen %v, best %v", e.Epoch, e.ValSeen, e.Best)
			}
		}
	}
	if msg := finished(tr, nil); epochs != 2 || !strings.Contains(msg, "every epoch validated on images its weights had trained on") {
		t.Errorf("%d epochs; the end says %q", epochs, msg)
	}
	p, err := CheckpointPath(tr.RunDir(), "best")
	if err != nil {
		t.Fatal(err)
	}
	if m, err := ReadCkptMeta(p); err != nil || m.Epoch != 2 || !m.ValTrained {
		t.Errorf("the child's best checkpoint: %+v, %v", m, err)
	}
	// Without --val-train the child trains on its training split only.
	if tr.trainVal != nil || tr.step != 2*(tr.train.Len()/child.Batch) {
		t.Errorf("the child trained %d steps on %d images", tr.step, tr.train.Len())
	}
}
