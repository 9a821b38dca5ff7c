package training

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"time"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
)

// RunCalibration is a run checkpoint's class offsets as fitted, with the
// validation predictions they were fitted on.
type RunCalibration struct {
	ClassCalibration
	Record runs.ClassOffsets // what class-offsets.json holds
	Preds  *runs.ValPreds
	LogP   [][]float64 // what the offsets were fitted on: Preds' probabilities as logarithms, or with tta the images predicted again
}

// CalibrateRun fits class offsets on the validation predictions that go
// with a run's checkpoint (best, latest or a file): the epoch it ended.
// With tta it predicts those images again with the checkpoint, each
// averaged with its mirror image (as predict --tta does), and fits on
// those. It does not write them (Keep does).
func CalibrateRun(ctx context.Context, runDir, ckpt string, tta bool) (RunCalibration, error) {
	p, err := CheckpointPath(runDir, ckpt)
	if err != nil {
		return RunCalibration{}, err
	}
	meta, err := ReadCkptMeta(p)
	if err != nil {
		return RunCalibration{}, err
	}
	if err := meta.validated(p); err != nil && (!tta || len(meta.Averaged) == 0) { // tta predicts an average's images again
		if meta.ValTrained || len(meta.Averaged) > 0 || meta.OfTrainingWeights {
			return RunCalibration{}, err // it says what to calibrate instead
		}
		return RunCalibration{}, fmt.Errorf("%w: calibrate best, or a checkpoint taken at an epoch's end", err)
	}
	preds, err := runs.ReadValPreds(runDir, meta.Epoch)
	if err != nil {
		return RunCalibration{}, fmt.Errorf("%w (runs from before maskdash kept validation predictions have none, and a run without a validation split keeps none)", err)
	}
	preds = preds.WithoutUnread() // an image that could not be read is no prediction to fit on
	if len(meta.Classes) > 0 && !slices.Equal(meta.Classes, preds.Names) {
		return RunCalibration{}, fmt.Errorf("epoch %d's validation predictions name other classes than checkpoint %s", meta.Epoch, filepath.Base(p))
	}
	lp := ValLogProbs(preds)
	if tta {
		if lp, err = ttaValLogProbs(ctx, runDir, p, preds); err != nil {
			return RunCalibration{}, err
		}
	}
	cal, err := CalibrateClasses(preds.Truth, lp, OffsetGroups(preds.Classes, maskClasses(meta, preds.Names)))
	if err != nil {
		return RunCalibration{}, fmt.Errorf("epoch %d's validation predictions: %w", meta.Epoch, err)
	}
	rec := runs.ClassOffsets{
		Epoch: meta.Epoch, Step: meta.Step, TTA: tta, Averaged: meta.Averaged, Classes: preds.Names, Offsets: cal.Offsets, Images: preds.Len(),
		MacroF1: cal.Before, MacroF1Offsets: cal.After,
		HeldOutGain: cal.HeldOut.Gain, HeldOutSD: cal.HeldOut.SD, HeldOutHalves: cal.HeldOut.Halves, HeldOutImproved: cal.HeldOut.Improved,
		Fitted: time.Now().UTC().Truncate(time.Second),
	}
	return RunCalibration{ClassCalibration: cal, Record: rec, Preds: preds, LogP: lp}, nil
}

// Keep writes the offsets into the run's folder (class-offsets.json)
// when they are worth it (Worth), and reports whether it did.
func (c RunCalibration) Keep(runDir string) (bool, error) {
	if !c.Worth() {
		return false, nil
	}
	if err := runs.WriteClassOffsets(runDir, c.Record); err != nil {
		return false, err
	}
	return true, nil
}

