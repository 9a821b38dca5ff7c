package training

import (
	"fmt"
	"maps"
	"math"
	"strings"

	"github.com/maskdash/maskdash/models"
	"github.com/maskdash/maskdash/models/ops"
)

// OptimNames lists the optimizers NewOptimizer knows.
var OptimNames = []string{"sgd", "adam", "adamw", "adamp", "radam"}

// OptimConfig configures an optimizer. Zero values take the documented
// defaults.
type OptimConfig struct {
	Name        string  // sgd, adam, adamw, adamp or radam; default adam
	LR          float64 // learning rate; default 1e-3
	Momentum    float64 // SGD momentum; default 0.9
	Nesterov    bool    // SGD Nesterov momentum
	WeightDecay float64 // L2 (sgd, adam, radam) or decoupled (adamw, adamp) decay; default 0 (adamw: 1e-2)
	Beta1       float64 // default 0.9
	Beta2       float64 // default 0.999
	Eps         float64 // default 1e-8
	Delta       float64 // AdamP's scale-invariance threshold; default 0.1
	WDRatio     float64 // AdamP's decay ratio on projected weights; default 0.1
	// ClipNorm clips the gradients' global L2 norm to at most this before
	// each step (PyTorch's clip_grad_norm_); 0: never.
	ClipNorm float64
}

// OptState is an optimizer's state for checkpoints: its step count and a
// slot per parameter (momentum buffer, or Adam's first and second moments).
type OptState struct {
	Name  string                 `json:"name"`
	LR    float64                `json:"lr"`
	Step  int                    `json:"step"`
	Slots map[string][][]float32 `json:"slots"`
	// Skipped counts, per tensor, the steps it sat out frozen
	// (--freeze-epochs); its own step count is Step less that.
	Skipped map[string]int `json:"skipped,omitempty"`
}

// Optimizer updates parameters from their gradients. Its learning rate can
// change between two steps without losing state.
type Optimizer struct {
	cfg  OptimConfig
	step int
	// skipped counts the steps each frozen tensor sat out: Adam's bias
	// correction counts a tensor's own steps (as PyTorch's per-tensor
	// step does), so a tensor that starts to train after its parent's
	// layers were frozen moves as a fresh one would.
	skipped map[string]int
	slots   map[string][][]float32
	upd     []float64         // Adam's update of one parameter, reused (one step is one goroutine)
	clips   models.ClipCounts // the steps clipped since TakeClips (on the CPU)
}

// NewOptimizer builds an optimizer by name.
func NewOptimizer(c OptimConfig) (*Optimizer, error) {
	c.Name = strings.ToLower(c.Name)
	if c.Name == "" {
		c.Name = "adam"
	}
	ok := false
	for _, n := range OptimNames {
		ok = ok || n == c.Name
	}
	if !ok {
		return nil, fmt.Errorf("optimizer %q is unknown; valid optimizers: %s", c.Name, strings.Join(OptimNames, ", "))
	}
	if c.LR <= 0 {
		c.LR = 1e-3
	}
	if c.Momentum == 0 && c.Name == "sgd" {
		c.Momentum = 0.9
	}
	if c.Beta1 == 0 {
		c.Beta1 = 0.9
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.999
	}
	if c.Eps == 0 {
		c.Eps = 1e-8
	}
	if c.WeightDecay == 0 && c.Name == "adamw" {
		c.WeightDecay = 1e-2
	}
	if c.Delta == 0 {
		c.Delta = 0.1
	}
	if c.WDRatio == 0 {
		c.WDRatio = 0.1
	}
	return &Optimizer{cfg: c, slots: map[string][][]float32{}}, nil
}

// LR returns the current learning rate.
func (o *Optimizer) LR() float64 { return o.cfg.LR }

// SetLR changes the learning rate from the next step; state is kept.
func (o *Optimizer) SetLR(lr float64) { o.cfg.LR = lr }

