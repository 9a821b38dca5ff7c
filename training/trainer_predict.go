// The dashboard's predictions of the moment (x): the eval set's or the
// validation split's, and their row in the record of submissions.

package training

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
)

// predictNow writes predictions of the eval set (mask layout) or of the
// validation split (other formats) with the current weights, and their
// class probabilities beside them (WriteBoth). It returns the
// predictions' path, what the record of submissions keeps of their
// validation figure ("" when no record was made), and how many rows are
// guesses: images that could not be read (the loader does not warn of
// them one by one here, as the dashboard has no room for a line each).
func (t *Trainer) predictNow() (path, figure string, guesses int, err error) {
	set, eval := t.val, false
	if t.data.Format == "mask" {
		if ev, err := dataset.ReadEval(t.dataDir(), t.train.Bins); err == nil {
			if set, err = ev.ForTask(t.cfg.Task); err != nil {
				return "", "", 0, err
			}
			eval = true
		}
	}
	cache := t.valL.Cache() // the validation split's images are prepared already
	if eval {
		cache = t.evalImages(set)
	}
	l := dataset.NewLoader(set, dataset.LoaderConfig{Batch: t.net.Spec.EvalBatch, Aug: t.aug, Workers: t.cfg.Workers}, cache, nil)
	var lp [][]float64
	var unread []bool
	if err := t.withAverage(func() (err error) {
		lp, _, unread, err = evalSet(context.Background(), t.net, l, set, nil, false)
		return err
	}); err != nil {
		return "", "", 0, err
	}
	if eval {
		t.keepEvalImages(set, cache)
	}
	path = filepath.Join(t.dir, "predictions", fmt.Sprintf("%03d-%07d.csv", t.epoch, t.step))
	if err := WriteBoth(path, set, lp); err != nil {
		return "", "", 0, err
	}
	if eval && set.Task == "" { // a submission: the eval set's 18 classes
		if figure, err = t.recordSubmission(path); err != nil {
			return "", "", 0, fmt.Errorf("the predictions are in %s, but %w", path, err)
		}
	}
	return path, figure, CountUnread(unread), nil
}

// recordSubmission adds predictions of the current weights to the runs
// folder's record of submissions (runs.RecordSubmission), with the
// validation macro F1 of these weights: the epoch's, when they are an
// epoch's just validated, else from a validation pass made now (mid-epoch:
// the dashboard's x), unless the weights have trained on the validation
// images (--val-train) and no figure of theirs is held-out. It says what
// it recorded of the figure.
func (t *Trainer) recordSubmission(path string) (string, error) {
	runsDir := runs.SubmissionsHome(cmp.Or(t.cfg.Runs, runs.DefaultDir))
	s := runs.Submission{Runs: []string{runRef(runsDir, t.dir)}, Ckpt: fmt.Sprintf("epoch %d, step %d", t.epoch, t.step)}
	figure := ""
	switch {
	case t.batchInEpoch == 0 && t.epoch > 0 && t.epoch == t.lastF1Epoch:
		f1 := t.lastF1
		s.ValF1 = &f1
		figure = fmt.Sprintf("validation macro F1 %.4f, epoch %d's", f1, t.epoch)
	case t.valTrained:
		figure = "no validation figure: the weights trained on the validation images, --val-train"
	case t.val != nil && t.val.Len() > 0:
		m, _, _, err := t.validate(context.Background())
		if err != nil {
			return "", fmt.Errorf("validating these weights for the record of submissions: %w", err)
		}
		f1 := m.MacroF1
		s.ValF1 = &f1
		figure = fmt.Sprintf("validation macro F1 %.4f, validated now", f1)
	}
	return figure, runs.RecordSubmission(runsDir, path, s)
}
