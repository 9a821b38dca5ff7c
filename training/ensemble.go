package training

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
)

// EnsembleMember is one run of a soft vote, with its own score where the
// data has labels.
type EnsembleMember struct {
	Run   string
	Alone *Metrics // nil without labels
}

// Ensemble is a soft vote of several runs on one data set.
type Ensemble struct {
	Set     *dataset.Set
	Vote    [][]float64 // log-probabilities, a row per image
	Members []EnsembleMember
	Score   *Metrics // the vote's, nil without labels
}

// SoftVoteRuns predicts set (nil: the first run's data, as predict takes
// it) with each run and averages their probabilities (SoftVote). each,
// when set, is told every run's result as it comes.
func SoftVoteRuns(ctx context.Context, prs []RunPredictor, set *dataset.Set, tta bool, each func(EnsembleMember)) (Ensemble, error) {
	if len(prs) == 0 {
		return Ensemble{}, fmt.Errorf("an ensemble needs one run or more")
	}
	var e Ensemble
	if set == nil {
		var err error
		if set, err = prs[0].EvalData("", true); err != nil {
			return Ensemble{}, err
		}
	}
	e.Set = set
	var all [][][]float64
	for _, pr := range prs {
		lp, err := pr.LogProbs(ctx, set, tta)
		if err != nil {
			return Ensemble{}, fmt.Errorf("%s: %w", pr.Path, err)
		}
		m := EnsembleMember{Run: pr.Path}
		if set.HasTruth() {
			s := ScoreLogProbs(set, lp)
			m.Alone = &s
		}
		e.Members = append(e.Members, m)
		if each != nil {
			each(m)
		}
		all = append(all, lp)
	}
	e.Vote = SoftVote(all)
	if set.HasTruth() {
		s := ScoreLogProbs(set, e.Vote)
		e.Score = &s
	}
	return e, nil
}

// CalibrateVote fits class offsets on the soft vote of the runs'
// validation predictions, each checkpoint's from the epoch it ended. The
// runs must have validated on the same images (one data folder, split
// and seed): the folds of a K-fold sweep did not, and are refused.
func CalibrateVote(prs []RunPredictor) (ClassCalibration, error) {
	var all [][][]float64
	var first *runs.ValPreds
	for _, pr := range prs {
		if pr.Meta.Batch > 0 || pr.Meta.Epoch == 0 {
			return ClassCalibration{}, fmt.Errorf("%s was taken inside an epoch: no validation predictions are of its weights", pr.Path)
		}
		p, err := runs.ReadValPreds(pr.RunDir, pr.Meta.Epoch)
		if err != nil {
			return ClassCalibration{}, fmt.Errorf("%s: %w", pr.RunDir, err)
		}
		if first == nil {
			first = p
		} else if !sameValImages(first, p) {
			return ClassCalibration{}, fmt.Errorf("runs %s and %s validated on different images, so their votes cannot be fitted together: class offsets need runs of one validation split (same data, split and seed; not the folds of a K-fold sweep)",
				filepath.Base(prs[0].RunDir), filepath.Base(pr.RunDir))
		}
		all = append(all, ValLogProbs(p))
	}
	return CalibrateClasses(first.Truth, SoftVote(all), OffsetGroups(first.Classes, maskClasses(prs[0].Meta, first.Names)))
}

// sameValImages reports whether two runs' validation predictions are of
// the same images, in the same order, with the same labels.
func sameValImages(a, b *runs.ValPreds) bool {
	if a.Len() != b.Len() || !slices.Equal(a.Names, b.Names) {
		return false
	}
	for i, it := range a.Items {
		o := b.Items[i]
		if it.Name != o.Name || it.Path != o.Path || it.Mem != o.Mem || a.Truth[i] != b.Truth[i] {
			return false
		}
	}
	return true
}
