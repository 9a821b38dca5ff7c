package training

import "fmt"

// DefaultLRPatience is the plateau schedule's epochs without a gain in
// validation macro F1 that it waits out before it lowers the rate; the
// next such epoch lowers it. (PyTorch's ReduceLROnPlateau waits 10 by
// default, a long wait for runs of tens of epochs.) A Config's 0 means this
// default, as every setting's zero does, so PyTorch's patience 0
// (lowering at the first epoch without a gain) is not offered: 1 is the
// shortest wait.
const DefaultLRPatience = 3

// DefaultLRGamma is what the step and plateau schedules multiply the rate
// by: the baseline's StepLR gamma.
const DefaultLRGamma = 0.5

// plateauThreshold is how much better, relatively, an epoch's F1 must be
// than the best so far to count as a gain: PyTorch's ReduceLROnPlateau's
// default (threshold 1e-4, threshold_mode "rel").
const plateauThreshold = 1e-4

// Plateau is the plateau schedule's state: ReduceLROnPlateau on the
// held-out validation macro F1 (mode "max", no cooldown, no floor), kept
// in checkpoints so that a resume goes on waiting where it was.
type Plateau struct {
	Seen       bool    `json:"seen"`       // an epoch was counted: Best is its F1 or a better one
	Best       float64 `json:"best"`       // the best F1 so far
	Bad        int     `json:"bad_epochs"` // epochs since Best, PyTorch's num_bad_epochs
	Reductions int     `json:"reductions"` // times the rate was lowered
}

// Observe counts a held-out epoch's macro F1 and reports whether the rate
// is lowered after it: when more than patience epochs in a row have not
// beaten the best by the threshold, as ReduceLROnPlateau.step does.
func (p *Plateau) Observe(f1 float64, patience int) (lowered bool) {
	if !p.Seen || f1 > p.Best*(1+plateauThreshold) { // PyTorch's first best is -inf
		p.Seen, p.Best, p.Bad = true, f1, 0
	} else {
		p.Bad++
	}
	if p.Bad > patience {
		p.Reductions++
		p.Bad = 0
		return true
	}
	return false
}

// copy is a copy of p (nil for nil), for a checkpoint's meta.
func (p *Plateau) copy() *Plateau {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

// observePlateau counts a held-out epoch's macro F1 in the plateau
// schedule, and says in the log when that lowers the rate.
func (t *Trainer) observePlateau(f1 float64) {
	if t.plateau == nil {
		return
	}
	best := t.plateau.Best
	if !t.plateau.Observe(f1, t.cfg.LRPatience) {
		return
	}
	t.sched.Reductions = t.plateau.Reductions
	g := t.cfg.LRGamma
	t.emit(Event{Kind: KindNotice, Msg: fmt.Sprintf("learning rate ×%g after epoch %d (now %.3g): validation macro F1 has not improved on %.4f for %d epochs (--schedule plateau, --lr-patience %d)",
		g, t.epoch, t.sched.Rate(t.baseLR, t.step, t.epoch), best, t.cfg.LRPatience+1, t.cfg.LRPatience)})
}
