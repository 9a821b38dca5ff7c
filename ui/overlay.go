package ui

import (
	"errors"
	"fmt"
	"io/fs"
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
	overlayMaskF1                         // the mask task's macro F1, per epoch (mask layout runs)
	overlayGenderF1                       // the gender task's
	overlayAgeF1                          // the age task's
	overlayMetrics                        // how many there are
)

// epochMetric is training.EpochCurve's name of a per-epoch overlay.
var epochMetric = map[overlayMetric]string{overlayF1: "f1", overlayAcc: "acc", overlayValLoss: "loss",
	overlayMaskF1: "mask-f1", overlayGenderF1: "gender-f1", overlayAgeF1: "age-f1"}

// task reports whether the overlay is one task's macro F1.
func (m overlayMetric) task() bool {
	return m == overlayMaskF1 || m == overlayGenderF1 || m == overlayAgeF1
}

func (m overlayMetric) title() string {
	switch m {
	case overlayAcc:
		return "validation accuracy per epoch"
	case overlayValLoss:
		return "validation loss per epoch"
	case overlayTrainLoss:
		return "training loss per step (smoothed)"
	case overlayMaskF1:
		return "mask macro F1 per epoch"
	case overlayGenderF1:
		return "gender macro F1 per epoch"
	case overlayAgeF1:
		return "age macro F1 per epoch"
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
			c.Values, err = training.EpochCurve(dir, epochMetric[k.metric])
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
	return plotLaid(series, last, perStep, o)
}

// plotLaid draws series laid out by overlaySeries (lastStep: its step
// axis's last step, 0 per epoch).
func plotLaid(series [][]float64, last int, perStep bool, o chartOpts) string {
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

// aggregated reports whether the overlay averages the picked runs by
// group: the table is grouped and some group has two picked runs or
// more (seeds, folds); with the groups (pickedGroups).
func (r runsModel) aggregated() (values []string, members [][]int, ok bool) {
	key := groupKeys[r.groupBy]
	if key == "" {
		return nil, nil, false
	}
	values, members = r.pickedGroups(key)
	return values, members, len(values) < len(r.selected)
}

// pickedGroups splits the picked runs by the value of setting key (the
// runs table's grouping), in pick order: each group's value and the
// indices of its runs in r.selected.
func (r runsModel) pickedGroups(key string) (values []string, members [][]int) {
	at := map[string]int{}
	for i, id := range r.selected {
		v := ""
		if info, ok := r.info(id); ok {
			v = runs.Setting(info, key)
		}
		g, ok := at[v]
		if !ok {
			g = len(values)
			at[v] = g
			values = append(values, v)
			members = append(members, nil)
		}
		members[g] = append(members[g], i)
	}
	return values, members
}

// groupMeans averages laid-out series (overlaySeries) by group: each
// group's pointwise mean over the runs that have a value there (NaN where
// none has), and at its last point the mean and sample deviation with the
// number of runs that reach it.
func groupMeans(series [][]float64, members [][]int) (means [][]float64, last []meanSD) {
	// at is group g's values at point k.
	at := func(g []int, k int) []float64 {
		var vs []float64
		for _, i := range g {
			if k < len(series[i]) && !math.IsNaN(series[i][k]) {
				vs = append(vs, series[i][k])
			}
		}
		return vs
	}
	for _, g := range members {
		n := 0
		for _, i := range g {
			n = max(n, len(series[i]))
		}
		mean := make([]float64, n)
		var ls meanSD
		for k := range n {
			mean[k] = math.NaN()
			if vs := at(g, k); len(vs) > 0 {
				ls.mean, ls.sd = meanSpread(vs)
				ls.n = len(vs)
				mean[k] = ls.mean
			}
		}
		means = append(means, mean)
		last = append(last, ls)
	}
	return means, last
}

// meanSD is a group's figure at its last point.
type meanSD struct {
	mean, sd float64
	n        int
}