// ttaValLogProbs predicts a run's validation images again with the
// checkpoint at path, each averaged with its mirror image.
func ttaValLogProbs(ctx context.Context, runDir, path string, preds *runs.ValPreds) ([][]float64, error) {
	pr, err := OpenRunPredictor(runs.NewStore(filepath.Dir(runDir)), runDir, path)
	if err != nil {
		return nil, err
	}
	set, err := pr.ValSet(preds)
	if err != nil {
		return nil, err
	}
	// The images preds marks unread are left out already; one that has
	// become unreadable since gets a uniform row, as at validation.
	lp, _, err := pr.LogProbs(ctx, set, true)
	return lp, err
}

// ValSet opens the images of a run's validation predictions again, in
// their order, from the data folder the run trained on.
func (r RunPredictor) ValSet(p *runs.ValPreds) (*dataset.Set, error) {
	d, err := r.openData()
	if err != nil {
		return nil, err
	}
	where := make(map[imageKey]int, d.Train.Len())
	for j, s := range d.Train.Samples {
		where[imageKey{s.Name, s.Path, s.Mem}] = j
	}
	idx := make([]int, p.Len())
	for i, it := range p.Items {
		j, ok := where[valImage(it)]
		if !ok || r.truth(d.Train.Samples[j].Label) != p.Truth[i] {
			return nil, fmt.Errorf("validation image %s is not in %s as the run saw it (the data changed since): calibrate without --tta", it.Name, r.DataDir)
		}
		idx[i] = j
	}
	return d.Train.Subset(idx).ForTask(r.Meta.Data.Task)
}

// openData opens the data folder the run trained on, read as it read
// it (its format, age bins and label fixes).
func (r RunPredictor) openData() (*dataset.Data, error) {
	if r.DataDir == "" {
		return nil, fmt.Errorf("the run does not record its data folder, so its validation images cannot be predicted again")
	}
	bins, err := dataset.ParseAgeBins(r.Meta.Data.AgeBins)
	if err != nil {
		bins = dataset.DefaultAgeBins
	}
	return dataset.Open(r.DataDir, dataset.Options{Format: r.Meta.Data.Format, Bins: bins, FixLabels: r.Meta.Data.FixLabels})
}

// validated says why no validation predictions are of a checkpoint's
// weights (path names it), or why they are no fair ground for offsets:
// it was taken inside an epoch, or before the first ended, or it trained
// on the validation images; nil when they are the held-out predictions
// of the epoch it ended.
func (m CkptMeta) validated(path string) error {
	switch {
	case m.OfTrainingWeights:
		return fmt.Errorf("%s holds the training weights beside an --ema checkpoint, and the run keeps validation predictions and class offsets of its average only: calibrate and use offsets with the checkpoint itself (--ckpt best)", filepath.Base(path))
	case len(m.Averaged) > 0:
		return fmt.Errorf("checkpoint %s averages the weights of epochs %s, and the run keeps no validation predictions of the average (calibrate --tta predicts them again)", filepath.Base(path), intsText(m.Averaged))
	case m.Batch > 0:
		return fmt.Errorf("checkpoint %s was taken %d batches into epoch %d, so no validation predictions are of its weights", filepath.Base(path), m.Batch, m.Epoch+1)
	case m.Epoch == 0:
		return fmt.Errorf("checkpoint %s was taken before the first epoch ended, so it has no validation predictions", filepath.Base(path))
	case m.ValTrained:
		return fmt.Errorf("checkpoint %s has trained on its validation images (--val-train), so offsets fitted on them would fit what it learnt by heart: use a checkpoint from before (--ckpt FILE), or a run without --val-train", filepath.Base(path))
	}
	return nil
}

// maskClasses reports whether names are the 18 mask × gender × age
// classes (with the checkpoint's age bins), whose tasks get offsets too.
func maskClasses(meta CkptMeta, names []string) bool {
	bins, err := dataset.ParseAgeBins(meta.Data.AgeBins)
	if err != nil {
		bins = dataset.DefaultAgeBins
	}
	return slices.Equal(names, dataset.ClassNames(bins))
}

