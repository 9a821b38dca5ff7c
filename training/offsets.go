package training

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/maskdash/maskdash/dataset"
)

// Class offsets: macro F1, the competition's score, counts a rare class
// (60 and over, an incorrectly worn mask) as much as a common one, while
// a net trained on the usual losses picks the class of highest
// probability, which favours the common ones. Adding an offset to each
// class's log-probability before the argmax moves the borders between
// classes. The offsets are fitted on a run's validation predictions
// (which it keeps each epoch, val/NNN.preds), so no retraining is needed,
// and their gain is estimated on halves of the validation images that the
// fit did not see: the gain on the images they were fitted on is
// optimistic.

// MaxClassOffset bounds each fitted offset (a class's own, or a group's
// it shares), in nats: e^4 ≈ 55 times the probability at most. Past that
// a class is all but always or never predicted, which a few validation
// images can seem to reward.
const MaxClassOffset = 4.0

// offsetPasses bounds the rounds of coordinate ascent; each round fits
// every class once and a fit stops at the first round that gains nothing
// (two or three on the synthetic set).
const offsetPasses = 3

// offsetBags is how many bootstrap resamples of the images a fit
// averages the offsets of. One exact fit follows the noise of the images
// it sees (on the synthetic set, 3,780 validation images, its held-out
// gain was +0.002 macro F1, 13 of 20 halves gaining); the mean of 20 fits
// on resamples gained +0.018, 19 of 20 (NOTES.md, fourteenth session).
const offsetBags = 20

// OffsetSplits is how many times CalibrateClasses halves the validation
// images (stratified by class) to estimate the offsets' gain on images
// they were not fitted on: each halving gives two estimates.
const OffsetSplits = 5

// ClassCalibration is a fit of class offsets and what it is worth.
type ClassCalibration struct {
	Offsets []float64 // one per class, added to its log-probability
	Before  float64   // macro F1 of the plain argmax on the fitted images
	After   float64   // and with the offsets: optimistic, they were fitted there
	HeldOut HeldOutGain
}

// Worth reports whether the offsets are expected to help on new images:
// their mean held-out gain is positive and at least two halves in three
// gained. A mean gain with as many halves losing as gaining is noise (a
// 20-epoch cnn-s on the synthetic set: +0.002, 11 of 20).
func (c ClassCalibration) Worth() bool { return c.HeldOut.Worth() }

// OffsetGroups are the sets of classes that each get an offset of their
// own: every class alone, and for the 18 mask classes (masked) also each
// value of each task (every "60+" class, every "incorrect" class…), which
// moves a task's border with one offset fitted on all its images.
func OffsetGroups(classes int, masked bool) [][]int {
	var g [][]int
	if masked && classes == dataset.NumClasses {
		for t, size := range dataset.TaskSizes {
			for v := range size {
				var m []int
				for c := range classes {
					if dataset.TaskLabel(c, t) == v {
						m = append(m, c)
					}
				}
				g = append(g, m)
			}
		}
	}
	for c := range classes {
		g = append(g, []int{c})
	}
	return g
}

// CalibrateClasses fits class offsets on labelled log-probabilities (a
// row per image), groups sharing an offset each (OffsetGroups), and
// estimates their gain on held-out halves.
func CalibrateClasses(truth []int, lp [][]float64, groups [][]int) (ClassCalibration, error) {
	if err := checkCalibrationData(truth, lp); err != nil {
		return ClassCalibration{}, err
	}
	for _, g := range groups {
		for _, c := range g {
			if c < 0 || c >= len(lp[0]) {
				return ClassCalibration{}, fmt.Errorf("an offset group names class %d of %d", c, len(lp[0]))
			}
		}
	}
	off := FitClassOffsets(truth, lp, groups)
	return ClassCalibration{
		Offsets: off,
		Before:  offsetMacroF1(truth, lp, nil, nil),
		After:   offsetMacroF1(truth, lp, off, nil),
		HeldOut: estimateOffsetGain(truth, lp, groups, OffsetSplits),
	}, nil
}

