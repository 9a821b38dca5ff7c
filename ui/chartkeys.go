package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// chartKey handles the overview's keys for reading the step charts: X
// cycles the x-axis, Y the log scale, z and Z zoom in and out around the
// cursor (or the middle), , and . move the cursor, esc resets.
func (m Model) chartKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	win := m.stepWindow(m.chartWidth())
	switch {
	case key.Matches(msg, k.XAxis):
		m.win.x = (m.win.x + 1) % numXAxes
	case key.Matches(msg, k.LogY):
		m.win.logY = !m.win.logY
	case key.Matches(msg, k.ZoomIn):
		return m.zoom(win, 0.5, -1)
	case key.Matches(msg, k.ZoomOut):
		return m.zoom(win, 2, -1)
	case key.Matches(msg, k.CursorL), key.Matches(msg, k.CursorR):
		if len(win.steps) == 0 {
			return m, nil
		}
		i := len(win.steps) - 1
		if m.win.cursor >= 0 {
			i = win.cursorIndex(m.win.cursor)
			if key.Matches(msg, k.CursorL) {
				i = max(i-1, 0)
			} else {
				i = min(i+1, len(win.steps)-1)
			}
		}
		m.win.cursor = win.steps[i]
	case key.Matches(msg, k.Back):
		m.win = chartWin{x: m.win.x, logY: m.win.logY, cursor: -1}
		if m.history {
			return m, m.loadHistory(m.chartWidth())
		}
	}
	return m, nil
}

// zoom scales the visible step range by f around column at (-1: the
// cursor, else the middle) and reads the history columns for it.
func (m Model) zoom(win window, f float64, at int) (tea.Model, tea.Cmd) {
	if len(win.steps) < 2 {
		return m, nil
	}
	lo, hi := win.steps[0], win.steps[len(win.steps)-1]
	if m.win.hi > 0 {
		lo, hi = m.win.lo, m.win.hi
	}
	mid := (lo + hi) / 2
	switch {
	case at >= 0 && at < len(win.steps):
		mid = win.steps[at]
	case m.win.cursor >= 0:
		mid = m.win.cursor
	}
	span := max(int(float64(hi-lo)*f), 8)
	nlo, nhi := max(mid-span/2, 0), mid+span/2
	first := 0
	if len(m.state.Steps) > 0 {
		first = m.state.Steps[0]
	}
	if f > 1 && nlo <= first && nhi >= m.state.Step {
		// Zoomed all the way out.
		m.win.lo, m.win.hi = 0, 0
		if !m.history {
			return m, nil
		}
		return m, m.loadHistory(m.chartWidth())
	}
	m.win.lo, m.win.hi = nlo, nhi
	m.histGen++
	return m, tea.Batch(m.loadHistory(m.chartWidth()), m.historyTick())
}

// chartMouse handles the mouse on the overview: the wheel zooms around
// the column under the pointer, a click puts the cursor there.
func (m Model) chartMouse(msg tea.MouseMsg, top int) (tea.Model, tea.Cmd) {
	win := m.stepWindow(m.chartWidth())
	if len(win.steps) == 0 {
		return m, nil
	}
	// The loss chart is the first panel: its data starts after the axis
	// labels (about 11 cells), one column a point.
	w := max(m.w, 40)
	if w >= 110 && msg.X > (w-2)/2 {
		return m, nil // the right-hand panels are per epoch
	}
	head := lipgloss.Height(m.headerView(w))
	if msg.Y < top || msg.Y <= head {
		return m, nil
	}
	plotW := m.chartWidth()
	col := msg.X - 11
	i := len(win.steps) - 1
	if plotW > 1 && len(win.steps) > 1 {
		i = max(0, min(len(win.steps)-1, col*(len(win.steps)-1)/(plotW-1)))
	}
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		return m.zoom(win, 0.5, i)
	case tea.MouseButtonWheelDown:
		return m.zoom(win, 2, i)
	case tea.MouseButtonLeft:
		if msg.Action == tea.MouseActionPress {
			m.win.cursor = win.steps[i]
		}
	default: // other buttons do nothing here
	}
	return m, nil
}