// Name returns the optimizer's name.
func (o *Optimizer) Name() string { return o.cfg.Name }

// State returns a deep copy of the state.
func (o *Optimizer) State() OptState {
	s := OptState{Name: o.cfg.Name, LR: o.cfg.LR, Step: o.step, Slots: map[string][][]float32{}, Skipped: maps.Clone(o.skipped)}
	for k, v := range o.slots {
		cp := make([][]float32, len(v))
		for i := range v {
			cp[i] = append([]float32(nil), v[i]...)
		}
		s.Slots[k] = cp
	}
	return s
}

// Load restores a state saved by State.
func (o *Optimizer) Load(s OptState) error {
	if s.Name != "" && s.Name != o.cfg.Name {
		return fmt.Errorf("optimizer state is for %s, not %s", s.Name, o.cfg.Name)
	}
	o.step = s.Step
	o.skipped = maps.Clone(s.Skipped)
	o.slots = map[string][][]float32{}
	for k, v := range s.Slots {
		o.slots[k] = v
	}
	return nil
}

func (o *Optimizer) slot(p *models.Param, k int) [][]float32 {
	s, ok := o.slots[p.Name]
	if !ok || len(s) != k || len(s[0]) != len(p.Data) {
		s = make([][]float32, k)
		for i := range s {
			s[i] = make([]float32, len(p.Data))
		}
		o.slots[p.Name] = s
	}
	return s
}

// skip counts a step frozen tensor p sat out.
func (o *Optimizer) skip(p *models.Param) {
	if o.skipped == nil {
		o.skipped = map[string]int{}
	}
	o.skipped[p.Name]++
}

// stepOf is tensor p's own step count, this step included.
func (o *Optimizer) stepOf(p *models.Param) int { return o.step - o.skipped[p.Name] }

// Step applies one update to every parameter from its Grad, but the
// Frozen ones.
func (o *Optimizer) Step(ps []*models.Param) {
	o.step++
	if o.cfg.ClipNorm > 0 {
		o.clips.Add(clipGrads(ps, o.cfg.ClipNorm))
	}
	for _, p := range ps {
		if p.Frozen {
			o.skip(p)
			continue
		}
		switch o.cfg.Name {
		case "sgd":
			o.sgd(p)
		case "radam":
			o.radam(p)
		default:
			o.adam(p)
		}
	}
}

// StepNet applies one update to net's parameters: on the CPU from their
// Grad (Step), on a GPU there (models.Net.ApplyUpdate), with the same
// rules and settings.
func (o *Optimizer) StepNet(net *models.Net) error {
	if !net.OnGPU() {
		o.Step(net.Params())
		return nil
	}
	o.step++
	for _, p := range net.Params() {
		if p.Frozen {
			o.skip(p)
		}
	}
	c := o.cfg
	rule := map[string]models.UpdateRule{"sgd": models.UpdateSGD, "adam": models.UpdateAdam, "adamw": models.UpdateAdamW,
		"adamp": models.UpdateAdamP, "radam": models.UpdateRAdam}[c.Name]
	return net.ApplyUpdate(models.Update{Rule: rule, LR: c.LR, Momentum: c.Momentum, WeightDecay: c.WeightDecay,
		Beta1: c.Beta1, Beta2: c.Beta2, Eps: c.Eps, Delta: c.Delta, WDRatio: c.WDRatio, Nesterov: c.Nesterov, Step: o.step, Skipped: o.skipped,
		ClipNorm: c.ClipNorm})
}

// Pull brings a GPU net's optimizer state into the optimizer (before
// State, for a checkpoint); a no-op on the CPU, where the state is here.
func (o *Optimizer) Pull(net *models.Net) error {
	if !net.OnGPU() {
		return nil
	}
	slots, err := net.UpdateSlots()
	if err != nil {
		return err
	}
	o.slots = slots
	return nil
}

