package training

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
)

// OutOfFold is a vote of runs of several validation splits (the folds
// of a K-fold sweep) scored on their out-of-fold predictions: each
// split's runs vote on that split's images, which none of them trained
// on, and the votes side by side cover every image the splits hold once.
// It is the usual cross-validation figure of a K-fold ensemble (an
// estimate of one fold's vote on unseen images: the vote of every fold
// on the test set is often a little better), the figure a fold vote's
// leaderboard score is set against in the record of submissions.
type OutOfFold struct {
	Images, Splits int
	Vote           Metrics
	Folds          []Metrics // each split's vote on its own images, in the order the runs first name them
}

// VoteOutOfFold scores a vote of runs of more than one validation split
// on their kept validation predictions (as VoteOnValidation does a vote
// of runs of one split, which this refuses). Runs whose validation images
// overlap without being the same (ErrSplitsOverlap), runs of other data
// folders, of other classes and task runs have no such figure.
func VoteOutOfFold(prs []RunPredictor) (OutOfFold, error) {
	if hasTaskRuns(prs) {
		return OutOfFold{}, errors.New("some runs learnt one task: a vote of tasks has no out-of-fold figure")
	}
	groups, kept, err := groupBySplit(prs, sameValImages)
	if err != nil {
		return OutOfFold{}, err
	}
	if len(groups) < 2 {
		return OutOfFold{}, errors.New("the runs validated on one split: their vote's figure is VoteOnValidation's")
	}
	first := groups[0].preds
	for _, pr := range prs[1:] {
		if pr.DataDir != "" && prs[0].DataDir != "" && !samePath(pr.DataDir, prs[0].DataDir) {
			return OutOfFold{}, fmt.Errorf("runs %s and %s trained on other data folders: their validation images are no folds of one set", filepath.Base(prs[0].RunDir), filepath.Base(pr.RunDir))
		}
	}
	masked := maskClasses(prs[0].Meta, first.Names)
	all := NewConfusion(first.Classes)
	oof := OutOfFold{Splits: len(groups)}
	for _, g := range groups {
		if !slices.Equal(g.preds.Names, first.Names) {
			return OutOfFold{}, fmt.Errorf("runs %s and %s name other classes", filepath.Base(prs[groups[0].members[0]].RunDir), filepath.Base(prs[g.members[0]].RunDir))
		}
		var lps [][][]float64
		for _, k := range g.members {
			lps = append(lps, ValLogProbs(kept[k]))
		}
		fold := NewConfusion(first.Classes)
		for i, row := range SoftVote(lps) {
			p := Argmax(row)
			fold.Add(g.preds.Truth[i], p)
			all.Add(g.preds.Truth[i], p)
		}
		oof.Folds = append(oof.Folds, Summarize(fold, 0, masked))
		oof.Images += g.preds.Len()
	}
	oof.Vote = Summarize(all, 0, masked)
	return oof, nil
}
