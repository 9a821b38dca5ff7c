package training

import (
	"fmt"
	"math"

	"github.com/maskdash/maskdash/models"
)

// clipGrads scales the gradients of ps that train (not Frozen) so that
// their global L2 norm is at most limit, as PyTorch's clip_grad_norm_
// does: each is multiplied by limit/(norm + 1e-6) when that is below 1.
// It returns the norm before clipping, and whether it clipped (a norm
// that is not finite is left as it is, for the run's NaN check to find).
func clipGrads(ps []*models.Param, limit float64) (norm float64, clipped bool) {
	var ss float64
	for _, p := range ps {
		if p.Frozen {
			continue
		}
		for _, g := range p.Grad {
			ss += float64(g) * float64(g)
		}
	}
	norm = math.Sqrt(ss)
	coef := limit / (norm + 1e-6)
	if !(coef < 1) {
		return norm, false
	}
	c := float32(coef)
	for _, p := range ps {
		if p.Frozen {
			continue
		}
		for i := range p.Grad {
			p.Grad[i] *= c
		}
	}
	return norm, true
}

// TakeClips returns the clipping counted since the last call (the
// epoch's), and starts counting anew; on a GPU the counts come down from
// the device here, once an epoch.
func (o *Optimizer) TakeClips(net *models.Net) (models.ClipCounts, error) {
	if net != nil && net.OnGPU() {
		return net.TakeClipCounts()
	}
	c := o.clips
	o.clips = models.ClipCounts{}
	return c, nil
}

// tellClips says in the log how often the epoch's steps were clipped
// (Config.ClipGrad), and how large the gradients were before.
func (t *Trainer) tellClips() error {
	if t.cfg.ClipGrad == 0 {
		return nil
	}
	c, err := t.opt.TakeClips(t.net)
	if err != nil {
		return err
	}
	c.Merge(t.clipsBefore)
	t.clipsBefore = models.ClipCounts{}
	if c.Steps == 0 {
		return nil
	}
	t.emit(Event{Kind: KindNotice, Msg: fmt.Sprintf("epoch %d: gradients clipped to norm %g in %d of %d steps (their norm before: mean %.3g, largest %.3g)",
		t.epoch, t.cfg.ClipGrad, c.Clipped, c.Steps, c.NormSum/float64(c.Steps), c.NormMax)})
	return nil
}

// clipsOfTheOpenEpoch takes the clipping counted so far in an epoch a
// checkpoint leaves open (a stop midway) into clipsBefore and returns
// them for the checkpoint, so that a resume's end-of-epoch line counts
// the whole epoch's steps; nil at an epoch's end, without --clip-grad,
// or when a norm was not finite (JSON has no form for it).
func (t *Trainer) clipsOfTheOpenEpoch() (*models.ClipCounts, error) {
	if t.cfg.ClipGrad == 0 || t.batchInEpoch == 0 {
		return nil, nil
	}
	c, err := t.opt.TakeClips(t.net)
	if err != nil {
		return nil, err
	}
	t.clipsBefore.Merge(c)
	kept := t.clipsBefore
	if math.IsInf(kept.NormSum, 0) || math.IsNaN(kept.NormSum) || math.IsInf(kept.NormMax, 0) || math.IsNaN(kept.NormMax) {
		return nil, nil
	}
	return &kept, nil
}
