package training

import (
	"math"
	"time"

	"github.com/maskdash/maskdash/models"
)

// LayerStat is one parameter tensor's health at a step: the L2 norms of
// its weights (before the step's update), of the step's gradient, and of
// the update the optimizer applied. The update's norm over the weights'
// is how far one step moves the tensor: about 1e-3 is the usual healthy
// figure (cs231n's rule of thumb); far above it the rate is too high for
// that tensor, far below it the tensor barely learns.
type LayerStat struct {
	Name string `json:"name"`
	Size int    `json:"n"`
	// Rank is the tensor's number of axes: 2 or more for a layer's
	// weights, 1 for biases and BatchNorm's scales (0 in logs from
	// before it was kept).
	Rank   int     `json:"rank,omitempty"`
	Weight float64 `json:"w"`
	Grad   float64 `json:"g"`
	Update float64 `json:"u"`
	// Spread is the weights' values at runs.SpreadPercentiles (least,
	// −1.5σ, −1σ, −0.5σ, median, +0.5σ, +1σ, +1.5σ, most: TensorBoard's
	// distribution), before the step's update; none in logs from before
	// it was kept, or where a value is not finite.
	Spread []float32 `json:"q,omitempty"`
	// NonFinite names the norms ("w", "g", "u") that were NaN or
	// infinite; they read 0 (JSON, and so the log, has no NaN).
	NonFinite []string `json:"nonfinite,omitempty"`
	// Frozen: the optimizer left the tensor as it was (--freeze-epochs).
	Frozen bool `json:"frozen,omitempty"`
}

// finite replaces the stat's non-finite norms by 0 and names them in
// NonFinite.
func (s *LayerStat) finite() {
	for _, f := range []struct {
		v    *float64
		name string
	}{{&s.Weight, "w"}, {&s.Grad, "g"}, {&s.Update, "u"}} {
		if math.IsNaN(*f.v) || math.IsInf(*f.v, 0) {
			*f.v = 0
			s.NonFinite = append(s.NonFinite, f.name)
		}
	}
}

// Ratio is the update's norm over the weights' norm; 0 when the weights
// are all zero (a bias at its start).
func (s LayerStat) Ratio() float64 {
	if s.Weight == 0 {
		return 0
	}
	return s.Update / s.Weight
}

// LayerHealth names what a LayerStat says of its tensor, for the layers
// view and its alerts.
type LayerHealth int

// The verdicts, from worst. The first three raise the layers alert when
// they last (LayerAlertAfter).
const (
	LayerNonFinite LayerHealth = iota // a norm is NaN or infinite
	LayerNoGrad                       // the gradient is all zero: nothing reaches the tensor
	LayerTooFast                      // one step moves it by more than LayerFastRatio of itself
	LayerSlow                         // one step moves it by less than LayerSlowRatio of itself
	LayerOK
	LayerFixed    // held as it is by --freeze-epochs: it does not move, by design
	LayerSettling // a tensor with one axis moves fast in the run's first LayerSettleSteps steps, as any that starts at zero does
)

// Fine reports whether the verdict needs nothing done (ok, or fixed).
func (h LayerHealth) Fine() bool { return h >= LayerOK }

// The bounds of the update ratio (per step): two decades either side of
// the usual 1e-3. Nearer bounds were tried and dropped: on Fashion-MNIST
// the ratio of cnn-s's convolutions followed the learning rate and was
// near 1e-3 at the best rate, but vgg-s on the synthetic set trained
// best at lr 1e-2 with its convolutions (each followed by BatchNorm,
// which makes their scale free) at about 1.4e-2, and dense layers' ratios
// did not follow the rate; NOTES.md, thirteenth session.
const (
	LayerFastRatio = 1e-1
	LayerSlowRatio = 1e-5
)

// LayerSettleSteps is how many of a run's first steps a tensor with one
// axis (a bias, BatchNorm's shift or scale) is not judged to move fast.
// Biases and shifts start at zero, and whatever the rate, any optimizer's
// first k steps move a tensor that started at zero by about 1/k of itself
// (1/(k−10) with momentum 0.9): so every BatchNorm net raised the layers
// alert in its first steps when measures came a few steps apart (vgg-s at
// 224×224 on two cores, one measure in three steps). Measured at every
// step at sane rates (Adam 1e-3, SGD 0.01 with momentum), the shifts of
// vgg-s and resnet-s were above 0.1 to step 12 (Adam) and step 21 (SGD),
// and below 0.07 from step 25 on; a tensor with two axes or more is
// judged from the first step, and a rate that is truly too high shows
// there (NOTES.md, thirty-fourth session).
const LayerSettleSteps = 50

// Health judges the stat, measured at the run's step (1 for its first).
// A tensor whose weights are all zero (a bias before its first update)
// is judged by its gradient alone; a frozen one is LayerFixed; one with
// one axis that moves fast in the first LayerSettleSteps is LayerSettling.
func (s LayerStat) Health(step int) LayerHealth {
	if len(s.NonFinite) > 0 {
		return LayerNonFinite
	}
	for _, v := range []float64{s.Weight, s.Grad, s.Update} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return LayerNonFinite
		}
	}
	switch r := s.Ratio(); {
	case s.Frozen:
		return LayerFixed
	case s.Grad == 0:
		return LayerNoGrad
	case s.Weight == 0:
		return LayerOK
	case r > LayerFastRatio && s.Rank == 1 && step <= LayerSettleSteps:
		return LayerSettling
	case r > LayerFastRatio:
		return LayerTooFast
	case r < LayerSlowRatio:
		return LayerSlow
	}
	return LayerOK
}

