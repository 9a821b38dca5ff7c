package training

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
)

// calibrateTaskVote fits class offsets for a vote with task runs
// (voteTasks) on their validation predictions, combined as the vote
// combines them: each task's classes voted by its runs (and the 18-class
// runs' marginals), the three multiplied into the 18 classes, against
// the images' 18 classes put together from the runs' truths. The runs
// must have validated on the same images (one data folder, split and
// seed: task runs of one recipe do); with tta each predicts them again,
// averaged with their mirror images.
func calibrateTaskVote(ctx context.Context, prs []RunPredictor, tta bool) (VoteCalibration, error) {
	kept := make([]*runs.ValPreds, len(prs))
	for k, pr := range prs {
		if err := pr.Meta.validated(pr.Path); err != nil {
			return VoteCalibration{}, err
		}
		p, err := runs.ReadValPreds(pr.RunDir, pr.Meta.Epoch)
		if err != nil {
			return VoteCalibration{}, fmt.Errorf("%s: %w", pr.RunDir, err)
		}
		if k > 0 && !sameImagesInOrder(kept[0], p) {
			return VoteCalibration{}, fmt.Errorf("runs %s and %s validated on different images, so class offsets cannot be fitted for their vote: a vote with task runs needs runs of one validation split (the same data, --split and --seed)",
				filepath.Base(prs[0].RunDir), filepath.Base(pr.RunDir))
		}
		kept[k] = p
	}
	n := kept[0].Len()
	var votes [3][][][]float64
	var truth [3][]int
	for k, pr := range prs {
		lp := ValLogProbs(kept[k])
		if tta {
			set, err := pr.valSet(kept[k])
			if err != nil {
				return VoteCalibration{}, fmt.Errorf("%s: %w", pr.RunDir, err)
			}
			if lp, err = pr.LogProbs(ctx, set, true); err != nil {
				return VoteCalibration{}, fmt.Errorf("%s: %w", pr.RunDir, err)
			}
		}
		t, err := dataset.ParseTask(pr.Meta.Data.Task)
		if err != nil {
			return VoteCalibration{}, fmt.Errorf("%s: %w", pr.Path, err)
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
		return VoteCalibration{}, err
	}
	lp := combineTasks(SoftVote(votes[0]), SoftVote(votes[1]), SoftVote(votes[2]))
	all := make([]int, n)
	for i := range all {
		all[i] = dataset.Encode(truth[0][i], truth[1][i], truth[2][i])
	}
	cal, err := CalibrateClasses(all, lp, OffsetGroups(dataset.NumClasses, true))
	return VoteCalibration{ClassCalibration: cal, Splits: 1, Images: n, TTA: tta}, err
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
