package training

import (
	"path/filepath"
	"strings"
	"testing"
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
