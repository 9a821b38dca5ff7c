package training

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/maskdash/maskdash/runs"
)

// SubmissionFrom describes predictions made with prs's checkpoints for
// the runs folder's record (runs.RecordSubmission): the runs as the
// runs folder names them, which weights, and the validation macro F1 the
// leaderboard's is set against: a single checkpoint's written at an
// epoch's end, a vote's on the validation images its runs share
// (VoteOnValidation), or a vote of folds' out of fold (VoteOutOfFold;
// none for splits that overlap). It returns the runs folder the record
// belongs in: runsDir when the first run is in it, else the runs folder
// the first run is in (a run given as a path elsewhere; a sweep's trial's
// is the sweep's runs folder).
func SubmissionFrom(runsDir string, prs []RunPredictor, tta, offsets bool) (string, runs.Submission) {
	s := runs.Submission{TTA: tta, Offsets: offsets}
	home := runsDir
	if len(prs) > 0 && !inside(runsDir, prs[0].RunDir) {
		home = runs.SubmissionsHome(filepath.Dir(prs[0].RunDir))
	}
	for _, pr := range prs {
		s.Runs = append(s.Runs, runRef(home, pr.RunDir))
	}
	switch {
	case len(prs) == 1:
		m := prs[0].Meta
		s.Ckpt = fmt.Sprintf("epoch %d, step %d", m.Epoch, m.Step)
		switch {
		case m.OfTrainingWeights:
			s.Ckpt += ", training weights"
			if m.Batch == 0 && m.Epoch >= 1 { // the epoch event's figure of them (the checkpoint's Metrics are the average's)
				if ys, err := epochValues(prs[0].RunDir, trainWeightsF1); err == nil && m.Epoch <= len(ys) && !math.IsNaN(ys[m.Epoch-1]) {
					s.ValF1 = &ys[m.Epoch-1]
				}
			}
		case m.Metrics != nil && m.Batch == 0:
			f1 := m.Metrics.MacroF1
			s.ValF1 = &f1
		}
	case len(prs) > 1:
		if v, err := VoteOnValidation(prs); err == nil {
			f1 := v.Vote.MacroF1
			s.ValF1 = &f1
		} else if o, err := VoteOutOfFold(prs); err == nil {
			f1 := o.Vote.MacroF1
			s.ValF1, s.ValOutOfFold = &f1, true
		}
	}
	return home, s
}

// trainWeightsF1 is an epoch event's macro F1 of the training weights
// (--ema); NaN without.
func trainWeightsF1(e Event) float64 {
	if e.TrainWeightsF1 == nil {
		return math.NaN()
	}
	return *e.TrainWeightsF1
}

// runRef names the run in folder dir as runs folder home's record does:
// its path below home ("sweep-…/t003" for a sweep's trial), or its
// folder's name when it is not in home.
func runRef(home, dir string) string {
	if inside(home, dir) {
		rel, _ := filepath.Rel(home, dir)
		return filepath.ToSlash(rel)
	}
	return filepath.Base(dir)
}

// inside reports whether path is in folder dir (at any depth).
func inside(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && !strings.HasPrefix(rel, "..")
}
