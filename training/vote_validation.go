package training

import (
	"errors"
	"fmt"

	"github.com/maskdash/maskdash/runs"
)

// VoteValidation is a soft vote scored on the validation images its
// runs share: what the vote gains over its runs before it is submitted,
// and the figure its leaderboard score is set against in the record of
// submissions.
type VoteValidation struct {
	Images int
	Vote   Metrics
	Alone  []Metrics // each run's, on the same kept predictions, in prs's order
}

// ErrNoSharedValidation is VoteOnValidation's answer for runs that did
// not all validate on the same images (other splits or folds, or task
// runs): their vote has no validation figure of its own.
var ErrNoSharedValidation = errors.New("the runs did not all validate on the same images")

// VoteOnValidation votes the runs' kept validation predictions of their
// checkpoints' epochs (the plain ones, as an epoch's validation kept
// them; a --tta vote's figure is therefore its plain vote's, as a single
// checkpoint's is) and scores the vote and each run on them.
func VoteOnValidation(prs []RunPredictor) (VoteValidation, error) {
	first, lps, err := sharedValidation(prs)
	if err != nil {
		return VoteValidation{}, err
	}
	masked := maskClasses(prs[0].Meta, first.Names)
	score := func(lp [][]float64) Metrics {
		conf := NewConfusion(first.Classes)
		for i, row := range lp {
			conf.Add(first.Truth[i], Argmax(row))
		}
		return Summarize(conf, 0, masked)
	}
	v := VoteValidation{Images: first.Len()}
	for _, lp := range lps {
		v.Alone = append(v.Alone, score(lp))
	}
	v.Vote = score(SoftVote(lps))
	return v, nil
}

// sharedValidation reads the validation predictions the runs kept at
// their checkpoints' epochs, which must be of the same images: the first
// run's (its images, labels and class names) and every run's
// log-probabilities. Runs of other splits, and task runs, are
// ErrNoSharedValidation.
func sharedValidation(prs []RunPredictor) (*runs.ValPreds, [][][]float64, error) {
	if len(prs) == 0 {
		return nil, nil, errors.New("no run to vote")
	}
	if hasTaskRuns(prs) {
		return nil, nil, fmt.Errorf("%w: some learnt one task", ErrNoSharedValidation)
	}
	groups, kept, err := groupBySplit(prs, sameValImages)
	switch {
	case errors.Is(err, ErrSplitsOverlap):
		return nil, nil, fmt.Errorf("%w: %w", ErrNoSharedValidation, err)
	case err != nil:
		return nil, nil, err
	case len(groups) > 1:
		return nil, nil, fmt.Errorf("%w (%d splits)", ErrNoSharedValidation, len(groups))
	}
	lps := make([][][]float64, len(prs))
	for k := range prs {
		lps[k] = ValLogProbs(kept[k])
	}
	return kept[0], lps, nil
}

// BestAlone is the best macro F1 among the runs alone.
func (v VoteValidation) BestAlone() float64 {
	best := 0.0
	for _, m := range v.Alone {
		best = max(best, m.MacroF1)
	}
	return best
}
