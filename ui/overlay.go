package ui

import (
	"math"
	"path/filepath"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
)

// overlayMetric is what the runs view draws for the picked runs, one
// curve each in its run's colour (m cycles through them).
type overlayMetric int

const (
	overlayF1        overlayMetric = iota // validation macro F1, per epoch
	overlayAcc                            // validation accuracy, per epoch
	overlayValLoss                        // validation loss, per epoch
	overlayTrainLoss                      // training loss, per step (the history columns), smoothed
	overlayMetrics                        // how many there are
)

func (m overlayMetric) title() string {
	switch m {
	case overlayAcc:
		return "validation accuracy per epoch"
	case overlayValLoss:
		return "validation loss per epoch"
	case overlayTrainLoss:
		return "training loss per step (smoothed)"
	case overlayF1, overlayMetrics:
	}
	return "validation macro F1 per epoch"
}

// overlaySmoothing is the training loss's EMA factor over the history's
// buckets (each already a stretch of steps).
const overlaySmoothing = 0.8

// overlayBuckets is how finely a run's step history is read for the
// overlay: more than any screen is wide.
const overlayBuckets = 1000

// curveKey names one loaded curve: a run's metric.
type curveKey struct {
	id     string
	metric overlayMetric
}

// runCurve is one run's curve: per epoch (steps nil), or per step (the
// last step of each history bucket, smoothed values).
type runCurve struct {
	steps []int
	ys    []float64
}

// curveLoadedMsg carries one run's curve of one metric.
type curveLoadedMsg struct {
	key   curveKey
	curve runCurve
	err   error
}

// loadCurve reads a picked run's curve of the overlaid metric (I/O, so
// in a command).
func (r runsModel) loadCurve(id string) tea.Cmd {
	dir, k := filepath.Join(r.dir, filepath.FromSlash(id)), curveKey{id, r.overlay}
	return func() tea.Msg {
		var c runCurve
		var err error
		switch k.metric {
		case overlayTrainLoss:
			var h *runs.History
			if h, err = runs.ReadHistory(dir, overlayBuckets); err == nil {
				if s := h.Series["loss"]; s != nil {
					c = runCurve{steps: s.Step, ys: ema(s.Last, overlaySmoothing)}
				}
			}
		default:
			name := map[overlayMetric]string{overlayF1: "f1", overlayAcc: "acc", overlayValLoss: "loss"}[k.metric]
			c.ys, err = training.EpochCurve(dir, name)
		}
		return curveLoadedMsg{k, c, err}
	}
}

// overlaySeries lays the picked runs' curves on one x-axis: per epoch,
// padded with gaps to the longest; per step, resampled into cols columns
// over steps 0 to the last step of any run (each column the mean of the
// run's buckets that end in it, carried across columns with none, a gap
// past the run's own last step). lastStep is that last step (0 per
// epoch).
func overlaySeries(curves []runCurve, perStep bool, cols int) (series [][]float64, lastStep int) {
	if !perStep {
		n := 0
		for _, c := range curves {
			n = max(n, len(c.ys))
		}
		for _, c := range curves {
			s := append([]float64(nil), c.ys...)
			for len(s) < n {
				s = append(s, math.NaN())
			}
			series = append(series, s)
		}
		return series, 0
	}
	for _, c := range curves {
		if len(c.steps) > 0 {
			lastStep = max(lastStep, c.steps[len(c.steps)-1])
		}
	}
	cols = max(cols, 2)
	for _, c := range curves {
		s := make([]float64, cols)
		j := 0
		prev := math.NaN()
		for x := range s {
			end := float64(lastStep) * float64(x+1) / float64(cols)
			var sum float64
			n := 0
			for ; j < len(c.steps) && float64(c.steps[j]) <= end; j++ {
				if !math.IsNaN(c.ys[j]) {
					sum += c.ys[j]
					n++
				}
			}
			switch {
			case n > 0:
				prev = sum / float64(n)
				s[x] = prev
			case len(c.steps) > 0 && float64(c.steps[len(c.steps)-1]) > end:
				s[x] = prev // a column between two of the run's buckets
			default:
				s[x] = math.NaN() // before its first or past its last step
			}
		}
		series = append(series, s)
	}
	return series, lastStep
}
