package training

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
)

// calibrateTaskVote fits class offsets for a vote with task runs
// (voteTasks) on their validation predictions, combined as the vote
// combines them: each task's classes voted by its runs (and the 18-class
// runs' marginals), the three multiplied into the 18 classes, against
// the images' 18 classes put together from the runs' truths. Runs that
// validated on the same images are combined together; runs of different
// validation splits (the folds of a K-fold sweep over tasks) give
// out-of-fold predictions side by side, as CalibrateVote does for 18-class
// runs, each split needing every task. With tta each run predicts its
// images again, averaged with their mirror images.
func calibrateTaskVote(ctx context.Context, prs []RunPredictor, tta bool) (VoteCalibration, error) {
	groups, kept, err := groupBySplit(prs, sameImagesInOrder)
	if errors.Is(err, ErrSplitsOverlap) {
		return VoteCalibration{}, fmt.Errorf("%w, so class offsets cannot be fitted on them: give ensemble --offsets runs of one validation split, or the folds of one K-fold split", err)
	}
	if err != nil {
		return VoteCalibration{}, err
	}
	var truth []int
	var lp [][]float64
	for _, g := range groups {
		t, l, err := combinedValPreds(ctx, prs, kept, g.members, tta)
		if err != nil {
			return VoteCalibration{}, err
		}
		truth, lp = append(truth, t...), append(lp, l...)
	}
	cal, err := CalibrateClasses(truth, lp, OffsetGroups(dataset.NumClasses, true))
	return VoteCalibration{ClassCalibration: cal, Splits: len(groups), Images: len(truth), TTA: tta}, err
}

// combinedValPreds are the 18 classes and the vote's log-probabilities of
// the images that runs members (by index into prs and kept) all
// validated on.
func combinedValPreds(ctx context.Context, prs []RunPredictor, kept []*runs.ValPreds, members []int, tta bool) ([]int, [][]float64, error) {
	n := kept[members[0]].Len()
	var votes [3][][][]float64
	var truth [3][]int
	for _, k := range members {
		pr := prs[k]
		lp, err := pr.valLogProbs(ctx, kept[k], tta)
		if err != nil {
			return nil, nil, err
		}
		t, err := dataset.ParseTask(pr.Meta.Data.Task)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", pr.Path, err)
		}
		if t >= 0 {
			votes[t] = append(votes[t], lp)
			truth[t] = kept[k].Truth
			continue
		}
		for j := range votes {
			votes[j] = append(votes[j], taskMarginals(lp, j))
			if truth[j] == nil {
				truth[j] = make([]int, n)
				for i, c := range kept[k].Truth {
					truth[j][i] = dataset.TaskLabel(c, j)
				}
			}
		}
	}
	if err := missingTasks(votes); err != nil {
		return nil, nil, fmt.Errorf("the runs that validated with %s: %w", filepath.Base(prs[members[0]].RunDir), err)
	}
	all := make([]int, n)
	for i := range all {
		all[i] = dataset.Encode(truth[0][i], truth[1][i], truth[2][i])
	}
	return all, combineTasks(SoftVote(votes[0]), SoftVote(votes[1]), SoftVote(votes[2])), nil
}

// sameImagesInOrder reports whether two runs validated on the same images
// in the same order (whatever classes they were taught).
func sameImagesInOrder(a, b *runs.ValPreds) bool {
	if a.Len() != b.Len() {
		return false
	}
	for i, it := range a.Items {
		if valImage(it) != valImage(b.Items[i]) {
			return false
		}
	}
	return true
}
