package models

// LossKind names one term of a loss the GPU engine computes on the device.
type LossKind int

// The loss terms, as package training names them: cross entropy, label
// smoothing, focal, soft F1 and logit-adjusted cross entropy.
const (
	LossCE LossKind = iota
	LossSmooth
	LossFocal
	LossF1
	LossLA
)

// DeviceLoss is a batch's loss as data, for the GPU engine to compute
// where the logits are (the kernels in models/cudakern: md_smooth_ce,
// md_focal, md_f1_counts, md_f1_grad and md_la_ce) instead of bringing them to the
// host's LossFunc and its gradient back up. It must be the same loss as
// the LossFunc set with it: the sum over the heads of Σ weight·term, each
// term as package training defines it.
type DeviceLoss struct {
	Terms []DeviceLossTerm
	// Gamma is focal's γ, Smoothing the label smoothing, Eps soft F1's ε.
	Gamma, Smoothing, Eps float64
	// Heads are the logit groups' sizes in column order (one group: the
	// 18 classes); Labels[h] each row's class within group h.
	Heads  []int
	Labels [][]int32
	// Adjust[h] is LossLA's shift of head h's logits (τ·log of each
	// class's prior); nil without a LossLA term.
	Adjust [][]float32
	// RowWeights[h] are head h's rows' weights in the ce, focal and
	// smooth terms (each row's class's weight over the rows' mean, for
	// --class-weights); nil: every row weighs 1.
	RowWeights [][]float32
}

// DeviceLossTerm is one weighted term of a DeviceLoss.
type DeviceLossTerm struct {
	Kind   LossKind
	Weight float64
}

// SetDeviceLoss has a net on the GPU compute the loss of the next
// training steps on the device (nil: the LossFunc on the host, as
// always on the CPU). The LossFunc still has to be set: it is the CPU's
// and the reference. GPULossOnDevice says whether callers should.
func (n *Net) SetDeviceLoss(l *DeviceLoss) { n.devLoss = l }

// HasDeviceLoss reports whether the next training step's loss is computed
// on the GPU (SetDeviceLoss on a net there), which QueueTrainStep needs.
func (n *Net) HasDeviceLoss() bool { return n.gpu != nil && n.devLoss != nil }

// Total is the batch's loss from the per-row losses the kernels write:
// perRow holds, head after head and within a head term after term, rows
// values each (soft F1 writes the batch's value into the first); it sums
// each term's mean over the rows (soft F1: its value) times its weight.
func (l *DeviceLoss) Total(perRow []float32, rows int) float64 {
	var total float64
	for h := range l.Heads {
		for t, term := range l.Terms {
			v := perRow[(h*len(l.Terms)+t)*rows:][:rows]
			var sum float64
			if term.Kind == LossF1 {
				sum = float64(v[0])
			} else {
				for _, e := range v {
					sum += float64(e)
				}
				sum /= float64(rows)
			}
			total += term.Weight * sum
		}
	}
	return total
}
