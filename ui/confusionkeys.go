package ui

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// confusionKey handles the confusion view's keys: ←/→ scrub the epochs;
// e puts a cursor on a cell (the largest mistake), which the arrows move
// ([ and ] then scrub), enter opens the cell's images and esc leaves.
// With the images open, their pane has the keys.
func (m Model) confusionKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if m.errs.open {
		var cmd tea.Cmd
		m.errs, cmd = m.errs.key(msg, k, max(m.w, 40))
		return m, cmd
	}
	n := len(m.state.Confs)
	cur := m.confEpoch
	if cur < 0 || cur >= n {
		cur = n - 1
	}
	prev, next := k.Left, k.Right
	if m.picking {
		prev, next = k.EpochPrev, k.EpochNext
	}
	switch {
	case key.Matches(msg, prev):
		if cur > 0 {
			m.confEpoch = cur - 1
		}
	case key.Matches(msg, next):
		if cur+1 >= n-1 {
			m.confEpoch = -1
		} else {
			m.confEpoch = cur + 1
		}
	case key.Matches(msg, k.Percent):
		m.percent = !m.percent
	case key.Matches(msg, k.Projector) && !m.picking:
		return m.projectorKey()
	case m.projector.on && key.Matches(msg, k.Back):
		m.projector = projectorPane{}
		return m, nil
	case key.Matches(msg, k.AP) && !m.picking:
		m.ap.on = !m.ap.on
		if !m.ap.on {
			m.ap = apPane{}
		}
	case key.Matches(msg, k.Errors) && n > 0 && m.state.Confs[cur] != nil:
		m.picking = !m.picking
		m.offsets.shown = false // the cells' images are of the plain predictions
		if m.picking {
			m.cellT, m.cellP = worstCell(m.state.Confs[cur].M)
		}
	case m.picking && key.Matches(msg, k.Back):
		m.picking = false
	case m.picking && n > 0:
		c := m.state.Confs[cur]
		switch {
		case key.Matches(msg, k.Left):
			m.cellP = max(0, m.cellP-1)
		case key.Matches(msg, k.Right):
			m.cellP = min(c.N-1, m.cellP+1)
		case key.Matches(msg, k.Up):
			m.cellT = max(0, m.cellT-1)
		case key.Matches(msg, k.Down):
			m.cellT = min(c.N-1, m.cellT+1)
		case key.Matches(msg, k.Select):
			return m.openErrors(cur, m.cellT, m.cellP)
		}
	}
	return m.wantAP() // the shown epoch's APs, when the column is on
}

// worstCell is the off-diagonal cell with the most images (0,0 when
// there is no mistake).
func worstCell(m [][]int) (t, p int) {
	best := 0
	for i, row := range m {
		for j, v := range row {
			if i != j && v > best {
				best, t, p = v, i, j
			}
		}
	}
	return t, p
}

// openErrors opens the images of a cell of the epoch at index ep.
func (m Model) openErrors(ep, t, p int) (tea.Model, tea.Cmd) {
	dir := m.runDir()
	if dir == "" {
		m.flash, m.flashBad = "images: this dashboard does not know the run's folder", true
		return m, nil
	}
	m.picking, m.cellT, m.cellP = true, t, p
	m.offsets.shown = false // the cells' images are of the plain predictions
	var cmd tea.Cmd
	m.errs, cmd = m.errs.openCell(dir, m.state.EpochN[ep], t, p, m.opts.Renderer.ColorProfile())
	runsDir := m.opts.RunsDir
	if runsDir == "" || m.away != nil {
		runsDir = filepath.Dir(dir) // a run watched from its folder: its runs folder
	}
	m.errs.fixes = filepath.Join(runsDir, LabelFixesFile)
	return m, cmd
}

// LabelFixesFile is the label corrections file, in the runs folder, that
// F in the cell images appends to (train --fix-labels reads it).
const LabelFixesFile = "label-fixes.csv"

// flagged says what F did.
func (m Model) flagged(msg labelFlaggedMsg) Model {
	switch {
	case msg.err != nil:
		m.flash, m.flashBad = "flag: "+msg.err.Error(), true
	case len(msg.rows) == 0:
		m.flash, m.flashBad = "no correction for "+msg.id+": "+msg.why, true
	case msg.added == 0:
		m.flash, m.flashBad = msg.id+" is flagged already in "+msg.path, false
	default:
		m.flash, m.flashBad = fmt.Sprintf("flagged %s in %s (%s): look, then train --fix-labels it", msg.id, msg.path, strings.Join(msg.rows, " · ")), false
	}
	return m
}

// onMouse handles clicks: a tab in the header switches views, a cell of
// the confusion matrix opens its images, a thumbnail is selected.
func (m Model) onMouse(msg tea.MouseMsg) (tea.Model, tea.Cmd) {
	if m.view == viewOverview && !m.help.ShowAll && msg.Y > 0 {
		return m.chartMouse(msg, lipgloss.Height(m.headerView(max(m.w, 40))))
	}
	if msg.Action != tea.MouseActionPress || msg.Button != tea.MouseButtonLeft {
		return m, nil
	}
	if msg.Y == 0 {
		x := lipgloss.Width(m.styles.Title.Render("maskdash") + " ")
		for i := range viewNames {
			w := lipgloss.Width(m.styles.Tab.Render(m.tabLabel(i, max(m.w, 40))))
			if msg.X >= x && msg.X < x+w {
				return m.setView(i)
			}
			x += w
		}
		return m, nil
	}
	top := lipgloss.Height(m.headerView(max(m.w, 40))) // the body's first row
	if m.view == viewRuns {
		if i, ok := m.runs.rowAt(msg.Y-top, m.bodyHeight()); ok {
			m.runs.cursor = i
			return m, m.runs.loadPreview()
		}
		return m, nil
	}
	if m.view != viewConfusion {
		return m, nil
	}
	if m.errs.open {
		if k, ok := m.errs.thumbAt(msg.X, msg.Y-top, max(m.w, 40), m.bodyHeight()); ok {
			m.errs.sel = k
		}
		return m, nil
	}
	if ep, t, p, ok := m.cellAt(msg.X, msg.Y-top); ok {
		return m.openErrors(ep, t, p)
	}
	return m, nil
}

// bodyHeight is the rows between the header and the footer.
func (m Model) bodyHeight() int {
	w, h := max(m.w, 40), max(m.h, 12)
	return h - lipgloss.Height(m.headerView(w)) - lipgloss.Height(m.footerView(w))
}