func checkCalibrationData(truth []int, lp [][]float64) error {
	if len(lp) == 0 || len(lp) != len(truth) {
		return fmt.Errorf("class offsets need labelled predictions: %d images, %d labels", len(lp), len(truth))
	}
	c := len(lp[0])
	for i, row := range lp {
		if len(row) != c {
			return fmt.Errorf("image %d has %d class probabilities, image 0 has %d", i, len(row), c)
		}
		if truth[i] < 0 || truth[i] >= c {
			return fmt.Errorf("image %d has class %d of %d", i, truth[i], c)
		}
		for _, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("image %d has a log-probability that is not a finite number (did the run diverge?)", i)
			}
		}
	}
	return nil
}

// AddOffsets adds off to every row's log-probabilities, in place. The rows
// are no longer normalized: their argmax is the offset prediction.
func AddOffsets(lp [][]float64, off []float64) {
	for _, row := range lp {
		for c := range row {
			row[c] += off[c]
		}
	}
}

// FitClassOffsets fits offsets, one per group of classes (groups), for
// the highest macro F1 of argmax(lp + off), and returns each class's
// offset (the sum of its groups'). It averages exact fits (fitOffsets) on
// offsetBags bootstrap resamples of the images, which generalizes far
// better than one exact fit. The rows must be finite (CalibrateClasses
// checks). The same input gives the same offsets.
func FitClassOffsets(truth []int, lp [][]float64, groups [][]int) []float64 {
	idx := make([]int, len(lp))
	for i := range idx {
		idx[i] = i
	}
	return fitBagged(truth, lp, idx, groups)
}

// fitBagged averages fitOffsets over offsetBags resamples of idx, the
// resamples fitted in parallel, each from its own seed.
func fitBagged(truth []int, lp [][]float64, idx []int, groups [][]int) []float64 {
	fits := make([][]float64, offsetBags)
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), offsetBags) {
		wg.Go(func() {
			for b := range next {
				r := rand.New(rand.NewPCG(uint64(b), uint64(len(idx))))
				sample := make([]int, len(idx))
				for i := range sample {
					sample[i] = idx[r.IntN(len(idx))]
				}
				fits[b] = fitOffsets(truth, lp, sample, groups)
			}
		})
	}
	for b := range offsetBags {
		next <- b
	}
	close(next)
	wg.Wait()
	off := make([]float64, len(lp[0]))
	for _, f := range fits {
		for c, v := range f {
			off[c] += v / offsetBags
		}
	}
	return off
}

// fitOffsets fits, on the rows idx names, one offset per group of
// classes (a class's offset is the sum of its groups'), and returns the
// classes' offsets.
func fitOffsets(truth []int, lp [][]float64, idx []int, groups [][]int) []float64 {
	s := newOffsetSweep(len(lp[0]), len(idx))
	off, param := make([]float64, len(lp[0])), make([]float64, len(groups))
	for range offsetPasses {
		gained := false
		for g, members := range groups {
			if s.fit(truth, lp, idx, off, members, &param[g]) {
				gained = true
			}
		}
		if !gained {
			break
		}
	}
	return off
}

// offsetSweep holds one group's fit's buffers, reused from group to
// group.
type offsetSweep struct {
	tally   f1Tally
	border  []offsetBorder
	in, out []int
	member  []bool
}

// offsetBorder is the offset past which image i is predicted a class of
// the group being fitted.
type offsetBorder struct {
	at float64
	i  int // the image
	k  int // its place in the sweep's in and out
}

func newOffsetSweep(classes, n int) *offsetSweep {
	return &offsetSweep{tally: newF1Tally(classes), border: make([]offsetBorder, n), in: make([]int, n), out: make([]int, n), member: make([]bool, classes)}
}

