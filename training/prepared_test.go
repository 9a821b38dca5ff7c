package training

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
