package ui

import (
	"errors"
	"fmt"
	"io/fs"
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

// curveKey names one loaded curve: a run's metric.
type curveKey struct {
	id     string
	metric overlayMetric
}

// curveLoadedMsg carries one run's curve of one metric.
type curveLoadedMsg struct {
	key   curveKey
	curve runs.StepCurve // per epoch: Values alone
	err   error
}

// loadCurve reads a picked run's curve of the overlaid metric (I/O, so
// in a command).
func (r runsModel) loadCurve(id string) tea.Cmd {
	dir, k := filepath.Join(r.dir, filepath.FromSlash(id)), curveKey{id, r.overlay}
	return func() tea.Msg {
		var c runs.StepCurve
		var err error
		switch k.metric {
		case overlayTrainLoss:
			c, err = runs.TrainingLossCurve(dir, runs.ChartBuckets)
		default:
			name := map[overlayMetric]string{overlayF1: "f1", overlayAcc: "acc", overlayValLoss: "loss"}[k.metric]
			c.Values, err = training.EpochCurve(dir, name)
		}
		if errors.Is(err, fs.ErrNotExist) {
			err = nil // a run that has logged nothing yet: no curve so far
		}
		return curveLoadedMsg{k, c, err}
	}
}

// overlaySeries lays runs' curves on one x-axis: per epoch, padded with
// gaps to the longest; per step, each smoothed, on one step axis of cols
// columns (runs.OnOneStepAxis). lastStep is that axis's last step (0 per
// epoch).
func overlaySeries(curves []runs.StepCurve, perStep bool, cols int) (series [][]float64, lastStep int) {
	if !perStep {
		for _, c := range curves {
			series = append(series, c.Values)
		}
		return padded(series), 0
	}
	sm := make([]runs.StepCurve, len(curves))
	for i, c := range curves {
		sm[i] = runs.StepCurve{Steps: c.Steps, Values: ema(c.Values, overlaySmoothing)}
	}
	return runs.OnOneStepAxis(sm, cols)
}

// overlayChart draws runs' curves as overlaySeries lays them out, with
// the steps labelled below when they are per step: the runs view's
// overlay and compare's chart (PlotSteps).
func overlayChart(curves []runs.StepCurve, perStep bool, o chartOpts) string {
	series, last := overlaySeries(curves, perStep, max(o.W-14, 10))
	if !perStep && len(series) > 0 && len(series[0]) > 1 {
		o.XLo, o.XHi, o.XWhole = 1, float64(len(series[0])), true
		o.XFmt = func(v float64) string { return fmt.Sprintf("%.0f", v) }
	}
	if last > 0 {
		o.XLo, o.XHi = 0, float64(last)
		o.XFmt = func(v float64) string { return fmt.Sprintf("%.0f", v) }
	}
	return plot(series, o)
}
