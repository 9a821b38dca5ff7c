package training

import (
	"context"
	"fmt"
	"strings"

	"github.com/maskdash/maskdash/dataset"
	"gonum.org/v1/gonum/floats"
)

// hasTaskRuns says whether some run trained on one task only.
func hasTaskRuns(prs []RunPredictor) bool {
	for _, pr := range prs {
		if pr.Meta.Data.Task != "" {
			return true
		}
	}
	return false
}

// voteTasks is the vote of runs among which some trained on one task
// (Config.Task): each task's classes are voted by the runs of that task
// and by the 18-class runs' marginals (an 18-class run's chance of "age
// 60+" is the sum of its six 60+ classes), and the three votes are
// multiplied into the 18 classes (mask×6 + gender×3 + age), as the top
// teams combined their three models. set is the 18-class data (nil: the
// first run's); each run's own score (EnsembleMember.Alone) is on its
// task's classes.
func voteTasks(ctx context.Context, prs []RunPredictor, set *dataset.Set, tta bool, each func(EnsembleMember)) (Ensemble, error) {
	if set == nil {
		var err error
		if set, err = prs[0].evalData("", true, ""); err != nil {
			return Ensemble{}, err
		}
	}
	if !set.Masked {
		return Ensemble{}, fmt.Errorf("a vote with task runs needs the mask layout's data; %s has %d classes of its own", set.Root, len(set.Classes))
	}
	e := Ensemble{Set: set}
	var votes [3][][][]float64 // by task: each run's log-probabilities of its classes
	for _, pr := range prs {
		task := pr.Meta.Data.Task
		t, err := dataset.ParseTask(task)
		if err != nil {
			return Ensemble{}, fmt.Errorf("%s: %w", pr.Path, err)
		}
		view, err := set.ForTask(task)
		if err != nil {
			return Ensemble{}, err
		}
		lp, err := e.predict(ctx, pr, view, tta, each)
		if err != nil {
			return Ensemble{}, err
		}
		if t >= 0 {
			votes[t] = append(votes[t], lp)
			continue
		}
		for k := range votes {
			votes[k] = append(votes[k], taskMarginals(lp, k))
		}
	}
	if err := missingTasks(votes); err != nil {
		return Ensemble{}, err
	}
	e.Vote = combineTasks(SoftVote(votes[0]), SoftVote(votes[1]), SoftVote(votes[2]))
	e.score()
	return e, nil
}

// taskMarginals are, for each image, the log-probabilities of task t's
// classes under 18-class log-probabilities lp: each the log of the sum of
// its classes' probabilities.
func taskMarginals(lp [][]float64, t int) [][]float64 {
	out := make([][]float64, len(lp))
	per := make([][]float64, dataset.TaskSizes[t])
	for i, row := range lp {
		for k := range per {
			per[k] = per[k][:0]
		}
		for c, v := range row {
			k := dataset.TaskLabel(c, t)
			per[k] = append(per[k], v)
		}
		out[i] = make([]float64, len(per))
		for k, vs := range per {
			out[i][k] = floats.LogSumExp(vs)
		}
	}
	return out
}

// combineTasks multiplies each image's mask, gender and age
// probabilities (as log-probabilities) into its 18 classes' (a
// distribution again, each task's being one).
func combineTasks(mask, gender, age [][]float64) [][]float64 {
	out := make([][]float64, len(mask))
	for i := range out {
		out[i] = make([]float64, dataset.NumClasses)
		for c := range out[i] {
			m, g, a := dataset.Decode(c)
			out[i][c] = mask[i][m] + gender[i][g] + age[i][a]
		}
	}
	return out
}

// missingTasks says which tasks no run of a vote predicts (votes: each
// task's runs' log-probabilities); nil when each has one.
func missingTasks(votes [3][][][]float64) error {
	var missing []string
	for k, v := range votes {
		if len(v) == 0 {
			missing = append(missing, dataset.TaskNames[k])
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("no run predicts %s: add a run trained with --task %s (or one of all 18 classes)", strings.Join(missing, " or "), missing[0])
	}
	return nil
}