// Push sends the optimizer's state to a GPU net (after Load, on resume);
// a no-op on the CPU.
func (o *Optimizer) Push(net *models.Net) error {
	if !net.OnGPU() {
		return nil
	}
	return net.LoadUpdateSlots(o.slots)
}

func (o *Optimizer) sgd(p *models.Param) {
	c := o.cfg
	buf := o.slot(p, 1)[0]
	lr := float32(p.Rate(c.LR))
	mu := float32(c.Momentum)
	wd := float32(c.WeightDecay)
	first := o.stepOf(p) == 1
	decay := wd != 0 && p.Decay
	ops.Split(len(p.Data), minSplit, func(lo, hi int) {
		for i, g := range p.Grad[lo:hi] {
			i += lo
			if decay {
				g += wd * p.Data[i]
			}
			if mu != 0 {
				if first {
					buf[i] = g
				} else {
					buf[i] = mu*buf[i] + g
				}
				if c.Nesterov {
					g += mu * buf[i]
				} else {
					g = buf[i]
				}
			}
			p.Data[i] -= lr * g
		}
	})
}

// minSplit is the fewest values a worker takes of an update split
// between the workers (ops.Split): a bias of 16 values is updated by the
// caller alone.
const minSplit = 4096

// adam implements Adam (L2 decay), AdamW (decoupled decay) and AdamP
// (clovaai/AdamP: the radial part of the update is removed for
// scale-invariant weights, whose decay is scaled by wd_ratio). Each value
// is computed in float64 as the GPU's md_adam kernel computes it, in one
// pass (ops.Adam, in assembly on x86-64; AdamP: two Go passes, around its
// projection), split between the workers; the results are those of the
// three passes it took before, bit for bit (TestAdamSplitIsExact).
func (o *Optimizer) adam(p *models.Param) {
	c := o.cfg
	s := o.slot(p, 2)
	m, v := s[0], s[1]
	b1, b2 := c.Beta1, c.Beta2
	t := float64(o.stepOf(p))
	bc1 := 1 - math.Pow(b1, t)
	sqrtBC2 := math.Sqrt(1 - math.Pow(b2, t))
	lr := p.Rate(c.LR)
	step := lr / bc1
	l2 := 0.0
	if c.Name == "adam" && p.Decay {
		l2 = c.WeightDecay
	}
	// moved writes value i's moments and returns its update (AdamP's
	// first pass; ops.Adam does the same arithmetic).
	moved := func(i int) float64 {
		g := float64(p.Grad[i])
		if l2 != 0 {
			g += l2 * float64(p.Data[i])
		}
		mi, vi := adamMoments(i, g, m, v, b1, b2)
		return float64(mi) / (math.Sqrt(float64(vi))/sqrtBC2 + c.Eps)
	}
	decoupled := (c.Name == "adamw" || c.Name == "adamp") && c.WeightDecay != 0 && p.Decay
	shrink := func(wdRatio float64) float64 {
		if decoupled {
			return 1 - lr*c.WeightDecay*wdRatio
		}
		return 1
	}
	if c.Name != "adamp" || len(p.Shape) < 2 {
		st := ops.AdamStep{L2: l2, B1: b1, B2: b2, SqrtBC2: sqrtBC2, Eps: c.Eps, Keep: shrink(1), Step: step}
		ops.Split(len(p.Data), minSplit, func(lo, hi int) {
			ops.Adam(p.Data[lo:hi], p.Grad[lo:hi], m[lo:hi], v[lo:hi], st)
		})
		return
	}
	// AdamP projects the whole tensor's update before any value moves.
	if cap(o.upd) < len(p.Data) {
		o.upd = make([]float64, len(p.Data))
	}
	upd := o.upd[:len(p.Data)] // every element is written below
	ops.Split(len(p.Data), minSplit, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			upd[i] = moved(i)
		}
	})
	wdRatio := 1.0
	if adampProject(p, upd, c.Delta, c.Eps) {
		wdRatio = c.WDRatio
	}
	keep := shrink(wdRatio)
	ops.Split(len(p.Data), minSplit, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			w := float64(p.Data[i])
			if decoupled {
				w *= keep
			}
			p.Data[i] = float32(w - step*upd[i])
		}
	})
}

