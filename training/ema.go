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
// On the CPU the average is host memory beside Param.Data. On a GPU it
// stays on the device beside the weights (Net.StartAverage): an update
// is one kernel a tensor with nothing downloaded, and the average stands
// in for the weights by a swap on the device; only a checkpoint brings
// the training weights down (trainTensors).
type weightAverage struct {
	decay   float64
	every   int
	updates int
	gpu     bool
	ts      []*models.Param // the net's weights and buffers, in order
	avg     [][]float32     // the average (the CPU's; nil on a GPU)
	held    [][]float32     // the net's own values while the average stands in
}

// newWeightAverage starts an average of net's weights as they are now.
func newWeightAverage(net *models.Net, decay float64, every int) (*weightAverage, error) {
	a := &weightAverage{decay: decay, every: max(every, 1), gpu: net.OnGPU()}
	a.ts = append(append(a.ts, net.Params()...), net.Buffers()...)
	a.held = make([][]float32, len(a.ts))
	if !a.gpu {
		a.avg = make([][]float32, len(a.ts))
	}
	for i, p := range a.ts {
		a.held[i] = make([]float32, len(p.Data))
		if !a.gpu {
			a.avg[i] = make([]float32, len(p.Data))
		}
	}
	return a, a.restart(net, EMAState{})
}

// restart makes the average the net's values now (a resume's loaded
// average, or the starting weights), with st's count of updates.
func (a *weightAverage) restart(net *models.Net, st EMAState) error {
	a.updates = st.Updates
	if a.gpu {
		if err := net.StartAverage(); err != nil {
			return fmt.Errorf("--ema: %w", err)
		}
		return nil
	}
	for i, p := range a.ts {
		copy(a.avg[i], p.Data)
	}
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
	k := float32(1 - a.decayAt(a.updates))
	if a.gpu {
		if err := net.UpdateAverage(k); err != nil {
			return fmt.Errorf("--ema: %w", err)
		}
	} else {
		for i, p := range a.ts {
			lerp(a.avg[i], p.Data, k)
		}
	}
	a.updates++
	return nil
}

// lerp moves avg toward w by k of the way, as torch.lerp_ does (and the
// GPU's md_ema): when w equals avg (a frozen tensor) avg stays exactly as
// it is.
func lerp(avg, w []float32, k float32) {
	w = w[:len(avg)]
	for j, v := range avg {
		avg[j] = v + k*(w[j]-v)
	}
}

// with runs fn with the average in the net's place and puts the net's
// own values back after, whatever fn returned.
func (a *weightAverage) with(net *models.Net, fn func() error) error {
	if a.gpu {
		if err := net.SwapAverage(); err != nil {
			return fmt.Errorf("--ema: the average in the weights' place: %w", err)
		}
		err := fn()
		if serr := net.SwapAverage(); serr != nil {
			err = errors.Join(err, fmt.Errorf("--ema: the training weights back in place: %w", serr))
		}
		return err
	}
	for i, p := range a.ts {
		copy(a.held[i], p.Data)
		copy(p.Data, a.avg[i])
	}
	err := fn()
	for i, p := range a.ts {
		copy(p.Data, a.held[i])
	}
	return err
}

// trainTensors are the net's own weights while the average stands in
// (inside with): what a checkpoint writes beside the average. On a GPU
// they are downloaded here.
func (a *weightAverage) trainTensors(net *models.Net) ([]tensor, error) {
	if a.gpu {
		if err := net.AverageToHost(a.held); err != nil {
			return nil, fmt.Errorf("--ema: the training weights from the GPU: %w", err)
		}
	}
	out := make([]tensor, len(a.ts))
	for i, p := range a.ts {
		out[i] = tensor{p.Name, p.Shape, a.held[i]}
	}
	return out, nil
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
