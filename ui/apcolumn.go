package ui

import (
	"math"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/maskdash/maskdash/runs"
)

// apPane is the confusion view's average precision column (A): each
// class's AP against the rest on the shown epoch's kept validation
// predictions (runs.ClassPR, as maskdash pr gives it), read from the
// run's folder in a command.
type apPane struct {
	on bool
	// The figures read, of run folder dir's epoch; pending while a read
	// runs.
	dir     string
	epoch   int
	vals    []float64
	mean    float64 // over the classes with images (runs.MacroAP)
	err     error
	pending bool
}

// apLoadedMsg brings one epoch's APs.
type apLoadedMsg struct {
	dir   string
	epoch int
	vals  []float64
	mean  float64
	err   error
}

// has reports whether the pane holds (or is reading) dir's epoch.
func (p apPane) has(dir string, epoch int) bool {
	return p.dir == dir && p.epoch == epoch && (p.vals != nil || p.err != nil || p.pending)
}

// shownEpoch is the epoch the confusion view shows (0: none yet).
func (m Model) shownEpoch() int {
	n := len(m.state.EpochN)
	if n == 0 {
		return 0
	}
	idx := m.confEpoch
	if idx < 0 || idx >= n {
		idx = n - 1
	}
	return m.state.EpochN[idx]
}

// wantAP starts reading the shown epoch's APs when the column is on and
// does not have them.
func (m Model) wantAP() (Model, tea.Cmd) {
	dir, epoch := m.runDir(), m.shownEpoch()
	if !m.ap.on || dir == "" || epoch == 0 || m.ap.has(dir, epoch) {
		return m, nil
	}
	m.ap = apPane{on: true, dir: dir, epoch: epoch, pending: true}
	return m, func() tea.Msg {
		p, err := runs.ReadValPreds(dir, epoch)
		if err != nil {
			return apLoadedMsg{dir: dir, epoch: epoch, err: err}
		}
		curves := make([]runs.PRCurve, p.Classes)
		vals := make([]float64, p.Classes)
		for c := range vals {
			curves[c] = runs.ClassPR(p, c)
			vals[c] = curves[c].AP
		}
		return apLoadedMsg{dir: dir, epoch: epoch, vals: vals, mean: runs.MacroAP(curves)}
	}
}

// apLoaded keeps the figures if they are still the ones wanted.
func (m Model) apLoaded(msg apLoadedMsg) Model {
	if m.ap.on && m.ap.dir == msg.dir && m.ap.epoch == msg.epoch {
		m.ap.vals, m.ap.mean, m.ap.err, m.ap.pending = msg.vals, msg.mean, msg.err, false
	}
	return m
}

// apOf is class c's AP for the shown epoch (NaN where the read failed,
// or the class has no image), with false while it is being read.
func (m Model) apOf(c int) (float64, bool) {
	if !m.ap.has(m.runDir(), m.shownEpoch()) || m.ap.pending {
		return 0, false
	}
	if m.ap.err != nil || c >= len(m.ap.vals) {
		return math.NaN(), true
	}
	return m.ap.vals[c], true
}
