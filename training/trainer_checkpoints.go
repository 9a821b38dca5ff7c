// The trainer's checkpoints: what each one's meta says of the run, and
// writing them (the epoch's, the final one at a stop).

package training

import (
	"fmt"
	"path/filepath"
)

// meta is what a checkpoint of the run now says of it, with its figures m
// and the optimizer's state st.
func (t *Trainer) meta(m *Metrics, st OptState) CkptMeta {
	return CkptMeta{Model: t.net.Spec, Epoch: t.epoch, Step: t.step, Batch: t.batchInEpoch, Metrics: m,
		Loss: t.loss.Spec, CutMix: offIfEmpty(t.mixer.cutMixShown()), Mixup: offIfEmpty(t.mixer.mixupShown()), BaseLR: t.baseLR, Optimizer: st.Name, OptStep: st.Step, OptSkipped: st.Skipped, OptLR: st.LR,
		Data: DataIdentity{Root: t.train.Root, Format: t.train.Format, Images: t.data.Train.Len(), Seed: t.cfg.Seed,
			Split: t.cfg.Split, ValRatio: t.cfg.ValRatio, AgeBins: t.cfg.AgeBins, Sampler: t.cfg.Sampler, FixLabels: t.cfg.FixLabels, TrainAgeBins: t.cfg.TrainAgeBins,
			SkipTrainAges: t.cfg.SkipTrainAges, PseudoLabels: t.cfg.PseudoLabels, Task: t.cfg.Task},
		Mean: t.aug.Mean, Std: t.aug.Std, CropW: t.aug.CropW, CropH: t.aug.CropH, Classes: t.train.Classes, BestF1: t.bestF1, BestEpoch: t.bestEpoch, ValTrained: t.valTrained, Fresh: t.fresh,
		Plateau: t.plateau.copy(), EMA: t.ema.stateOf()}
}

// saveCheckpoint writes a checkpoint of the current weights; a failure to
// write is kept for the stall to retry, like any other write.
func (t *Trainer) saveCheckpoint(m *Metrics, best bool) {
	dir := filepath.Join(t.dir, "checkpoints")
	path, err := t.writeCheckpoint(dir, m, best)
	if err != nil {
		if t.writeErr == nil {
			t.writeErr = err
		}
		t.ckptDue = &ckptRequest{m, best}
		return
	}
	t.lastCkpt = path
	msg := "checkpoint saved"
	switch {
	case best && t.valTrained:
		msg = "checkpoint saved (trained on the validation images too: the one predictions use)"
	case best:
		msg = "checkpoint saved (best so far)"
	}
	t.emit(Event{Kind: KindCheckpoint, Path: path, Msg: msg})
	if err := PruneCheckpoints(dir, t.cfg.KeepCheckpoints); err != nil {
		t.emit(Event{Kind: KindError, Msg: err.Error()}) // old files left behind; nothing lost
	}
}

// writeCheckpoint writes the checkpoint of the weights predictions use
// (with --ema their average, the training weights beside it) into dir
// and returns its weights' path.
func (t *Trainer) writeCheckpoint(dir string, m *Metrics, best bool) (string, error) {
	if err := t.opt.Pull(t.net); err != nil {
		return "", err
	}
	st := t.opt.State()
	meta := t.meta(m, st)
	var err error
	if meta.Clips, err = t.clipsOfTheOpenEpoch(); err != nil {
		return "", err
	}
	var path string
	err = t.withAverage(func() (err error) {
		var own []tensor
		if t.ema != nil {
			if own, err = t.ema.trainTensors(t.net); err != nil {
				return err
			}
		}
		path, err = saveCheckpoint(dir, t.net, meta, st, best, own)
		return err
	})
	return path, err
}

// finalCheckpoint saves the weights as latest when training stops early
// (stop, fork, interrupt) and makes everything durable. Unlike checkpoints
// during training, a failure here is the run's error: there is no later.
func (t *Trainer) finalCheckpoint() error {
	t.saveCheckpoint(nil, false)
	if err := t.sink.Sync(); err != nil && t.writeErr == nil {
		t.writeErr = err
	}
	if err := t.writeErr; err != nil {
		last := "none"
		if t.lastCkpt != "" {
			last = t.lastCkpt
		}
		return fmt.Errorf("could not write the final checkpoint (%w); the last one on disk is %s", err, last)
	}
	return nil
}
