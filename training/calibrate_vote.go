package training

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/maskdash/maskdash/runs"
)

// Class offsets for a vote of several runs (ensemble --offsets, the runs
// view's E): fitted on the vote of their validation predictions, or on
// the out-of-fold predictions of K-fold folds.

// CalibrateVote fits class offsets for a vote of runs on their
// validation predictions, each checkpoint's from the epoch it ended. Runs
// that validated on the same images (one data folder, split and seed)
// are voted together, as the ensemble votes; runs that validated on
// different images, such as the folds of a K-fold sweep, each predicted
// images they did not train on, so their predictions side by side are
// out-of-fold predictions of the whole set: the usual ground to fit a
// K-fold ensemble's offsets on (the ensemble's vote is smoother than any
// one fold's, so the fit is close, not exact). Runs whose validation
// images overlap without being the same are refused: some images would
// count twice, some predicted by a run that trained on them. With tta
// every run predicts its validation images again, each averaged with its
// mirror image, for an ensemble voted with --tta.
func CalibrateVote(ctx context.Context, prs []RunPredictor, tta bool) (VoteCalibration, error) {
	return CalibrateWeightedVote(ctx, prs, tta, nil)
}

// CalibrateWeightedVote is CalibrateVote for a vote with weights w (one
// per run, FitVoteWeights's; nil: equal), which only runs of one
// validation split can have.
func CalibrateWeightedVote(ctx context.Context, prs []RunPredictor, tta bool, w []float64) (VoteCalibration, error) {
	if w != nil && hasTaskRuns(prs) {
		return VoteCalibration{}, fmt.Errorf("a vote of task runs has no weights")
	}
	if hasTaskRuns(prs) {
		return calibrateTaskVote(ctx, prs, tta)
	}
	// First which runs share a split (cheap, from the kept predictions),
	// then their predictions: with tta that predicts every validation
	// image of every run again.
	groups, kept, err := groupBySplit(prs, sameValImages)
	if errors.Is(err, ErrSplitsOverlap) {
		return VoteCalibration{}, fmt.Errorf("%w, so class offsets cannot be fitted on them: give ensemble --offsets runs of one validation split, or the folds of one K-fold split", err)
	}
	if err != nil {
		return VoteCalibration{}, err
	}
	if w != nil && len(groups) > 1 {
		return VoteCalibration{}, fmt.Errorf("%w (%d splits): a weighted vote's offsets need one", ErrNoSharedValidation, len(groups))
	}
	var truth []int
	var lp [][]float64
	for _, g := range groups {
		if !slices.Equal(g.preds.Names, groups[0].preds.Names) {
			return VoteCalibration{}, fmt.Errorf("runs %s and %s name other classes", filepath.Base(prs[groups[0].members[0]].RunDir), filepath.Base(prs[g.members[0]].RunDir))
		}
		var lps [][][]float64
		for _, k := range g.members {
			l, err := prs[k].valLogProbs(ctx, kept[k], tta)
			if err != nil {
				return VoteCalibration{}, err
			}
			lps = append(lps, l)
		}
		truth = append(truth, g.preds.Truth...)
		lp = append(lp, WeightedSoftVote(lps, w)...) // one group when weighted: its members are the runs in order
	}
	first := groups[0].preds
	cal, err := CalibrateClasses(truth, lp, OffsetGroups(first.Classes, maskClasses(prs[0].Meta, first.Names)))
	return VoteCalibration{ClassCalibration: cal, Splits: len(groups), Images: len(truth), TTA: tta}, err
}

// groupBySplit reads the runs' kept validation predictions (each of its
// checkpoint's epoch) and groups the runs that validated on the same
// images (same says when two runs did); runs whose images overlap without
// being the same are refused (ErrSplitsOverlap).
func groupBySplit(prs []RunPredictor, same func(a, b *runs.ValPreds) bool) ([]valGroup, []*runs.ValPreds, error) {
	var groups []valGroup
	kept := make([]*runs.ValPreds, len(prs))
	for k, pr := range prs {
		if err := pr.Meta.validated(pr.Path); err != nil {
			return nil, nil, err
		}
		p, err := runs.ReadValPreds(pr.RunDir, pr.Meta.Epoch)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", pr.RunDir, err)
		}
		kept[k] = p
		placed := false
		for g := range groups {
			if same(groups[g].preds, p) {
				groups[g].members = append(groups[g].members, k)
				placed = true
				break
			}
		}
		if placed {
			continue
		}
		for _, g := range groups {
			if shared := sharedValImages(g.preds, p); shared > 0 {
				return nil, nil, &SplitsOverlapError{A: filepath.Base(prs[g.members[0]].RunDir), B: filepath.Base(pr.RunDir), Shared: shared}
			}
		}
		groups = append(groups, valGroup{preds: p, members: []int{k}})
	}
	for g := range groups {
		groups[g].preds = dropUnread(kept, groups[g].members)
	}
	return groups, kept, nil
}

