package models

import "math"

// UpdateRule is an optimizer's rule, for a net whose weights are on a
// GPU (package training's Optimizer picks it; the device applies it).
type UpdateRule int

// The rules.
const (
	UpdateSGD   UpdateRule = iota // momentum SGD, L2 decay
	UpdateAdam                    // Adam, L2 decay
	UpdateAdamW                   // Adam, decoupled decay
	UpdateAdamP                   // AdamP (clovaai), decoupled decay
	UpdateRAdam                   // RAdam (PyTorch's), L2 decay
)

// RAdamRect is RAdam's rectification at a tensor's step t (from 1) with
// second-moment decay b2, as torch.optim.RAdam computes it, or 0 while
// the variance's estimate is unreliable (its length of the SMA, ρ_t, is
// 5 or less): the step is then the bias-corrected momentum alone.
func RAdamRect(b2 float64, t int) float64 {
	rhoInf := 2/(1-b2) - 1
	bt := math.Pow(b2, float64(t))
	rho := rhoInf - 2*float64(t)*bt/(1-bt)
	if rho <= 5 {
		return 0
	}
	return math.Sqrt((rho - 4) * (rho - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho))
}

// Update is one optimizer step's settings, as package training's
// Optimizer holds them; Step counts from 1.
type Update struct {
	Rule                              UpdateRule
	LR, Momentum, WeightDecay         float64
	Beta1, Beta2, Eps, Delta, WDRatio float64
	Nesterov                          bool
	Step                              int
	// Skipped counts, per tensor name, the steps a tensor sat out frozen:
	// its own step count (Adam's bias correction) is Step less that.
	Skipped map[string]int
	// ClipNorm clips the gradients' global L2 norm to at most this before
	// the step, as PyTorch's clip_grad_norm_ (0: never); the device counts
	// the steps it clips (Net.TakeClipCounts).
	ClipNorm float64
}

// ClipCounts are the gradient clipping of some steps (Update.ClipNorm:
// a GPU net's since the last Net.TakeClipCounts, the CPU optimizer's
// likewise): the steps, how many were clipped, and the gradients' global
// norm before clipping, summed and at its largest.
type ClipCounts struct {
	Steps, Clipped   int
	NormSum, NormMax float64
}

// Add counts one step whose gradients had global norm norm, clipped or
// not (the CPU's optimizer counts so; a GPU in md_clip_decide).
func (c *ClipCounts) Add(norm float64, clipped bool) {
	c.Steps++
	if clipped {
		c.Clipped++
	}
	c.NormSum += norm
	c.NormMax = max(c.NormMax, norm)
}

// Merge adds the steps o counted to c's.
func (c *ClipCounts) Merge(o ClipCounts) {
	c.Steps += o.Steps
	c.Clipped += o.Clipped
	c.NormSum += o.NormSum
	c.NormMax = max(c.NormMax, o.NormMax)
}

// StepOf is tensor p's own step count.
func (u Update) StepOf(p *Param) int { return u.Step - u.Skipped[p.Name] }

// Rate is the learning rate tensor p trains at when the optimizer's is
// lr: lr times its RateScale (0: lr itself).
func (p *Param) Rate(lr float64) float64 {
	if p.RateScale == 0 {
		return lr
	}
	return lr * p.RateScale
}
