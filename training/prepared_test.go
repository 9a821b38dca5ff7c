package training

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maskdash/maskdash/dataset"
)

// TestARunReadsTheImagesAnEarlierOnePrepared: the second run on the same
// data and size reads the first one's prepared images (its start says
// so) and trains exactly as it did; with Prepared off nothing is kept.
func TestARunReadsTheImagesAnEarlierOnePrepared(t *testing.T) {
	store := t.TempDir()
	var figures []float64
	for i := range 2 {
		cfg := tinyConfig(t, t.TempDir())
		cfg.Epochs, cfg.Prepared = 1, store
		_, evs, err := runTrainer(t, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		said := ""
		for _, e := range evs {
			if e.Kind == KindNotice && strings.Contains(e.Msg, "as an earlier run prepared them") {
				said = e.Msg
			}
			if e.Kind == KindEpoch {
				figures = append(figures, e.Val.Loss, e.Val.MacroF1, e.TrainAcc)
			}
		}
		if (said != "") != (i == 1) {
			t.Errorf("run %d: notice %q", i+1, said)
		}
		if i == 1 && !strings.Contains(said, store) {
			t.Errorf("the notice does not say where: %q", said)
		}
	}
	if len(figures) != 6 || figures[0] != figures[3] || figures[1] != figures[4] || figures[2] != figures[5] {
		t.Errorf("the two runs' first epochs (val loss, F1, train accuracy): %v", figures)
	}
	if packs, _ := filepath.Glob(filepath.Join(store, "*.pack")); len(packs) != 1 {
		t.Errorf("%d packs for one data folder at one size", len(packs))
	}
	off := t.TempDir()
	cfg := tinyConfig(t, t.TempDir())
	cfg.Epochs, cfg.Prepared = 1, PreparedOff
	t.Setenv("XDG_CACHE_HOME", off) // where the default folder would be
	if _, _, err := runTrainer(t, cfg, nil); err != nil {
		t.Fatal(err)
	}
	if packs, _ := filepath.Glob(filepath.Join(off, "*", "*", "*.pack")); len(packs) != 0 {
		t.Errorf("with Prepared off, packs were written: %v", packs)
	}
}

// TestDashboardPredictionsKeepTheEvalImages: the dashboard's x prepares
// the eval images once for the run (a second x reuses them) and keeps
// them in the store, where the next run's x finds them all.
func TestDashboardPredictionsKeepTheEvalImages(t *testing.T) {
	store := t.TempDir()
	var first []byte
	for run := range 2 {
		cfg := tinyConfig(t, t.TempDir())
		cfg.Prepared = store
		tr := testTrainer(t, cfg, nil)
		tr.dir = t.TempDir() // a run folder's predictions/, as runs.Store makes it
		if err := os.Mkdir(filepath.Join(tr.dir, "predictions"), 0o755); err != nil {
			t.Fatal(err)
		}
		ev, err := dataset.ReadEval(tr.dataDir(), tr.train.Bins)
		if err != nil {
			t.Fatal(err)
		}
		if n := tr.evalImages(ev).Len(); n != map[int]int{0: 0, 1: ev.Len()}[run] {
			t.Errorf("run %d: %d of the %d eval images read from the store before its first x", run+1, n, ev.Len())
		}
		tr.evalCache = nil // as a run that has not pressed x yet
		for x := range 2 {
			path, _, _, err := tr.predictNow()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(path)
			if first == nil {
				first = b
			} else if !bytes.Equal(b, first) {
				t.Errorf("run %d, x %d: other predictions", run+1, x+1)
			}
			if tr.evalCache == nil || tr.evalCache.Len() != ev.Len() {
				t.Errorf("run %d, x %d: the eval images are not kept for the next x", run+1, x+1)
			}
		}
	}
}

// TestCheckLeavesThePreparedImages: a sweep's check of a trial
// (CheckStart) neither reads the store of prepared images (a stat of
// every image) nor marks its pack as used, which a run does.
func TestCheckLeavesThePreparedImages(t *testing.T) {
	store := t.TempDir()
	cfg := tinyConfig(t, t.TempDir())
	cfg.Epochs, cfg.Prepared = 1, store
	if _, _, err := runTrainer(t, cfg, nil); err != nil {
		t.Fatal(err)
	}
	packs, _ := filepath.Glob(filepath.Join(store, "*.pack"))
	if len(packs) != 1 {
		t.Fatalf("%d packs after a run", len(packs))
	}
	old := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	if err := os.Chtimes(packs[0], old, old); err != nil {
		t.Fatal(err)
	}
	if err := CheckStart(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(packs[0]); err != nil || !st.ModTime().Equal(old) {
		t.Errorf("the check touched the pack: %v %v", st.ModTime(), err)
	}
	// A run does (the store's trim keeps the packs used last).
	if _, _, err := runTrainer(t, cfg, nil); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(packs[0]); err != nil || st.ModTime().Equal(old) {
		t.Errorf("a run left the pack's time as it was: %v", err)
	}
}

// TestStartChecksReadADataFolderOnce: the checks of a sweep's trials
// (StartChecks) open each data folder once: a trial checked after the
// folder's labels went missing is checked on the folder as read, where
// a check of its own (CheckStart) finds them gone; another age binning is
// the folder read another way, opened anew.
func TestStartChecksReadADataFolderOnce(t *testing.T) {
	data := t.TempDir()
	if err := dataset.Synthesize(context.Background(), dataset.SynthConfig{Out: data, Profiles: 12, W: 24, H: 32, Eval: -1, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Data: data, Runs: t.TempDir(), Model: "cnn-s", Batch: 8, W: 16, H: 16, Prepared: PreparedOff}
	var checks StartChecks
	for _, seed := range []uint64{1, 2} {
		c := cfg
		c.Seed = seed
		if err := checks.Check(context.Background(), c); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
	if err := os.RemoveAll(filepath.Join(data, "train")); err != nil {
		t.Fatal(err)
	}
	c := cfg
	c.Seed = 3
	if err := checks.Check(context.Background(), c); err != nil {
		t.Errorf("a third trial on the folder read before: %v", err)
	}
	if err := CheckStart(context.Background(), c); err == nil {
		t.Error("a check of its own found the folder's images, which are gone")
	}
	c.AgeBins = "30,58"
	if err := checks.Check(context.Background(), c); err == nil {
		t.Error("the folder read with other age bins was not opened anew")
	}
}
