package training

import (
	"fmt"
	"time"

	"github.com/maskdash/maskdash/dataset"
)

// --val-train N: the last N epochs train on the validation images too, as
// the 2021 competition's winning configuration did (val_train with
// val_epochs 3): the model that is submitted has seen every labelled
// image. Its validation figures from then on are of images it trained
// on, so
//   - they are still computed and shown, marked (Event.ValSeen; the
//     dashboard's events and headless's lines say "seen in training");
//   - the run's best figures (run.json, the runs table, a sweep's
//     ranking) stay those of the epochs before, and neither the
//     no-gain alert, --early-stop nor a sweep's early stopping looks at
//     them;
//   - each of these epochs' checkpoints becomes best.json, the checkpoint
//     predict, eval, ensemble and the dashboard's E use by default: the
//     run's model is its last one, not the one validation picked;
//   - class offsets refuse such a checkpoint (CkptMeta.ValTrained), as
//     fitting them on images the weights trained on would overfit them.
//
// Once the weights have trained on the validation images every later
// epoch does too (a resume with more epochs included): none is held out
// again. A child run (--from) of such weights on the same data holds
// nothing out either, whatever its split: the weights it starts from
// have seen every labelled image (startFromValTrained).

// openValTrain sets up the epochs that train on the validation images
// too: the training split followed by valAsTrain (the validation images
// labelled and filtered as training's are), its sampler, and a notice.
func (t *Trainer) openValTrain(valAsTrain *dataset.Set) error {
	t.trainVal = t.train.Join(valAsTrain)
	var err error
	if t.trainValSampler, err = dataset.NewSampler(t.cfg.Sampler, t.trainVal.Labels(), t.cfg.Seed); err != nil {
		return err
	}
	first := max(t.cfg.Epochs-t.cfg.ValTrain, 0) + 1
	t.hub.Publish(Event{Kind: KindNotice, Time: time.Now(), Msg: fmt.Sprintf(
		"from epoch %d the %d validation images train too (--val-train %d): %d images an epoch; validation from then on is of images trained on, and the best figures stay those before",
		first, valAsTrain.Len(), t.cfg.ValTrain, t.trainVal.Len())})
	return nil
}

// rebuildValTrainLoader makes the loader of the val-train epochs beside the
// training loader (same settings, same cache: the joined set starts with
// the training split's images, in order).
func (t *Trainer) rebuildValTrainLoader() {
	if t.trainVal == nil {
		return
	}
	t.trainValL = dataset.NewLoader(t.trainVal, t.trainL.Config(), t.trainL.Cache(), t.warn)
}

// trainsOnVal reports whether epoch (0-based) trains on the validation
// images too.
func (t *Trainer) trainsOnVal(epoch int) bool {
	return t.trainVal != nil && (t.valTrained || epoch >= t.cfg.Epochs-t.cfg.ValTrain)
}

// epochSource is the sampler and loader of epoch (0-based).
func (t *Trainer) epochSource(epoch int) (dataset.Sampler, *dataset.Loader) {
	if t.trainsOnVal(epoch) {
		return t.trainValSampler, t.trainValL
	}
	return t.sampler, t.trainL
}

// scheduledSteps is the run's number of steps, for the learning-rate
// schedule: the val-train epochs have more batches.
func (t *Trainer) scheduledSteps() int {
	batches := func(s dataset.Sampler) int { return len(s.Epoch(0)) / t.cfg.Batch } // the same every epoch
	steps := t.cfg.Epochs * batches(t.sampler)
	if t.trainVal != nil {
		steps += min(t.cfg.ValTrain, t.cfg.Epochs) * (batches(t.trainValSampler) - batches(t.sampler))
	}
	return steps
}

// valTrainShown is the header's form of --val-train: "3 (from epoch 13)";
// "" without it.
func valTrainShown(cfg Config) string {
	if cfg.ValTrain <= 0 {
		return ""
	}
	return fmt.Sprintf("%d (from epoch %d)", cfg.ValTrain, max(cfg.Epochs-cfg.ValTrain, 0)+1)
}

// startFromValTrained marks a child run's validation as seen when the
// weights it starts from (m) trained on the validation images of the same
// data: they have seen every labelled image, so no split of it is held
// out.
func (t *Trainer) startFromValTrained(m CkptMeta) {
	if !m.ValTrained || !samePath(m.Data.Root, t.train.Root) {
		return
	}
	t.valTrained = true
	t.hub.Publish(Event{Kind: KindNotice, Time: time.Now(), Msg: fmt.Sprintf(
		"the weights this run starts from trained on every labelled image of %s (--val-train), so its validation is of images they saw: no epoch picks best figures, and each checkpoint is the one predictions use", t.train.Root)})
}
