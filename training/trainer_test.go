package training

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
)

var (
	tinyOnce sync.Once
	tinyDir  string
)

// tinyData makes a small synthetic mask set once per test binary.
func tinyData(t *testing.T) string {
	tinyOnce.Do(func() {
		dir, err := os.MkdirTemp("", "maskdash-tiny")
		if err != nil {
			t.Fatal(err)
		}
		if err := dataset.Synthesize(context.Background(), dataset.SynthConfig{Out: dir, Profiles: 24, W: 48, H: 64, Eval: 20, Seed: 3}); err != nil {
			t.Fatal(err)
		}
		tinyDir = dir
	})
	return tinyDir
}

func tinyConfig(t *testing.T, runsDir string) Config {
	return Config{Data: tinyData(t), Model: "cnn-s", Batch: 8, W: 16, H: 16, Epochs: 2, Runs: runsDir,
		StepEvery: time.Nanosecond, Workers: 2, Seed: 11}
}

// testTrainer builds cfg's trainer (its defaults filled in) without a run
// folder, publishing to hub (nil: a hub of its own), and releases its net
// when the test ends.
func testTrainer(t *testing.T, cfg Config, hub *Hub) *Trainer {
	t.Helper()
	cfg.Defaults()
	if hub == nil {
		hub = NewHub()
	}
	tr, err := newTrainer(context.Background(), launch{cfg: cfg}, hub)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.release)
	return tr
}

// runTrainer trains cfg; hook sees every event and may send commands.
func runTrainer(t *testing.T, cfg Config, hook func(*Trainer, Event)) (*Trainer, []Event, error) {
	t.Helper()
	hub := NewHub()
	tr, sink, err := start(context.Background(), cfg, hub)
	if err != nil {
		t.Fatal(err)
	}
	stop := collect(hub, func(e Event) {
		if hook != nil {
			hook(tr, e)
		}
	})
	err = tr.Run(context.Background())
	if cerr := sink.close(tr.Status(), err); cerr != nil {
		t.Errorf("closing the run: %v", cerr)
	}
	hub.Close()
	return tr, stop(), err
}

func epochLosses(evs []Event) map[int]float64 {
	out := map[int]float64{}
	for _, e := range evs {
		if e.Kind == KindEpoch {
			out[e.Epoch] = e.Val.Loss
		}
	}
	return out
}

// TestResumeRepeatsTheSameSteps: stopping mid-epoch and resuming from the
// checkpoint gives the same validation figures as never stopping, with
// plain batches and with CutMix's (which batches it mixes, and how, come
// from the seed and the step).
func TestResumeRepeatsTheSameSteps(t *testing.T) {
	for _, cutmix := range []float64{0, 0.5} {
		t.Run(fmt.Sprintf("cutmix %g", cutmix), func(t *testing.T) {
			cfg := tinyConfig(t, t.TempDir())
			cfg.CutMix, cfg.CutMixBox = cutmix, "random"
			resumeRepeatsTheSameSteps(t, cfg)
		})
	}
	// The moving average of the weights (--ema) goes on where it was:
	// the checkpoint holds it and the training weights beside it.
	t.Run("ema", func(t *testing.T) {
		cfg := tinyConfig(t, t.TempDir())
		cfg.EMA = 0.9
		resumeRepeatsTheSameSteps(t, cfg)
	})
	// RAdam's rectification follows its step count, which the
	// checkpoint's optimizer state keeps.
	t.Run("radam", func(t *testing.T) {
		cfg := tinyConfig(t, t.TempDir())
		cfg.Optim = "radam"
		resumeRepeatsTheSameSteps(t, cfg)
	})
}

// stopInTheSecondEpoch trains cfg and stops it a third of the way into
// its second epoch; it returns the trainer and its events.
func stopInTheSecondEpoch(t *testing.T, cfg Config) (*Trainer, []Event) {
	t.Helper()
	stopped := false
	tr, evs, err := runTrainer(t, cfg, func(tr *Trainer, e Event) {
		if e.Kind == KindStep && e.Epoch == 1 && e.Progress > 0.3 && !stopped {
			stopped = true
			tr.Send(Command{Kind: CmdStop})
		}
	})
	if err != nil || !stopped {
		t.Fatalf("stop: %v %v", err, stopped)
	}
	return tr, evs
}

