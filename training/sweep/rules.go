package sweep

import (
	"fmt"
	"math"
	"sort"

	"github.com/maskdash/maskdash/training"
)

// Defaults of the rules.
const (
	DefaultMinEpochs = 1 // ASHA's first rung; the median rule's grace
	DefaultEta       = 3 // ASHA's reduction factor
)

// curves reads every trial's validation macro F1 per epoch, but trial
// skip's (the one asking); epochs that validated on images the trial
// trained on (--val-train) are NaN, as a trial that has not reached them.
func (sw *Sweep) curves(skip int) [][]float64 {
	var out [][]float64
	for i := range sw.Trials {
		if i == skip {
			continue
		}
		c, err := training.HeldOutF1(sw.RunDir(i))
		if err == nil && len(c) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// Gate returns the epoch gate of trial i under the sweep's rule (nil for
// none): after each epoch the trial reads its siblings' curves from their
// run folders and decides for itself, so no process has to watch the
// sweep and the rule works the same on Slurm and here.
func (sw *Sweep) Gate(i int) *training.EpochGate {
	minE, eta := sw.MinEpochs, sw.Eta
	if minE <= 0 {
		minE = DefaultMinEpochs
	}
	if eta < 2 {
		eta = DefaultEta
	}
	switch sw.EarlyStop {
	case RuleASHA:
		return &training.EpochGate{Decide: func(epoch int, f1 float64) (bool, string) {
			return ASHA(epoch, f1, sw.curves(i), minE, eta)
		}}
	case RuleMedian:
		return &training.EpochGate{Decide: func(epoch int, f1 float64) (bool, string) {
			best := f1
			if own, err := training.HeldOutF1(sw.RunDir(i)); err == nil {
				best = max(best, bestUpTo(own, epoch))
			}
			return Median(epoch, best, sw.curves(i), minE)
		}}
	case RuleNone:
	}
	return nil
}

// ASHA is asynchronous successive halving's decision at the end of an
// epoch: rungs are at minE, minE·η, minE·η², … epochs; at a rung, a trial
// goes on only if its macro F1 there is among the top max(1, ⌊n/η⌋) of
// the n trials that have reached the rung so far (itself included), and
// only once n ≥ η (fewer say too little). Elsewhere it goes on.
func ASHA(epoch int, f1 float64, others [][]float64, minE, eta int) (stop bool, why string) {
	rung, k := minE, 0
	for rung < epoch {
		rung *= eta
		k++
	}
	if rung != epoch {
		return false, ""
	}
	vals := []float64{f1}
	for _, c := range others {
		if len(c) >= epoch && !math.IsNaN(c[epoch-1]) {
			vals = append(vals, c[epoch-1])
		}
	}
	n := len(vals)
	if n < eta {
		return false, ""
	}
	keep := max(1, n/eta)
	rank := 0
	for _, v := range vals[1:] {
		if v > f1 {
			rank++
		}
	}
	if rank < keep {
		return false, ""
	}
	return true, fmt.Sprintf("ASHA: macro F1 %.4f at epoch %d ranks %d of %d trials at rung %d; the top %d go on (η %d)", f1, epoch, rank+1, n, k+1, keep, eta)
}

// Median is the median stopping rule: from epoch minE on, a trial whose
// best macro F1 so far is below the median of the other trials' best by
// the same epoch stops (it needs two others to compare with).
func Median(epoch int, best float64, others [][]float64, minE int) (stop bool, why string) {
	if epoch < minE {
		return false, ""
	}
	var bs []float64
	for _, c := range others {
		if len(c) >= epoch {
			bs = append(bs, bestUpTo(c, epoch))
		}
	}
	if len(bs) < 2 {
		return false, ""
	}
	sort.Float64s(bs)
	med := bs[len(bs)/2]
	if len(bs)%2 == 0 {
		med = (bs[len(bs)/2-1] + bs[len(bs)/2]) / 2
	}
	if best >= med {
		return false, ""
	}
	return true, fmt.Sprintf("median rule: best macro F1 %.4f by epoch %d is below the median %.4f of %d other trials there", best, epoch, med, len(bs))
}

func bestUpTo(c []float64, epoch int) float64 {
	b := math.Inf(-1)
	for _, v := range c[:min(epoch, len(c))] {
		if !math.IsNaN(v) {
			b = max(b, v)
		}
	}
	return b
}