// fit sets the offset *param that a group of classes shares (off holds
// every class's offset, *param included, and is kept up to date) to the
// value that maximizes macro F1 with the other offsets held, and reports
// whether macro F1 rose. An image is predicted its best class inside the
// group or its best outside it, whichever scores more: with the group's
// offset below every border each image is predicted its best outside
// class, and raising it past image i's border (its best outside score
// minus its best inside one, without the group's offset) turns it to its
// best inside class. Each interval between borders is one confusion
// matrix: the sweep tries them all in order, moving the tally one image
// at a time, and takes the best (of equals, the one nearest the current
// offset, so nothing is moved for nothing).
func (s *offsetSweep) fit(truth []int, lp [][]float64, idx []int, off []float64, members []int, param *float64) bool {
	clear(s.member)
	for _, c := range members {
		s.member[c] = true
	}
	cur := *param
	if len(members) == len(off) {
		return false // every class: the argmax cannot change
	}
	s.tally.reset()
	n := 0
	for _, i := range idx {
		in, iv, out, ov := -1, math.Inf(-1), -1, math.Inf(-1)
		for c, v := range lp[i] {
			v += off[c]
			if s.member[c] {
				if in < 0 || v-cur > iv {
					in, iv = c, v-cur
				}
			} else if out < 0 || v > ov {
				out, ov = c, v
			}
		}
		// An image whose border is outside the offsets' bounds is
		// predicted the same at every offset tried: counted, not sorted.
		switch at := ov - iv; {
		case at <= -MaxClassOffset:
			s.tally.count(truth[i], in)
		case at >= MaxClassOffset:
			s.tally.count(truth[i], out)
		default:
			s.in[n], s.out[n] = in, out
			s.border[n] = offsetBorder{at, i, n}
			s.tally.count(truth[i], out)
			n++
		}
	}
	b := s.border[:n]
	slices.SortFunc(b, func(x, y offsetBorder) int {
		switch {
		case x.at < y.at:
			return -1
		case x.at > y.at:
			return 1
		}
		return 0
	})
	curF, bestF, bestAt, bestDist := math.NaN(), math.Inf(-1), cur, math.Inf(1)
	try := func(lo, hi float64) {
		lo, hi = max(lo, -MaxClassOffset), min(hi, MaxClassOffset)
		if lo >= hi {
			return
		}
		f, at := s.tally.macro(), (lo+hi)/2
		dist := math.Abs(at - cur)
		if lo < cur && cur < hi {
			curF, at, dist = f, cur, 0
		}
		if f > bestF+1e-12 || f >= bestF-1e-12 && dist < bestDist {
			bestF, bestAt, bestDist = f, at, dist
		}
	}
	lo := math.Inf(-1)
	for j := 0; j < len(b); {
		at := b[j].at
		try(lo, at)
		for ; j < len(b) && b[j].at == at; j++ {
			s.tally.move(truth[b[j].i], s.out[b[j].k], s.in[b[j].k])
		}
		lo = at
	}
	try(lo, math.Inf(1))
	if bestAt == cur || !(math.IsNaN(curF) || bestF > curF+1e-12) {
		return false
	}
	for _, c := range members {
		off[c] += bestAt - cur
	}
	*param = bestAt
	return true
}

// offsetMacroF1 is the macro F1 of argmax(lp + off) over the rows idx
// names (nil: every row; off nil: no offsets).
func offsetMacroF1(truth []int, lp [][]float64, off []float64, idx []int) float64 {
	t := newF1Tally(len(lp[0]))
	pred := func(i int) int {
		best, bv := 0, math.Inf(-1)
		for c, v := range lp[i] {
			if off != nil {
				v += off[c]
			}
			if v > bv {
				best, bv = c, v
			}
		}
		return best
	}
	if idx == nil {
		for i := range lp {
			t.count(truth[i], pred(i))
		}
	} else {
		for _, i := range idx {
			t.count(truth[i], pred(i))
		}
	}
	return t.macro()
}

// estimateOffsetGain fits offsets on one half of the images and scores
// them on the other (heldOutGain's halves).
func estimateOffsetGain(truth []int, lp [][]float64, groups [][]int, splits int) HeldOutGain {
	return heldOutGain(truth, splits, func(fitOn, testOn []int) float64 {
		off := fitBagged(truth, lp, fitOn, groups)
		return offsetMacroF1(truth, lp, off, testOn) - offsetMacroF1(truth, lp, nil, testOn)
	})
}