func resumeRepeatsTheSameSteps(t *testing.T, cfg Config) {
	dir := cfg.Runs
	_, full, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := epochLosses(full)
	if len(want) != 2 {
		t.Fatalf("uninterrupted run: %v", want)
	}
	tr, _ := stopInTheSecondEpoch(t, cfg)
	info, _ := runs.NewStore(dir).Info(tr.RunID())
	if info.Status != runs.StatusStopped || info.EpochsDone != 1 {
		t.Fatalf("after stop: %+v", info)
	}
	_, resumed, err := runTrainer(t, Config{Runs: dir, Resume: tr.RunID(), StepEvery: time.Nanosecond, Workers: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := epochLosses(resumed)
	if math.Abs(got[2]-want[2]) > 1e-6*math.Max(1, want[2]) {
		t.Errorf("epoch 2 validation loss after resume %v, without stopping %v", got[2], want[2])
	}
	// The log continues: steps increase and no epoch appears twice.
	evs, err := ReplayLog(runs.NewStore(dir).Path(tr.RunID()))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, e := range evs {
		if e.Kind == KindEpoch {
			if seen[e.Epoch] {
				t.Errorf("epoch %d logged twice", e.Epoch)
			}
			seen[e.Epoch] = true
		}
	}
}

func TestDivergingLossStopsAndKeepsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t, dir)
	cfg.Epochs = 3
	sent := false
	tr, evs, err := runTrainer(t, cfg, func(tr *Trainer, e Event) {
		if e.Kind == KindEpoch && !sent {
			sent = true
			tr.Send(Command{Kind: CmdSetLR, Value: 1e30})
		}
	})
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("want ErrNonFinite, got %v", err)
	}
	gotErr := false
	for _, e := range evs {
		gotErr = gotErr || e.Kind == KindError && strings.Contains(e.Msg, "not finite")
	}
	if !gotErr {
		t.Error("no error event")
	}
	info, _ := runs.NewStore(dir).Info(tr.RunID())
	if info.Status != runs.StatusFailed {
		t.Errorf("status %s", info.Status)
	}
	best, err := CheckpointPath(tr.RunDir(), "best")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := ReadCkptMeta(best)
	if m.Epoch != 1 {
		t.Errorf("best checkpoint is from epoch %d, want the last good one (1)", m.Epoch)
	}
	for _, p := range []string{best} {
		if _, err := LoadPredictor(p); err != nil {
			t.Errorf("last good checkpoint does not load: %v", err)
		}
	}
}

func TestCheckpointMismatchIsRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t, dir)
	cfg.Epochs = 1
	tr, _, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg2 := tinyConfig(t, dir)
	cfg2.Model = "vgg-s"
	cfg2.From = tr.RunID()
	_, _, err = start(context.Background(), cfg2, NewHub())
	if err == nil || !strings.Contains(err.Error(), "cannot start a vgg-s") || !strings.Contains(err.Error(), "cnn-s") {
		t.Fatalf("want a mismatch sentence, got %v", err)
	}
	// A corrupt weights file is named.
	p := filepath.Join(tr.RunDir(), "checkpoints", "best.safetensors")
	os.WriteFile(p, []byte("garbage"), 0o644)
	if _, err := LoadPredictor(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("corrupt checkpoint: %v", err)
	}
}

func TestForkStartsChildRun(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t, dir)
	cfg.Epochs = 2
	hub := NewHub()
	mgr := NewManager(cfg, hub)
	sub, _ := hub.Subscribe(1 << 20)
	var ids []string
	forked := false
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			evs, _, ok := sub.Next(context.Background())
			if !ok {
				return
			}
			for _, e := range evs {
				if e.Kind == KindRun {
					ids = append(ids, e.Settings.ID)
				}
				if e.Kind == KindStep && !forked {
					forked = true
					mgr.Send(Command{Kind: CmdFork, Fork: Fork{Loss: "focal", LR: 5e-4}, Who: "test"})
				}
			}
		}
	}()
	if err := mgr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-done
	if len(ids) != 2 {
		t.Fatalf("runs %v", ids)
	}
	store := runs.NewStore(dir)
	parent, _ := store.Info(ids[0])
	child, _ := store.Info(ids[1])
	if parent.Status != runs.StatusStopped || child.Parent != ids[0] || child.Loss != "focal" || child.LR != 5e-4 || child.Status != runs.StatusDone {
		t.Errorf("parent %+v\nchild %+v", parent, child)
	}
}