// String is the verdict in a few words.
func (h LayerHealth) String() string {
	return [...]string{"not finite", "no gradient", "moves fast", "barely moves", "ok", "fixed", "settling"}[h]
}

// Advice says what the verdict means and what to do; "" when ok.
func (h LayerHealth) Advice() string {
	return [...]string{
		"the numbers overflowed: lower the learning rate, or resume from the last good checkpoint",
		"no gradient reaches it: a dead ReLU layer, or a part of the net the loss does not use",
		"one step changes it by more than a tenth of itself: lower the learning rate",
		"it barely moves: the learning rate may be too low for it",
		"",
		"",
		"",
	}[h]
}

// layerProbe measures the parameters' LayerStats at one step every
// Config.LayersEvery (and at a run's first step): the weights' and
// gradients' norms before the optimizer's update, a copy of the weights,
// and after the update the norm of what changed. On a GPU it copies the
// weights and gradients down for that step only.
type layerProbe struct {
	every   time.Duration
	last    time.Time // the last probe; zero: probe the next step
	before  [][]float32
	stats   []LayerStat
	pending []LayerStat // measured, for the next step event
	bad     []int       // per tensor: the measures in a row with a verdict that alerts
	noGrad  []int       // per tensor: the measures in a row with no gradient
	sample  []float32   // scratch of the weights' spread
}

// LayerAlertAfter is how many measures in a row (at one every
// Config.LayersEvery) a tensor must have no gradient, a non-finite norm,
// or move by more than LayerFastRatio of itself before the layers alert
// fires: one bad measure can be a warm-up's first steps or a bias
// leaving zero.
const LayerAlertAfter = 3

// verdict is what the measure just taken says, counted with the ones
// before it: the first tensor that has had an alerting verdict
// LayerAlertAfter measures in a row (alert false when none), and whether
// the net is dead: no gradient has reached any weight tensor (rank 2 or
// more) for LayerAlertAfter measures in a row.
type verdict struct {
	stat   LayerStat
	health LayerHealth
	alert  bool
	dead   bool
}

// judge counts each tensor's measures in a row with an alerting verdict
// and with no gradient, the measure just taken (at the run's step)
// included.
func (p *layerProbe) judge(step int) verdict {
	if len(p.bad) != len(p.stats) {
		p.bad, p.noGrad = make([]int, len(p.stats)), make([]int, len(p.stats))
	}
	v := verdict{health: LayerOK}
	weights, deadWeights := 0, 0
	for i, st := range p.stats {
		h := st.Health(step)
		p.noGrad[i]++
		if h != LayerNoGrad {
			p.noGrad[i] = 0
		}
		switch h {
		case LayerNonFinite, LayerNoGrad, LayerTooFast:
			p.bad[i]++
			if p.bad[i] >= LayerAlertAfter && !v.alert {
				v.stat, v.health, v.alert = st, h, true
			}
		case LayerSlow, LayerOK, LayerFixed, LayerSettling:
			p.bad[i] = 0
		}
		if st.Rank >= 2 {
			weights++
			if p.noGrad[i] >= LayerAlertAfter {
				deadWeights++
			}
		}
	}
	v.dead = weights > 0 && deadWeights == weights
	return v
}

// due reports whether this step is probed.
func (p *layerProbe) due() bool { return p.last.IsZero() || time.Since(p.last) >= p.every }

// measure records the norms of the net's weights and gradients and keeps
// a copy of the weights, before the update.
func (p *layerProbe) measure(net *models.Net) error {
	if err := net.GradsToHost(); err != nil {
		return err
	}
	if err := net.WeightsToHost(); err != nil {
		return err
	}
	ps := net.Params()
	if len(p.before) != len(ps) {
		p.before = make([][]float32, len(ps))
	}
	p.stats = p.stats[:0]
	for i, q := range ps {
		p.before[i] = append(p.before[i][:0], q.Data...)
		st := LayerStat{Name: q.Name, Size: len(q.Data), Rank: len(q.Shape), Weight: norm2(q.Data), Grad: norm2(q.Grad), Frozen: q.Frozen}
		if !math.IsNaN(st.Weight) && !math.IsInf(st.Weight, 0) { // every value finite: the spread is in order
			st.Spread, p.sample = weightSpread(q.Data, uint64(i), p.sample)
		}
		p.stats = append(p.stats, st)
	}
	return nil
}

// moved measures each update against the copy measure kept, and holds the
// stats for the next step event.
func (p *layerProbe) moved(net *models.Net) error {
	if err := net.WeightsToHost(); err != nil {
		return err
	}
	for i, q := range net.Params() {
		var s float64
		for j, v := range q.Data {
			d := float64(v) - float64(p.before[i][j])
			s += d * d
		}
		p.stats[i].Update = math.Sqrt(s)
		p.stats[i].finite()
	}
	p.pending = append([]LayerStat(nil), p.stats...)
	p.last = time.Now()
	return nil
}

// take returns the stats measured since the last step event, once.
func (p *layerProbe) take() []LayerStat {
	s := p.pending
	p.pending = nil
	return s
}

func norm2(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}
