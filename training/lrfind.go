package training

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// LRRange is the learning-rate range test's settings; the zero value of
// each field means its default.
type LRRange struct {
	Min, Max float64 // the first and last rate; default 1e-7 and 1
	Steps    int     // training steps, the rate growing geometrically; default 100
	// Smoothing is the loss's exponential moving average factor (bias
	// corrected); default 0.9.
	Smoothing float64
	// Diverge stops the test once the smoothed loss passes this many times
	// its lowest; default 4.
	Diverge float64
}

// DefaultLRRange is the range test's defaults: 100 steps from 1e-7 to
// 1, the loss smoothed by 0.9, stopping at 4× its lowest (see README:
// 0.9 rather than fast.ai's 0.98, measured).
func DefaultLRRange() LRRange {
	return LRRange{Min: 1e-7, Max: 1, Steps: 100, Smoothing: 0.9, Diverge: 4}
}

// defaults fills the zero (or meaningless) fields from DefaultLRRange.
func (r *LRRange) defaults() {
	d := DefaultLRRange()
	if r.Min <= 0 {
		r.Min = d.Min
	}
	if r.Max <= 0 {
		r.Max = d.Max
	}
	if r.Steps <= 0 {
		r.Steps = d.Steps
	}
	if r.Smoothing <= 0 || r.Smoothing >= 1 {
		r.Smoothing = d.Smoothing
	}
	if r.Diverge <= 1 {
		r.Diverge = d.Diverge
	}
}

// LRPoint is one step of the test: the rate it trained at, the batch's
// loss and the smoothed loss.
type LRPoint struct {
	LR       float64 `json:"lr"`
	Loss     float64 `json:"loss"`
	Smoothed float64 `json:"smoothed"`
}

// LRFound is what the range test found.
type LRFound struct {
	Points []LRPoint `json:"points"`
	// Diverged: the test stopped before its last step, the loss past
	// Diverge times its lowest (or not finite).
	Diverged bool `json:"diverged"`
	// Steepest is the rate where the smoothed loss fell fastest against
	// the rate's logarithm, before its lowest point (0: it never fell).
	Steepest float64 `json:"steepest"`
	// Lowest is the rate of the lowest smoothed loss.
	Lowest float64 `json:"lowest"`
	// Suggested is the rate to train at: Steepest, or a tenth of Lowest
	// when the loss never fell steadily.
	Suggested float64   `json:"suggested"`
	Min       float64   `json:"lr_min"`
	Max       float64   `json:"lr_max"`
	Header    RunHeader `json:"run"`
	// Warnings are what the test's data and model said on the way:
	// skipped inputs, a precision the CPU does not have, label
	// corrections applied.
	Warnings []string `json:"warnings,omitempty"`
}

// FindLR runs the learning-rate range test (Smith's, as fast.ai's
// lr_find does it): cfg's model trains from its fresh (or --from) weights
// on cfg's data for r.Steps steps, the rate growing geometrically from
// r.Min to r.Max, until then or until the loss diverges. Nothing is
// written: no run folder, no checkpoint. progress, when set, is told
// each step.
func FindLR(ctx context.Context, cfg Config, r LRRange, progress func(step, steps int)) (found LRFound, err error) {
	r.defaults()
	if r.Max <= r.Min {
		return LRFound{}, fmt.Errorf("lr-max %g is not above lr-min %g", r.Max, r.Min)
	}
	if r.Steps < 8 {
		return LRFound{}, fmt.Errorf("steps %d is too few for a range test: want 8 or more", r.Steps)
	}
	if cfg.Resume != "" {
		return LRFound{}, errors.New("a range test starts from fresh weights or --from, not a resumed run")
	}
	l, err := plan(cfg)
	if err != nil {
		return LRFound{}, err
	}
	hub := NewHub()
	t, err := newTrainer(ctx, l, hub)
	if err != nil {
		return LRFound{}, err
	}
	defer func() {
		err = errors.Join(err, t.net.Close())
		found.Warnings = saidOn(hub)
	}()
	found = LRFound{Min: r.Min, Max: r.Max, Header: t.header}
	rt := rangeTest{t: t, r: r, found: &found, best: math.Inf(1), progress: progress}
	for epoch := 0; rt.step < r.Steps && !found.Diverged; epoch++ {
		if err := rt.epoch(ctx, epoch); err != nil {
			return found, err
		}
	}
	found.suggest()
	return found, nil
}

// saidOn is what was said on hub (the errors and notices it keeps for
// late subscribers): a range test has no dashboard to show them.
func saidOn(hub *Hub) []string {
	sub, said := hub.Subscribe(0)
	sub.Cancel()
	var out []string
	for _, e := range said {
		if (e.Kind == KindError || e.Kind == KindNotice) && e.Msg != "" {
			out = append(out, e.Msg)
		}
	}
	return out
}

// rangeTest is a range test in progress.
type rangeTest struct {
	t         *Trainer
	r         LRRange
	found     *LRFound
	avg, best float64
	step      int
	progress  func(step, steps int)
}

// epoch trains on one epoch's batches until the test's last step or its
// divergence; its loader stops with it.
func (rt *rangeTest) epoch(ctx context.Context, epoch int) error {
	t, r := rt.t, rt.r
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // the loader's workers, when the test ends inside the epoch
	batch := t.cfg.Batch
	x := t.net.InputBatch()
	labels := make([]int, batch)
	order := t.sampler.Epoch(epoch)
	nb := len(order) / batch
	if nb == 0 {
		return fmt.Errorf("%d training images make no batch of %d", len(order), batch)
	}
	for b := range t.trainL.Epoch(ctx, epoch, order[:nb*batch]) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if b.N == 0 {
			continue
		}
		lr := r.Min * math.Pow(r.Max/r.Min, float64(rt.step)/float64(r.Steps-1))
		loss, _, _, err := t.forwardBackward(b, x, labels, lr, nil)
		if err != nil {
			return err
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			rt.found.Diverged = true
			return nil
		}
		if err := t.opt.StepNet(t.net); err != nil {
			return err
		}
		rt.avg = r.Smoothing*rt.avg + (1-r.Smoothing)*loss
		sm := rt.avg / (1 - math.Pow(r.Smoothing, float64(rt.step+1)))
		rt.found.Points = append(rt.found.Points, LRPoint{LR: lr, Loss: loss, Smoothed: sm})
		rt.best = min(rt.best, sm)
		rt.step++
		if rt.progress != nil {
			rt.progress(rt.step, r.Steps)
		}
		if sm > r.Diverge*rt.best {
			rt.found.Diverged = true
			return nil
		}
		if rt.step == r.Steps {
			return nil
		}
	}
	return ctx.Err()
}

// suggest reads the rates off the points: the lowest smoothed loss, and
// the steepest fall before it (central differences against log lr, past
// the first tenth of the points, whose average is still settling).
func (f *LRFound) suggest() {
	p := f.Points
	if len(p) == 0 {
		return
	}
	low := 0
	for i := range p {
		if p[i].Smoothed < p[low].Smoothed {
			low = i
		}
	}
	f.Lowest = p[low].LR
	skip := max(len(p)/10, 1)
	steepest, at := 0.0, -1
	for i := skip; i < low; i++ {
		d := (p[i+1].Smoothed - p[i-1].Smoothed) / (math.Log(p[i+1].LR) - math.Log(p[i-1].LR))
		if d < steepest {
			steepest, at = d, i
		}
	}
	if at >= 0 {
		f.Steepest = p[at].LR
		f.Suggested = f.Steepest
		return
	}
	f.Suggested = f.Lowest / 10
}