// dropUnread leaves out of the kept predictions of a group's runs (same
// images, in the same order) every image one of them could not read: it
// has no prediction there, and the runs' rows must stay side by side. It
// returns the group's first run's.
func dropUnread(kept []*runs.ValPreds, members []int) *runs.ValPreds {
	var keep []bool
	for _, k := range members {
		for i := range kept[k].Len() {
			if kept[k].IsUnread(i) {
				if keep == nil {
					keep = make([]bool, kept[k].Len())
					for j := range keep {
						keep[j] = true
					}
				}
				keep[i] = false
			}
		}
	}
	if keep != nil {
		for _, k := range members {
			kept[k] = kept[k].Only(keep)
		}
	}
	return kept[members[0]]
}

// valLogProbs are the run's validation log-probabilities: the kept ones,
// or with tta its validation images predicted again, each averaged with
// its mirror image.
func (r RunPredictor) valLogProbs(ctx context.Context, kept *runs.ValPreds, tta bool) ([][]float64, error) {
	if !tta {
		return ValLogProbs(kept), nil
	}
	set, err := r.ValSet(kept)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.RunDir, err)
	}
	lp, _, err := r.LogProbs(ctx, set, true) // kept's unread marks leave its unreadable images out (dropUnread)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.RunDir, err)
	}
	return lp, nil
}

// ErrSplitsOverlap is the refusal of runs whose validation images
// overlap without being the same (a SplitsOverlapError is it).
var ErrSplitsOverlap = errors.New("their validation splits overlap")

// SplitsOverlapError names two runs whose validation images overlap
// without being the same: no vote's figure on validation images can be
// had of them (their shared images are in one's training split and the
// other's validation split).
type SplitsOverlapError struct {
	A, B   string
	Shared int
}

func (e *SplitsOverlapError) Error() string {
	return fmt.Sprintf("runs %s and %s validated on different images of which %d are the same (%v)", e.A, e.B, e.Shared, ErrSplitsOverlap)
}

func (e *SplitsOverlapError) Unwrap() error { return ErrSplitsOverlap }

// VoteCalibration is a vote's class offsets and what they were fitted
// on: the validation images of Splits validation splits (1: one split,
// voted; more: out-of-fold predictions).
type VoteCalibration struct {
	ClassCalibration
	Splits int
	Images int
	TTA    bool // fitted on predictions averaged with the mirror images
}

// valGroup is the runs that validated on the same images.
type valGroup struct {
	preds   *runs.ValPreds // the first's
	members []int          // the runs, by index
}

// sameValImages reports whether two runs' validation predictions are of
// the same images, in the same order, with the same labels.
func sameValImages(a, b *runs.ValPreds) bool {
	if a.Len() != b.Len() || !slices.Equal(a.Names, b.Names) {
		return false
	}
	for i, it := range a.Items {
		if valImage(it) != valImage(b.Items[i]) || a.Truth[i] != b.Truth[i] {
			return false
		}
	}
	return true
}

// imageKey says which image of a data folder a validation image is: its
// name, and its file or its index in an in-memory set.
type imageKey struct {
	name, path string
	mem        int
}

func valImage(it runs.ValItem) imageKey { return imageKey{it.Name, it.Path, it.Mem} }

// sharedValImages counts the images two runs both validated on.
func sharedValImages(a, b *runs.ValPreds) int {
	seen := make(map[imageKey]bool, a.Len())
	for _, it := range a.Items {
		seen[valImage(it)] = true
	}
	n := 0
	for _, it := range b.Items {
		if seen[valImage(it)] {
			n++
		}
	}
	return n
}
