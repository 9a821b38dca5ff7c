package training

import (
	"errors"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// TestVoteOutOfFold: the vote of the two folds of a 2-fold split is
// scored on every image once, each by the fold that did not train on it:
// its confusion matrix is the folds' own kept predictions side by side
// (built here from each file's rows, not through the vote), and each
// fold's figure is its own. A vote of one split's runs, and of runs
// whose splits overlap, has no out-of-fold figure.
func TestVoteOutOfFold(t *testing.T) {
	rd := t.TempDir()
	store := runs.NewStore(rd)
	open := func(id string) RunPredictor {
		t.Helper()
		pr, err := OpenRunPredictor(store, id, "best")
		if err != nil {
			t.Fatal(err)
		}
		return pr
	}
	var folds []RunPredictor
	want := NewConfusion(18)
	var each []float64
	for fold := 1; fold <= 2; fold++ {
		cfg := tinyConfig(t, rd)
		cfg.Epochs, cfg.Folds, cfg.Fold = 1, 2, fold
		tr, _, err := runTrainer(t, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		pr := open(tr.RunID())
		folds = append(folds, pr)
		p, err := runs.ReadValPreds(pr.RunDir, pr.Meta.Epoch)
		if err != nil {
			t.Fatal(err)
		}
		own := NewConfusion(p.Classes)
		for i := range p.Len() {
			best := 0
			for c := range p.Classes {
				if p.Prob(i, c) > p.Prob(i, best) {
					best = c
				}
			}
			want.Add(p.Truth[i], best)
			own.Add(p.Truth[i], best)
		}
		each = append(each, own.MacroF1())
	}
	o, err := VoteOutOfFold(folds)
	if err != nil {
		t.Fatal(err)
	}
	if o.Splits != 2 || o.Images != want.Total() || o.Vote.MacroF1 != want.MacroF1() || len(o.Folds) != 2 || o.Folds[0].MacroF1 != each[0] || o.Folds[1].MacroF1 != each[1] {
		t.Errorf("out of fold: %d splits, %d images, macro F1 %v, folds %v; want 2, %d, %v, %v", o.Splits, o.Images, o.Vote.MacroF1, o.Folds, want.Total(), want.MacroF1(), each)
	}
	if _, err := VoteOutOfFold([]RunPredictor{folds[0], folds[0]}); err == nil || !strings.Contains(err.Error(), "validated on one split") {
		t.Errorf("a vote of one split: %v", err)
	}
	cfg := tinyConfig(t, rd)
	cfg.Epochs = 1
	plain, _, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VoteOutOfFold([]RunPredictor{folds[0], open(plain.RunID())}); !errors.Is(err, ErrSplitsOverlap) {
		t.Errorf("a fold and a run of a plain split: %v, want the splits' overlap", err)
	}
}
