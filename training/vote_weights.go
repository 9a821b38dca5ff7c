package training

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// A weighted soft vote: each run's probabilities count with a weight of
// its own (the weights sum to 1), fitted on the validation images the
// runs share. A run much weaker than the others drags an equal vote
// below its best run (vgg-s at 0.5185 with cnn-s at 0.2234 voted 0.4590
// on the synthetic set); its weight falls to 0 instead.
//
// The weights come from Caruana et al.'s ensemble selection (ICML 2004),
// a standard of competitions: starting from nothing, add (with
// replacement) the run whose probabilities raise the vote's macro F1 on
// those images most, selectionRounds times, and keep the bag of the
// round that scored best; a run's weight is how often it is in that bag.
// It fits the competition's own score (which log-loss weights do not:
// they favour the better calibrated run over the better ranking one,
// and on that pair chose cnn-s 0.54 to vgg-s 0.46), and a single run is
// one of its answers. Whether the weights raise macro F1 on images they
// were not fitted on is what the held-out halves measure, as for class
// offsets.

// VoteWeights is a fit of a soft vote's weights and what it is worth.
type VoteWeights struct {
	Weights []float64 // one per run, in the runs' order; they sum to 1
	Images  int       // the validation images they were fitted on
	// Before and After are the macro F1 of the equal vote and of the
	// weighted one on those images (After is optimistic: fitted there).
	Before, After float64
	HeldOut       HeldOutGain
}

// Worth reports whether the weights are expected to raise macro F1 on
// new images (HeldOutGain.Worth).
func (v VoteWeights) Worth() bool { return v.HeldOut.Worth() }

// WeightSplits is how many times FitVoteWeights halves the images to
// measure the weights' held-out gain (each halving gives two estimates).
const WeightSplits = 5

// selectionRounds is how many runs ensemble selection adds (with
// replacement) per run it chooses from, at most maxSelectionRounds: the
// weights are multiples of one over the best round's count.
const (
	selectionRounds    = 10
	maxSelectionRounds = 100
)

// FitVoteWeights fits the weights of a soft vote of the runs on the
// validation predictions they kept at their checkpoints' epochs, which
// must be of the same images (ErrNoSharedValidation otherwise).
func FitVoteWeights(prs []RunPredictor) (VoteWeights, error) {
	if len(prs) < 2 {
		return VoteWeights{}, fmt.Errorf("weights need two runs or more to vote")
	}
	first, lps, err := sharedValidation(prs)
	if errors.Is(err, ErrNoSharedValidation) {
		return VoteWeights{}, fmt.Errorf("%w: weights are fitted on the images every run validated on, so give runs of one validation split (the same data, --split and --seed)", err)
	}
	if err != nil {
		return VoteWeights{}, err
	}
	return FitWeights(first.Truth, lps)
}

// FitWeights fits the weights of a soft vote of the models whose
// log-probabilities lps holds (a model each, a row per image) on labelled
// images, and measures them on held-out halves.
func FitWeights(truth []int, lps [][][]float64) (VoteWeights, error) {
	for k, lp := range lps {
		if err := checkCalibrationData(truth, lp); err != nil {
			return VoteWeights{}, fmt.Errorf("model %d: %w", k+1, err)
		}
	}
	probs := make([][][]float64, len(lps))
	for k, lp := range lps {
		probs[k] = make([][]float64, len(lp))
		for i, row := range lp {
			probs[k][i] = make([]float64, len(row))
			for c, v := range row {
				probs[k][i][c] = math.Exp(v)
			}
		}
	}
	w := selectEnsemble(truth, probs, nil)
	score := func(w []float64, idx []int) float64 {
		return offsetMacroF1(truth, WeightedSoftVote(lps, w), nil, idx)
	}
	v := VoteWeights{Weights: w, Images: len(truth), Before: score(nil, nil), After: score(w, nil)}
	v.HeldOut = heldOutGain(truth, WeightSplits, func(fitOn, testOn []int) float64 {
		return score(selectEnsemble(truth, probs, fitOn), testOn) - score(nil, testOn)
	})
	return v, nil
}

// selectEnsemble is ensemble selection on the images idx names (nil:
// all): the weights of the best round's bag. Ties go to the lower model
// and the earlier (smaller) bag.
func selectEnsemble(truth []int, probs [][][]float64, idx []int) []float64 {
	if idx == nil {
		idx = make([]int, len(truth))
		for i := range idx {
			idx[i] = i
		}
	}
	classes := len(probs[0][0])
	sum := make([][]float64, len(idx)) // the bag's summed probabilities, a row per image of idx
	for j := range sum {
		sum[j] = make([]float64, classes)
	}
	tally := newF1Tally(classes)
	scoreWith := func(k int) float64 {
		tally.reset()
		for j, i := range idx {
			best, bv := 0, math.Inf(-1)
			for c, v := range sum[j] {
				if k >= 0 {
					v += probs[k][i][c]
				}
				if v > bv {
					best, bv = c, v
				}
			}
			tally.count(truth[i], best)
		}
		return tally.macro()
	}
	counts := make([]int, len(probs))
	var best []int
	bestF := math.Inf(-1)
	for round := range min(selectionRounds*len(probs), maxSelectionRounds) {
		pick, pickF := 0, math.Inf(-1)
		for k := range probs {
			if f := scoreWith(k); f > pickF+1e-12 {
				pick, pickF = k, f
			}
		}
		counts[pick]++
		for j, i := range idx {
			for c, v := range probs[pick][i] {
				sum[j][c] += v
			}
		}
		if pickF > bestF+1e-12 || round == 0 {
			best, bestF = slices.Clone(counts), pickF
		}
	}
	total := 0
	for _, n := range best {
		total += n
	}
	w := make([]float64, len(best))
	for k, n := range best {
		w[k] = float64(n) / float64(total)
	}
	return w
}

// WeightedSoftVote averages the models' class probabilities with weights
// w (nil: equal) and returns log-probabilities.
func WeightedSoftVote(all [][][]float64, w []float64) [][]float64 {
	if len(all) == 0 {
		return nil
	}
	if w == nil {
		w = make([]float64, len(all))
		for k := range w {
			w[k] = 1 / float64(len(all))
		}
	}
	out := make([][]float64, len(all[0]))
	for i := range out {
		out[i] = make([]float64, len(all[0][i]))
		for c := range out[i] {
			var s float64
			for k, m := range all {
				s += w[k] * math.Exp(m[i][c])
			}
			out[i][c] = math.Log(s)
		}
	}
	return out
}
