package ui

import (
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
			var sc runs.StepCurve
			if sc, err = runs.TrainingLossCurve(dir, overlayBuckets); err == nil {
				c = runCurve{steps: sc.Steps, ys: ema(sc.Values, overlaySmoothing)}
			}
		default:
			name := map[overlayMetric]string{overlayF1: "f1", overlayAcc: "acc", overlayValLoss: "loss"}[k.metric]
			c.ys, err = training.EpochCurve(dir, name)
		}
		return curveLoadedMsg{k, c, err}
	}
}

// overlaySeries lays the picked runs' curves on one x-axis: per epoch,
// padded with gaps to the longest; per step, on one step axis of cols
// columns (runs.OnOneStepAxis). lastStep is that axis's last step (0 per
// epoch).
func overlaySeries(curves []runCurve, perStep bool, cols int) (series [][]float64, lastStep int) {
	if !perStep {
		for _, c := range curves {
			series = append(series, c.ys)
		}
		return padded(series), 0
	}
	sc := make([]runs.StepCurve, len(curves))
	for i, c := range curves {
		sc[i] = runs.StepCurve{Steps: c.steps, Values: c.ys}
	}
	return runs.OnOneStepAxis(sc, cols)
}
