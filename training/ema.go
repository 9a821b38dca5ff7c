package training

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"

	"github.com/maskdash/maskdash/models"
)

// EMAState is what a checkpoint keeps of the weights' moving average
// (--ema): how many updates it has had, which sets the next one's decay.
// The average itself is the checkpoint's weights file; the training
// weights go beside it (CkptMeta.TrainWeights).
type EMAState struct {
	Updates int `json:"updates"`
}

// weightAverage is the exponential moving average of a net's weights and
// BatchNorm running statistics (timm's ModelEmaV2, which averages the
// whole state, buffers included), updated after every Every-th optimizer
// step with TensorFlow's ExponentialMovingAverage warm-up:
//
//	d = min(Decay, (1 + n) / (10 + n))    (n: the updates before this one)
//	avg = avg + (1 − d) · (w − avg)
//
// so that a short run is not an average dominated by its starting
// weights. It starts as the weights it is made from. Validation, the
// checkpoints' weights and predictions use the average (with); the
// optimizer keeps training the net's own weights.
//
// On a GPU each update downloads the weights first (WeightsToHost), so
// --ema-every N saves N−1 of every N downloads there; the average is
// kept on the host.
type weightAverage struct {
	decay   float64
	every   int
	updates int
	ts      []*models.Param // the net's weights and buffers, in order
	avg     [][]float32
	held    [][]float32 // the net's own values while the average stands in
}

// newWeightAverage starts an average of net's weights as they are now.
func newWeightAverage(net *models.Net, decay float64, every int) (*weightAverage, error) {
	a := &weightAverage{decay: decay, every: max(every, 1)}
	a.ts = append(append(a.ts, net.Params()...), net.Buffers()...)
	a.avg = make([][]float32, len(a.ts))
	a.held = make([][]float32, len(a.ts))
	for i, p := range a.ts {
		a.avg[i] = make([]float32, len(p.Data))
		a.held[i] = make([]float32, len(p.Data))
	}
	return a, a.restart(net, EMAState{})
}

// restart makes the average the net's values now (a resume's loaded
// average, or the starting weights), with st's count of updates.
func (a *weightAverage) restart(net *models.Net, st EMAState) error {
	if err := net.WeightsToHost(); err != nil {
		return fmt.Errorf("--ema: the weights from the GPU: %w", err)
	}
	for i, p := range a.ts {
		copy(a.avg[i], p.Data)
	}
	a.updates = st.Updates
	return nil
}

// state is what a checkpoint keeps.
func (a *weightAverage) state() EMAState { return EMAState{Updates: a.updates} }

// decayAt is the decay of update n (0 the first).
func (a *weightAverage) decayAt(n int) float64 {
	return math.Min(a.decay, float64(1+n)/float64(10+n))
}

// observe follows the optimizer's step number step (0 the run's first):
// every Every-th step it moves the average toward the net's weights.
func (a *weightAverage) observe(net *models.Net, step int) error {
	if (step+1)%a.every != 0 {
		return nil
	}
	if err := net.WeightsToHost(); err != nil {
		return fmt.Errorf("--ema: the weights from the GPU: %w", err)
	}
	k := float32(1 - a.decayAt(a.updates))
	for i, p := range a.ts {
		lerp(a.avg[i], p.Data, k)
	}
	a.updates++
	return nil
}

// lerp moves avg toward w by k of the way, as torch.lerp_ does: when w
// equals avg (a frozen tensor) avg stays exactly as it is.
func lerp(avg, w []float32, k float32) {
	w = w[:len(avg)]
	for j, v := range avg {
		avg[j] = v + k*(w[j]-v)
	}
}

// with runs fn with the average in the net's place (on the GPU too) and
// puts the net's own values back after, whatever fn returned.
func (a *weightAverage) with(net *models.Net, fn func() error) error {
	if err := net.WeightsToHost(); err != nil {
		return fmt.Errorf("--ema: the weights from the GPU: %w", err)
	}
	for i, p := range a.ts {
		copy(a.held[i], p.Data)
		copy(p.Data, a.avg[i])
	}
	err := net.WeightsToDevice()
	if err == nil {
		err = fn()
	}
	for i, p := range a.ts {
		copy(p.Data, a.held[i])
	}
	if derr := net.WeightsToDevice(); derr != nil {
		err = errors.Join(err, fmt.Errorf("--ema: the training weights back to the GPU: %w", derr))
	}
	return err
}

// trainTensors are the net's own weights while the average stands in
// (inside with): what a checkpoint writes beside the average.
func (a *weightAverage) trainTensors() []tensor {
	out := make([]tensor, len(a.ts))
	for i, p := range a.ts {
		out[i] = tensor{p.Name, p.Shape, a.held[i]}
	}
	return out
}

// stateOf is what a checkpoint keeps of a (nil without --ema).
func (a *weightAverage) stateOf() *EMAState {
	if a == nil {
		return nil
	}
	st := a.state()
	return &st
}

// startAverage starts the run's moving average (--ema) of the weights
// it starts from. A resume's checkpoint holds the average as its weights,
// which the net has loaded: the average goes on from them, with its
// count of updates, and the net takes the training weights kept beside
// them. A child run's average starts afresh from the weights it starts
// from (its parent's checkpoint, the average when the parent had one).
func (t *Trainer) startAverage(l launch) error {
	var err error
	if t.ema, err = newWeightAverage(t.net, t.cfg.EMA, t.cfg.EMAEvery); err != nil {
		return err
	}
	m := l.meta
	if l.ckpt == "" || !l.resume || l.parent || m.EMA == nil {
		return nil
	}
	if err := t.ema.restart(t.net, *m.EMA); err != nil {
		return err
	}
	if filepath.Base(m.TrainWeights) != m.TrainWeights || m.TrainWeights == "" {
		return fmt.Errorf("%w %s: its training weights %q are not a file beside it", ErrCheckpoint, l.ckpt, m.TrainWeights)
	}
	return loadWeights(filepath.Join(m.dir, m.TrainWeights), t.net)
}

// withAverage runs fn with the weights predictions use in the net: the
// moving average with --ema, else the net's own.
func (t *Trainer) withAverage(fn func() error) error {
	if t.ema == nil {
		return fn()
	}
	return t.ema.with(t.net, fn)
}