// radam is RAdam as torch.optim.RAdam (PyTorch 1.13) computes it, L2
// decay included: Adam's moments; while the variance's estimate is
// unreliable (models.RAdamRect 0, the first five steps at β₂ 0.999) the
// move is the bias-corrected momentum alone, after it the rectified
// adaptive move. Each value in float64 as the GPU's md_radam computes it.
func (o *Optimizer) radam(p *models.Param) {
	c := o.cfg
	s := o.slot(p, 2)
	m, v := s[0], s[1]
	b1, b2 := c.Beta1, c.Beta2
	t := o.stepOf(p)
	bc1 := 1 - math.Pow(b1, float64(t))
	sqrtBC2 := math.Sqrt(1 - math.Pow(b2, float64(t)))
	rect := models.RAdamRect(b2, t)
	step := p.Rate(c.LR) / bc1
	l2 := 0.0
	if p.Decay {
		l2 = c.WeightDecay
	}
	ops.Split(len(p.Data), minSplit, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			mi, vi := adamMoments(i, float64(p.Grad[i])+l2*float64(p.Data[i]), m, v, b1, b2)
			upd := float64(mi)
			if rect > 0 {
				upd = rect * float64(mi) * sqrtBC2 / (math.Sqrt(float64(vi)) + c.Eps)
			}
			p.Data[i] = float32(float64(p.Data[i]) - step*upd)
		}
	})
}

// adamMoments moves value i's Adam moments m and v by its gradient g
// (float64 sums, stored as float32, as the kernels' md_adam_moments) and
// returns them: Adam's, AdamW's, AdamP's and RAdam's first half.
func adamMoments(i int, g float64, m, v []float32, b1, b2 float64) (mi, vi float32) {
	mi = float32(b1*float64(m[i]) + (1-b1)*g)
	vi = float32(b2*float64(v[i]) + (1-b2)*g*g)
	m[i], v[i] = mi, vi
	return mi, vi
}

// adampProject removes from upd its component along the weights when the
// gradient is (nearly) orthogonal to them, trying the per-output-channel
// view first and then the whole tensor, as AdamP does. It reports whether
// it projected.
func adampProject(p *models.Param, upd []float64, delta, eps float64) bool {
	rows := p.Shape[0]
	if views := [][2]int{{rows, len(p.Data) / rows}, {1, len(p.Data)}}; true {
		for _, vw := range views {
			nr, nc := vw[0], vw[1]
			maxCos := 0.0
			for r := 0; r < nr; r++ {
				var gw, gg, ww float64
				for j := r * nc; j < (r+1)*nc; j++ {
					g, w := float64(p.Grad[j]), float64(p.Data[j])
					gw += g * w
					gg += g * g
					ww += w * w
				}
				cos := math.Abs(gw) / (math.Max(math.Sqrt(gg), eps) * math.Max(math.Sqrt(ww), eps))
				maxCos = math.Max(maxCos, cos)
			}
			if maxCos < delta/math.Sqrt(float64(nc)) {
				for r := 0; r < nr; r++ {
					var ww float64
					for j := r * nc; j < (r+1)*nc; j++ {
						ww += float64(p.Data[j]) * float64(p.Data[j])
					}
					norm := math.Sqrt(ww) + eps
					var dot float64
					for j := r * nc; j < (r+1)*nc; j++ {
						dot += float64(p.Data[j]) / norm * upd[j]
					}
					for j := r * nc; j < (r+1)*nc; j++ {
						upd[j] -= float64(p.Data[j]) / norm * dot
					}
				}
				return true
			}
		}
	}
	return false
}
