package training

import (
	"fmt"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
)

// RunPredictor is a run's checkpoint loaded for evaluation, and the data
// folder the run trained on.
type RunPredictor struct {
	*Predictor
	Path    string // the checkpoint's weights
	DataDir string // the data the run trained on ("" when it does not say)
	RunDir  string
}

// OpenRunPredictor resolves RUN in store and loads its checkpoint ckpt
// (best, latest or a file).
func OpenRunPredictor(store *runs.Store, ref, ckpt string) (RunPredictor, error) {
	return openRunPredictor(store, ref, ckpt, false)
}

// openRunPredictor is OpenRunPredictor, on the CPU whatever the build
// when cpu is set.
func openRunPredictor(store *runs.Store, ref, ckpt string, cpu bool) (RunPredictor, error) {
	info, err := store.Info(ref)
	if err != nil {
		return RunPredictor{}, err
	}
	p, err := CheckpointPath(info.Dir, ckpt)
	if err != nil {
		return RunPredictor{}, err
	}
	pr, err := loadPredictor(p, cpu)
	if err != nil {
		return RunPredictor{}, err
	}
	dir := info.DataDir
	if dir == "" {
		dir = pr.Meta.Data.Root // runs from before run.json recorded it
	}
	return RunPredictor{pr, p, dir, info.Dir}, nil
}

// UseOffsets reads the class offsets maskdash calibrate fitted for this
// checkpoint; LogProbs and Evaluate add them from then on.
func (r RunPredictor) UseOffsets() (runs.ClassOffsets, error) {
	o, err := OffsetsFor(r.RunDir, r.Meta)
	if err != nil {
		return o, err
	}
	r.Offsets = o.Offsets
	return o, nil
}

// EvalData opens DIR for evaluation or prediction: the mask eval layout
// (info.csv) when present, else the data folder's test split, else its
// training images. An empty DIR means the data the run trained on.
func (r RunPredictor) EvalData(dir string, predict bool) (*dataset.Set, error) {
	return r.evalData(dir, predict, r.Meta.Data.Task)
}

// VoteData opens DIR ("": the data the run trained on) for a vote with
// this run: EvalData, or for a task run the same images with their 18
// classes, which the vote of task runs predicts.
func (r RunPredictor) VoteData(dir string) (*dataset.Set, error) {
	return r.evalData(dir, true, "")
}

// evalData is EvalData seen by task (dataset.Set.ForTask; "": all the
// classes, checked against the checkpoint's only then).
func (r RunPredictor) evalData(dir string, predict bool, task string) (*dataset.Set, error) {
	if dir == "" {
		if r.DataDir == "" {
			return nil, fmt.Errorf("the run does not record its data folder; name one with --data DIR")
		}
		dir = r.DataDir
		if !dirExists(dir) {
			return nil, fmt.Errorf("the run's data folder %s is not there now (moved, or a path relative to another folder than this one): name it with --data DIR", dir)
		}
	}
	bins, err := dataset.ParseAgeBins(r.Meta.Data.AgeBins)
	if err != nil {
		bins = dataset.DefaultAgeBins
	}
	fix := ""
	if samePath(dir, r.DataDir) {
		fix = r.Meta.Data.FixLabels // the run's own data, relabelled as it trained on it
	}
	set, err := openEvalSet(dir, bins, fix, predict)
	if err != nil {
		return nil, err
	}
	if set, err = set.ForTask(task); err != nil {
		return nil, err
	}
	if task == "" && r.Meta.Data.Task != "" {
		return set, nil // the 18 classes a vote of task runs combines into
	}
	if err := r.CheckClasses(set); err != nil {
		return nil, err
	}
	return set, nil
}

// openEvalSet opens dir's images to score or predict; fix is the label
// corrections file the run trained with, applied when they are the
// training images.
func openEvalSet(dir string, bins dataset.AgeBins, fix string, predict bool) (*dataset.Set, error) {
	if _, ok := dataset.EvalRoot(dir); ok {
		s, err := dataset.ReadEval(dir, bins)
		if err != nil {
			return nil, err
		}
		if predict || s.HasTruth() {
			return s, nil
		}
	}
	d, err := dataset.Open(dir, dataset.Options{Bins: bins, FixLabels: fix})
	if err != nil {
		return nil, err
	}
	if d.Test != nil {
		return d.Test, nil
	}
	return d.Train, nil
}

// truth is the class a run was taught for an image of 18-way class
// label: label, or its class of the run's task.
func (r RunPredictor) truth(label int) int {
	if t, err := dataset.ParseTask(r.Meta.Data.Task); err == nil && t >= 0 && label >= 0 {
		return dataset.TaskLabel(label, t)
	}
	return label
}