// ValLogProbs turns kept validation probabilities back into
// log-probabilities. They were kept in steps of 1/65535, so a class
// below that reads as zero: it counts as half a step, not as −∞.
func ValLogProbs(p *runs.ValPreds) [][]float64 {
	const floor = 0.5 / 65535
	lp := make([][]float64, p.Len())
	for i := range lp {
		row := make([]float64, p.Classes)
		for c := range row {
			row[c] = math.Log(max(float64(p.Prob(i, c)), floor))
		}
		lp[i] = row
	}
	return lp
}

// OffsetsFor reads the class offsets a run's calibration saved and checks
// that they were fitted for the checkpoint meta describes.
func OffsetsFor(runDir string, meta CkptMeta) (runs.ClassOffsets, error) {
	if meta.OfTrainingWeights { // whatever the run keeps: none are of these weights
		return runs.ClassOffsets{}, meta.validated(meta.Weights)
	}
	o, err := runs.ReadClassOffsets(runDir)
	if errors.Is(err, runs.ErrNoOffsets) {
		return o, fmt.Errorf("%w: fit them with maskdash calibrate %s (which keeps them only when they raise macro F1 on held-out halves of the validation images; when they do not, predict without --offsets)", err, filepath.Base(runDir))
	}
	if err != nil {
		return o, err
	}
	if err := meta.validated(meta.Weights); err != nil && (len(meta.Averaged) == 0 || !o.TTA) { // an average's were fitted with --tta
		if meta.ValTrained || len(meta.Averaged) > 0 {
			return o, err
		}
		return o, fmt.Errorf("%w, and class offsets are for checkpoints taken at an epoch's end: use --ckpt best", err)
	}
	if o.Epoch != meta.Epoch || o.Step != meta.Step || !slices.Equal(o.Averaged, meta.Averaged) {
		return o, fmt.Errorf("run %s's class offsets were fitted for %s, not this one (%s): fit them for it with maskdash calibrate %s --ckpt …",
			filepath.Base(runDir), ckptWords(o.Epoch, o.Step, o.Averaged), ckptWords(meta.Epoch, meta.Step, meta.Averaged), filepath.Base(runDir))
	}
	if len(meta.Classes) > 0 && !slices.Equal(meta.Classes, o.Classes) {
		return o, fmt.Errorf("run %s's class offsets name other classes than its checkpoint", filepath.Base(runDir))
	}
	return o, nil
}

// FittedImagesIn counts the images of set that are among the validation
// images a run's class offsets were fitted on (epoch's), by name: a score
// over them is optimistic.
func FittedImagesIn(runDir string, epoch int, set *dataset.Set) (int, error) {
	p, err := runs.ReadValPreds(runDir, epoch)
	if err != nil {
		return 0, err
	}
	fitted := make(map[string]bool, p.Len())
	for _, it := range p.Items {
		fitted[it.Name] = true
	}
	n := 0
	for _, s := range set.Samples {
		if fitted[s.Name] {
			n++
		}
	}
	return n, nil
}

// Confusions are the validation confusion matrices of the fit's epoch
// without and with the offsets.
func (c RunCalibration) Confusions() (before, after *Confusion) {
	n := c.Preds.Classes
	before, after = NewConfusion(n), NewConfusion(n)
	shifted := make([]float64, n)
	for i, row := range c.LogP {
		for k, v := range row {
			shifted[k] = v + c.Offsets[k]
		}
		before.Add(c.Preds.Truth[i], Argmax(row))
		after.Add(c.Preds.Truth[i], Argmax(shifted))
	}
	return before, after
}

// ckptWords names a checkpoint: "the checkpoint of epoch 6 (step 312)",
// or "the average of epochs 4, 5, 6".
func ckptWords(epoch, step int, averaged []int) string {
	if len(averaged) > 0 {
		return "the average of epochs " + intsText(averaged)
	}
	return fmt.Sprintf("the checkpoint of epoch %d (step %d)", epoch, step)
}