func TestUnknownNamesListValidOnes(t *testing.T) {
	dir := t.TempDir()
	for field, check := range map[string]func(*Config){
		"cnn-s, cnn-s-mh":            func(c *Config) { c.Model = "alexnet" },
		"sgd, adam":                  func(c *Config) { c.Optim = "lion" },
		"shuffle, weighted, balance": func(c *Config) { c.Sampler = "magic" },
		"own or gorgonia":            func(c *Config) { c.Engine = "tpu" },
	} {
		cfg := tinyConfig(t, dir)
		check(&cfg)
		_, _, err := start(context.Background(), cfg, NewHub())
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("want the valid names %q in %v", field, err)
		}
	}
}

// TestResumeWithoutCheckpointStartsOver: a run that died before its first
// checkpoint is trained from the start under the same id.
func TestResumeWithoutCheckpointStartsOver(t *testing.T) {
	dir := t.TempDir()
	tr, sink, err := start(context.Background(), tinyConfig(t, dir), NewHub())
	if err != nil {
		t.Fatal(err)
	}
	id := tr.RunID()
	if err := sink.close(runs.StatusFailed, errors.New("died early")); err != nil {
		t.Fatal(err)
	}
	_, evs, err := runTrainer(t, Config{Runs: dir, Resume: id, StepEvery: time.Nanosecond, Workers: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := runs.NewStore(dir).Info(id)
	if info.Status != runs.StatusDone || info.EpochsDone != 2 || len(epochLosses(evs)) != 2 {
		t.Errorf("after resume: %+v", info)
	}
}

// TestGorgoniaEngineTrainsAlike: --engine gorgonia (Gorgonia's own ops,
// the graph a GPU build runs) and this project's ops train to the same
// validation figures from the same seed, and the run records its engine.
func TestGorgoniaEngineTrainsAlike(t *testing.T) {
	loss := map[string]map[int]float64{}
	for _, engine := range []string{"own", "gorgonia"} {
		cfg := tinyConfig(t, t.TempDir())
		cfg.Engine = engine
		tr, evs, err := runTrainer(t, cfg, nil)
		if err != nil {
			t.Fatalf("%s: %v", engine, err)
		}
		loss[engine] = epochLosses(evs)
		info, err := runs.NewStore(cfg.Runs).Info(tr.RunID())
		if err != nil {
			t.Fatal(err)
		}
		if got, err := ConfigFromMap(info.Config); err != nil || got.Engine != engine {
			t.Errorf("run.json engine = %q (%v), want %q", got.Engine, err, engine)
		}
	}
	// A resumed run keeps its engine.
	dir := t.TempDir()
	cfg := tinyConfig(t, dir)
	cfg.Engine, cfg.Epochs = "gorgonia", 1
	tr, _, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, _, err = runTrainer(t, Config{Runs: dir, Resume: tr.RunID(), Epochs: 2, StepEvery: time.Nanosecond, Workers: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tr.net.Spec.Engine != "gorgonia" {
		t.Errorf("resumed run's engine = %q, want gorgonia", tr.net.Spec.Engine)
	}
	for ep := 1; ep <= 2; ep++ {
		a, b := loss["own"][ep], loss["gorgonia"][ep]
		if a == 0 || math.Abs(a-b) > 1e-3*math.Max(1, math.Abs(a)) {
			t.Errorf("epoch %d validation loss: own %.6f, gorgonia %.6f", ep, a, b)
		}
	}
	t.Logf("validation loss own %v, gorgonia %v", loss["own"], loss["gorgonia"])
}

// TestStopDuringValidationIsAStop: a stop (Ctrl-C, SIGTERM, a hangup)
// that lands while an epoch is being validated ends the run as stopped,
// with a checkpoint, like a stop anywhere else; it once ended it as
// failed with "context canceled" and a non-zero exit. The stop is given
// at each epoch's last step event, which comes just before its
// validation, three runs over. Resumed, the run validates that epoch
// before it trains on, and its log has every epoch once.
func TestStopDuringValidationIsAStop(t *testing.T) {
	for i := range 3 {
		dir := t.TempDir()
		cfg := tinyConfig(t, dir)
		cfg.Epochs = 3
		hub := NewHub()
		ctx, cancel := context.WithCancel(context.Background())
		tr, sink, err := start(ctx, cfg, hub)
		if err != nil {
			t.Fatal(err)
		}
		stop := collect(hub, func(e Event) {
			if e.Kind == KindStep && e.Progress >= 1 {
				cancel()
			}
		})
		err = tr.Run(ctx)
		if cerr := sink.close(tr.Status(), err); cerr != nil {
			t.Errorf("closing the run: %v", cerr)
		}
		hub.Close()
		stop()
		cancel()
		if err != nil || tr.Status() != runs.StatusStopped {
			t.Errorf("run %d: status %s, error %v; want stopped, no error", i, tr.Status(), err)
		}
		if tr.LastCheckpoint() == "" {
			t.Errorf("run %d: no checkpoint", i)
		}
		tr, _, err = runTrainer(t, Config{Runs: dir, Resume: tr.RunID(), StepEvery: time.Nanosecond, Workers: 2}, nil)
		if err != nil || tr.Status() != runs.StatusDone {
			t.Fatalf("run %d resumed: status %s, error %v", i, tr.Status(), err)
		}
		evs, err := ReplayLog(filepath.Join(dir, tr.RunID()))
		if err != nil {
			t.Fatal(err)
		}
		count := map[int]int{}
		for _, e := range evs {
			if e.Kind == KindEpoch {
				count[e.Epoch]++
			}
		}
		if count[1] != 1 || count[2] != 1 || count[3] != 1 || len(count) != 3 {
			t.Errorf("run %d: epochs in the log %v, want 1, 2 and 3 once each", i, count)
		}
	}
}

// TestTrainAgeBins: --train-age-bins labels the training images' ages
// with its thresholds, while validation keeps --age-bins; both keep the
// evaluation's class names. Data without ages is refused.
func TestTrainAgeBins(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	cfg.TrainAgeBins = "25,45"
	hub := NewHub()
	defer hub.Close()
	tr, sink, err := start(context.Background(), cfg, hub)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.close(runs.StatusStopped, nil) //nolint:errcheck // the test's run is thrown away
	check := func(s *dataset.Set, b dataset.AgeBins, what string) {
		t.Helper()
		n := 0
		for _, sm := range s.Samples {
			if _, _, a := dataset.Decode(sm.Label); a != b.Bin(sm.Age) {
				t.Fatalf("%s image %s aged %d has age class %d, want %d (bins %v)", what, sm.Name, sm.Age, a, b.Bin(sm.Age), b)
			}
			if b.Bin(sm.Age) != dataset.DefaultAgeBins.Bin(sm.Age) {
				n++
			}
		}
		if what == "training" && n == 0 {
			t.Fatalf("no training image changed class: the test's ages do not cross the thresholds")
		}
	}
	check(tr.train, dataset.AgeBins{Young: 25, Old: 45}, "training")
	check(tr.val, dataset.DefaultAgeBins, "validation")
	if tr.header.TrainAgeBins != "25,45" {
		t.Errorf("the header says training ages %q", tr.header.TrainAgeBins)
	}
	if !slices.Equal(tr.train.Classes, tr.val.Classes) || tr.train.Classes[2] != "wear·M·60+" {
		t.Errorf("classes: training %v, validation %v", tr.train.Classes, tr.val.Classes)
	}
	if err := trainAgesAs(&dataset.Set{Root: "pets"}, "30,58"); err == nil || !strings.Contains(err.Error(), "applies to the mask layout") {
		t.Errorf("data without ages: %v", err)
	}
}

// TestSkipTrainAges: --skip-train-ages leaves out exactly the training
// images of those ages, validation keeps every age, the header says so,
// and data without ages is refused in one sentence.
func TestSkipTrainAges(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	plain := testTrainer(t, cfg, nil)
	cfg.SkipTrainAges = "20-29,45"
	skip, _ := dataset.ParseAgeRanges(cfg.SkipTrainAges)
	tr := testTrainer(t, cfg, nil)
	left := 0
	for _, sm := range plain.train.Samples {
		if skip.Has(sm.Age) {
			left++
		}
	}
	if left == 0 {
		t.Fatal("no training image is of a skipped age: the test's ages miss the ranges")
	}
	for _, sm := range tr.train.Samples {
		if skip.Has(sm.Age) {
			t.Fatalf("training kept %s, aged %d", sm.Name, sm.Age)
		}
	}
	if got, want := tr.train.Len(), plain.train.Len()-left; got != want {
		t.Errorf("%d training images, want %d (%d less %d)", got, want, plain.train.Len(), left)
	}
	if tr.val.Len() != plain.val.Len() {
		t.Errorf("validation has %d images, %d without skipping", tr.val.Len(), plain.val.Len())
	}
	if tr.header.SkipTrainAges != "20-29,45" || tr.header.Train != tr.train.Len() {
		t.Errorf("header: skips %q, %d training images", tr.header.SkipTrainAges, tr.header.Train)
	}
	if _, _, err := (&dataset.Set{Root: "pets"}).WithoutAges(skip); err == nil || !strings.Contains(err.Error(), "mask layout") {
		t.Errorf("data without ages: %v", err)
	}
}

// TestNoneMeansNone: "none" (a sweep grid's word for an empty value) in
// the settings whose empty value is none trains on the same images as
// leaving them out, and the header says none of them: no file named
// "none" is opened.
func TestNoneMeansNone(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	plain := testTrainer(t, cfg, nil)
	cfg.SkipTrainAges, cfg.TrainAgeBins, cfg.FixLabels, cfg.PseudoLabels = NoneSetting, NoneSetting, NoneSetting, NoneSetting
	tr := testTrainer(t, cfg, nil)
	if tr.train.Len() != plain.train.Len() || tr.val.Len() != plain.val.Len() {
		t.Fatalf("%d training and %d validation images, %d and %d without the settings", tr.train.Len(), tr.val.Len(), plain.train.Len(), plain.val.Len())
	}
	for i, s := range tr.train.Samples {
		if p := plain.train.Samples[i]; s.Name != p.Name || s.Label != p.Label {
			t.Fatalf("training image %d: %s (class %d), without the settings %s (class %d)", i, s.Name, s.Label, p.Name, p.Label)
		}
	}
	if h := tr.header; h.SkipTrainAges != "" || h.TrainAgeBins != "" || h.PseudoLabels != "" {
		t.Errorf("header: %+v", h)
	}
}

// TestPseudoLabels: --pseudo-labels adds the eval images its file names to
// the training split with the file's classes (not the truth beside the
// synthetic eval set), leaves validation alone, says how many joined and
// how many of its ImageIDs matched none, and warns of a malformed row.
func TestPseudoLabels(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	plain := testTrainer(t, cfg, nil)
	eval := plain.data.Test
	if eval == nil || eval.Len() < 16 {
		t.Fatalf("the tiny set's eval images: %v", eval)
	}
	var b strings.Builder
	b.WriteString("ImageID,ans\n")
	want := map[string]int{}
	for i, sm := range eval.Samples[:15] {
		y := (sm.Label + 1 + i) % dataset.NumClasses // never the truth
		want[sm.Name] = y
		fmt.Fprintf(&b, "%s,%d\n", sm.Name, y)
	}
	b.WriteString("not-an-eval-image.jpg,3\nbroken.jpg,99\n")
	file := filepath.Join(t.TempDir(), "teacher.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.PseudoLabels = file
	hub := NewHub()
	sub, _ := hub.Subscribe(1 << 10)
	tr := testTrainer(t, cfg, hub)
	if got := tr.train.Len() - plain.train.Len(); got != 15 {
		t.Fatalf("%d images joined the training split, want 15", got)
	}
	for _, sm := range tr.train.Samples[plain.train.Len():] {
		if y, ok := want[sm.Name]; !ok || sm.Label != y {
			t.Errorf("eval image %s joined with class %d, the file says %d (%v)", sm.Name, sm.Label, y, ok)
		}
	}
	if tr.val.Len() != plain.val.Len() || tr.header.PseudoLabels != file {
		t.Errorf("validation %d images (plain %d); header %q", tr.val.Len(), plain.val.Len(), tr.header.PseudoLabels)
	}
	hub.Close()
	var said []string
	for {
		evs, _, ok := sub.Next(context.Background())
		if !ok {
			break
		}
		for _, e := range evs {
			said = append(said, e.Msg)
		}
	}
	all := strings.Join(said, "\n")
	if !strings.Contains(all, "15 eval images join the training split, labelled by "+file+" (1 of its ImageIDs are not among the eval images)") ||
		!strings.Contains(all, `ans "99" is not a class 0..17`) {
		t.Errorf("events said:\n%s", all)
	}
}
