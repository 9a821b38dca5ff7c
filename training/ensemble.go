package training

import (
	"context"
	"fmt"

	"github.com/maskdash/maskdash/dataset"
)

// EnsembleMember is one run of a soft vote, with its own score where the
// data has labels.
type EnsembleMember struct {
	Run   string
	Alone *Metrics // nil without labels (or with no image read); on the run's task's classes for a task run
	Task  string   // the one task the run trained on (Config.Task); "" all 18 classes
}

// Ensemble is a soft vote of several runs on one data set.
type Ensemble struct {
	Set     *dataset.Set
	Vote    [][]float64 // log-probabilities, a row per image
	Members []EnsembleMember
	Score   *Metrics // the vote's, nil without labels (or with no image read)
	// Unread marks the images some run could not read (nil: none): their
	// rows are guesses, left out of the scores.
	Unread []bool
	// each are the members' log-probabilities (not for a vote of task
	// runs), for a vote again with weights (WithWeights).
	each [][][]float64
}

// SoftVoteRuns predicts set (nil: the first run's data, as predict takes
// it) with each run and averages their probabilities (SoftVote). each,
// when set, is told every run's result as it comes.
func SoftVoteRuns(ctx context.Context, prs []RunPredictor, set *dataset.Set, tta bool, each func(EnsembleMember)) (Ensemble, error) {
	if len(prs) == 0 {
		return Ensemble{}, fmt.Errorf("an ensemble needs one run or more")
	}
	if hasTaskRuns(prs) {
		return voteTasks(ctx, prs, set, tta, each)
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
	for _, pr := range sharingCaches(prs) {
		lp, err := e.predict(ctx, pr, set, tta, each)
		if err != nil {
			return Ensemble{}, err
		}
		all = append(all, lp)
	}
	v := EnsembleOf(set, all, e.Unread)
	v.Members = e.Members
	return v, nil
}

// sharingCaches returns copies of prs in which the runs that prepare
// images alike (Aug.PrepareKey) share one cache of prepared images: an
// ensemble of five runs trained at one size decodes each image once, not
// five times (decoding was most of a vote's time: a 64×64 net's forward
// pass costs less than decoding a 384×512 photo).
func sharingCaches(prs []RunPredictor) []RunPredictor {
	caches := map[dataset.PrepareKey]*dataset.Cache{}
	out := make([]RunPredictor, len(prs))
	for i, pr := range prs {
		k := pr.Aug.PrepareKey()
		if caches[k] == nil {
			caches[k] = dataset.NewCache(0)
		}
		p := *pr.Predictor
		p.Cache = caches[k]
		out[i], out[i].Predictor = pr, &p
	}
	return out
}

// EnsembleOf is the equal vote of the models whose log-probabilities of
// set's images each holds (a model each, a row per image), scored where
// set has labels, without the images unread marks.
func EnsembleOf(set *dataset.Set, each [][][]float64, unread []bool) Ensemble {
	e := Ensemble{Set: set, Vote: SoftVote(each), each: each, Unread: unread}
	e.score()
	return e
}

// score scores the vote where the data has labels.
func (e *Ensemble) score() {
	if e.Set.HasTruth() {
		e.Score = ScoreLogProbs(e.Set, e.Vote, e.Unread)
	}
}

// WithWeights is the ensemble voted again with weights w (one per member,
// VoteWeights's), its score recomputed where the data has labels.
func (e Ensemble) WithWeights(w []float64) (Ensemble, error) {
	if len(e.each) == 0 || len(w) != len(e.each) {
		return Ensemble{}, fmt.Errorf("%d weights for a vote of %d runs (a vote of task runs has none)", len(w), len(e.each))
	}
	e.Vote = WeightedSoftVote(e.each, w)
	e.score()
	return e, nil
}

// predict is run pr's log-probabilities of set (its classes: a task's for
// a task run), with pr added to the members, scored alone where set has
// labels, and told to each.
func (e *Ensemble) predict(ctx context.Context, pr RunPredictor, set *dataset.Set, tta bool, each func(EnsembleMember)) ([][]float64, error) {
	lp, unread, err := pr.LogProbs(ctx, set, tta)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pr.Path, err)
	}
	e.Unread = orUnread(e.Unread, unread)
	m := EnsembleMember{Run: pr.Path, Task: set.Task}
	if set.HasTruth() {
		m.Alone = ScoreLogProbs(set, lp, unread)
	}
	e.Members = append(e.Members, m)
	if each != nil {
		each(m)
	}
	return lp, nil
}

// WithOffsets is the ensemble with class offsets added to a copy of its
// vote, and the vote's score (where the data has labels) recomputed.
func (e Ensemble) WithOffsets(off []float64) Ensemble {
	vote := make([][]float64, len(e.Vote))
	for i, row := range e.Vote {
		vote[i] = append([]float64(nil), row...)
	}
	AddOffsets(vote, off)
	e.Vote = vote
	e.score()
	return e
}
