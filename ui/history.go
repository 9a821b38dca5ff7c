package ui

import (
	"math"
	"path/filepath"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/maskdash/maskdash/runs"
)

// The whole-history charts (H) read the run's history columns, which hold
// every step (the hub keeps a thinned copy for late viewers): min and max
// per screen column, so any run of any length, watched live, from disk or
// by a viewer who joined late, shows every step.

// historyMsg carries a run's history reduced to a chart's width.
type historyMsg struct {
	run  string
	hist *runs.History
	err  error
}

// historyTickMsg asks for the history again while H is on. gen is the H
// visit it was armed in (see refreshRunsMsg).
type historyTickMsg struct{ gen int }

// historyEvery is how often the whole-history charts are read again.
const historyEvery = 2 * time.Second

// loadHistory reads the current run's history columns into buckets (I/O,
// so in a command).
func (m Model) loadHistory(buckets int) tea.Cmd {
	id := m.state.Header.ID
	if id == "" || m.opts.RunsDir == "" {
		return nil
	}
	dir := m.runDir()
	if dir == "" {
		dir = filepath.Join(m.opts.RunsDir, id)
	}
	lo, hi := m.win.lo, m.win.hi
	return func() tea.Msg {
		var h *runs.History
		var err error
		if hi > 0 {
			h, err = runs.ReadHistoryRange(dir, lo, hi, buckets)
		} else {
			h, err = runs.ReadHistory(dir, buckets)
		}
		return historyMsg{run: id, hist: h, err: err}
	}
}

// historyTick re-arms the reload of the whole-history charts.
func (m Model) historyTick() tea.Cmd {
	gen := m.histGen
	return tea.Tick(historyEvery, func(time.Time) tea.Msg { return historyTickMsg{gen} })
}

// series returns a metric of the loaded history for the current run:
// each bucket's minimum and maximum, or nils when there is none.
func (m Model) historySeries(name string) (lo, hi []float64) {
	if m.hist == nil || m.histRun != m.state.Header.ID {
		return nil, nil
	}
	s := m.hist.Series[name]
	if s == nil || s.Count == 0 {
		return nil, nil
	}
	return s.Min, s.Max
}

// smoothings are the EMA weights s cycles through (0: raw).
var smoothings = []float64{0, 0.6, 0.9, 0.99}

// ema smooths ys with weight a (the previous smoothed value's share),
// debiased as TensorBoard does so that the start is not pulled to zero;
// NaNs are skipped and kept.
func ema(ys []float64, a float64) []float64 {
	if a <= 0 {
		return ys
	}
	out := make([]float64, len(ys))
	var acc, w float64
	for i, y := range ys {
		if math.IsNaN(y) || math.IsInf(y, 0) {
			out[i] = math.NaN()
			continue
		}
		acc = a*acc + (1-a)*y
		w = a*w + (1 - a)
		out[i] = acc / w
	}
	return out
}
