package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/guptarohit/asciigraph"
	"github.com/maskdash/maskdash/training"
)

// View implements tea.Model. It is a pure function of the model.
func (m Model) View() string {
	w, h := max(m.w, 40), max(m.h, 12)
	head := m.headerView(w)
	foot := m.footerView(w)
	bodyH := h - lipgloss.Height(head) - lipgloss.Height(foot)
	var body string
	switch m.view {
	case viewConfusion:
		body = m.confusionView(w, bodyH)
	case viewRuns:
		body = m.runs.view(m.styles, w, bodyH, m.keys)
	default:
		body = m.overviewView(w, bodyH)
	}
	body = fit(body, w, bodyH)
	return head + "\n" + body + "\n" + foot
}

// fit cuts or pads s to exactly h lines of at most w cells.
func fit(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:max(h, 0)]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = truncate(l, w)
		}
	}
	return strings.Join(lines, "\n")
}

// truncate cuts a line to w cells, keeping ANSI sequences intact.
func truncate(s string, w int) string {
	return lipgloss.NewStyle().MaxWidth(w).Render(s)
}

func (m Model) stateBadge() string {
	st := m.styles
	state := m.state.State
	s := string(state)
	if s == "" {
		s = string(training.StateStarting)
	}
	if m.ended() {
		s = "finished: " + s
	}
	switch state {
	case training.StateRunning:
		return st.Good.Render("● " + s)
	case training.StatePaused, training.StateStopping:
		return st.Warn.Render("‖ " + s)
	case training.StateFailed, training.StateStalled:
		return st.Bad.Render("✗ " + s)
	}
	return st.Dim.Render("○ " + s)
}

func (m Model) headerView(w int) string {
	st := m.styles
	s := m.state
	var tabs []string
	for i, n := range viewNames {
		label := fmt.Sprintf("%d %s", i+1, n)
		if i == m.view {
			tabs = append(tabs, st.TabOn.Render(label))
		} else {
			tabs = append(tabs, st.Tab.Render(label))
		}
	}
	role := ""
	if m.opts.Ctrl == nil {
		role = st.Warn.Render(" viewer (read-only)")
	}
	line1 := st.Title.Render("maskdash") + " " + strings.Join(tabs, "") + role + "  " + m.stateBadge()
	hd := s.Header
	id := hd.ID
	if id == "" {
		id = "(starting…)"
	}
	line2 := st.Dim.Render("run ") + st.Value.Render(id)
	if hd.Parent != "" {
		line2 += st.Dim.Render(" ← " + hd.Parent)
	}
	line2 += st.Dim.Render(fmt.Sprintf("  %s · %s · %s lr %s · batch %d · %s · %s · %d/%d imgs · %s",
		hd.Model, s.Loss, hd.Optim, fmtLR(s.LR), hd.Batch, hd.Img, hd.Sampler, hd.Train, hd.Val, hd.Device))
	if s.GPUTotal > 0 {
		line2 += st.Dim.Render(fmt.Sprintf(" %.1f/%.0f GiB", s.GPUMem/1024, s.GPUTotal/1024))
	}
	m.bar.Width = max(w-52, 10)
	// s.Epoch counts finished epochs: once the last is done, say so
	// rather than 0% of an epoch that will not run.
	epoch, pct := s.Epoch+1, 100*s.Progress
	if s.Epochs > 0 && epoch > s.Epochs {
		epoch, pct = s.Epochs, 100
	}
	line3 := m.bar.ViewAs(s.Overall()) + fmt.Sprintf(" epoch %d/%d %3.0f%% · step %d · %.0f img/s · ETA %s",
		epoch, s.Epochs, pct, s.Step, s.IPS, s.ETA())
	return line1 + "\n" + truncate(line2, w) + "\n" + truncate(line3, w)
}

func fmtLR(lr float64) string {
	if lr == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3g", lr)
}

func (m Model) footerView(w int) string {
	st := m.styles
	var line string
	switch {
	case m.promptKind != "":
		line = m.prompt.View() + st.Dim.Render("  (enter to apply, esc to cancel)")
	case m.flash != "":
		if m.flashBad {
			line = st.Bad.Render(m.flash)
		} else {
			line = st.Good.Render(m.flash)
		}
	case m.state.Dropped > 0:
		line = st.Dim.Render(fmt.Sprintf("(this screen skipped %d step updates to keep up)", m.state.Dropped))
	}
	helpLine := m.help.View(m.keys)
	if m.opts.Ctrl == nil && !m.help.ShowAll {
		helpLine += st.Dim.Render("  · viewer: control keys disabled")
	}
	return truncate(line, w) + "\n" + helpLine
}

// overviewView draws the loss, validation and learning-rate charts and
// the latest events.
func (m Model) overviewView(w, h int) string {
	st := m.styles
	s := m.state
	logH := max(3, min(6, h/5))
	chartsH := h - logH - 1
	wide := w >= 110
	var panels string
	if wide {
		half := (w - 2) / 2
		left := m.lossPanel(half, chartsH)
		right := m.valPanel(half, chartsH/2) + "\n" + m.lrPanel(half, chartsH-chartsH/2)
		panels = lipgloss.JoinHorizontal(lipgloss.Top, fit(left, half, chartsH), "  ", fit(right, half, chartsH))
	} else {
		lrH := min(4, chartsH/4)
		vh := (chartsH - lrH) * 4 / 10
		lh := chartsH - lrH - vh
		panels = m.lossPanel(w, lh) + "\n" + m.valPanel(w, vh) + "\n" + m.lrPanel(w, lrH)
		panels = fit(panels, w, chartsH)
	}
	var log []string
	for _, l := range s.Log[max(0, len(s.Log)-logH):] {
		t := l.T.Format("15:04:05") + " " + l.Text
		if l.Bad {
			log = append(log, st.Bad.Render(t))
		} else {
			log = append(log, st.Dim.Render(t))
		}
	}
	return panels + "\n" + st.BoxTitle.Render("events") + "\n" + strings.Join(log, "\n")
}

func (m Model) colors(c ...asciigraph.AnsiColor) []asciigraph.AnsiColor {
	if !m.styles.Color {
		return nil
	}
	return c
}

func (m Model) lossPanel(w, h int) string {
	s := m.state
	title := "loss: training (recent steps)"
	var series [][]float64
	plotW := max(w-12, 10)
	val := s.ValLossAtSteps()
	if m.history {
		lo, hi := minMax(s.Train, plotW)
		_, vhi := minMax(val, plotW)
		series = [][]float64{hi, lo, vhi}
		title = fmt.Sprintf("loss: training (all %d points, min/max)", len(s.Train))
	} else {
		series = [][]float64{recent(s.Train, plotW), nil, recent(val, plotW)}
	}
	if n := len(s.Train); n > 0 {
		title += fmt.Sprintf(" %.4f", s.Train[n-1])
	}
	if n := len(s.ValLoss); n > 0 {
		title += fmt.Sprintf(" · validation (per epoch, flat line) %.4f", s.ValLoss[n-1])
	}
	return m.styles.BoxTitle.Render(title) + "\n" +
		plot(series, chartOpts{W: w, H: h - 1, Color: m.styles.Color, Colors: m.colors(asciigraph.Red, asciigraph.Orange, asciigraph.Blue)})
}

func (m Model) valPanel(w, h int) string {
	s := m.state
	title := "validation per epoch: accuracy ─ (green), macro F1 ─ (blue)"
	if !m.styles.Color {
		title = "validation per epoch: accuracy (upper), macro F1"
	}
	if n := len(s.ValF1); n > 0 {
		title += fmt.Sprintf(" · acc %.3f F1 %.4f", s.ValAcc[n-1], s.ValF1[n-1])
	}
	return m.styles.BoxTitle.Render(title) + "\n" +
		plot([][]float64{s.ValAcc, s.ValF1}, chartOpts{W: w, H: h - 1, Color: m.styles.Color, Colors: m.colors(asciigraph.Green, asciigraph.Blue)})
}

func (m Model) lrPanel(w, h int) string {
	s := m.state
	title := "learning rate " + fmtLR(s.LR)
	if n := len(s.Marks); n > 0 {
		var marks []string
		for _, mk := range s.Marks[max(0, n-3):] {
			marks = append(marks, fmt.Sprintf("▲%d→%s", mk.Step, fmtLR(mk.LR)))
		}
		title += " · changed " + strings.Join(marks, " ")
	}
	plotW := max(w-12, 10)
	lrs := recent(s.LRs, plotW)
	if m.history {
		_, lrs = minMax(s.LRs, plotW)
	}
	return m.styles.BoxTitle.Render(title) + "\n" +
		plot([][]float64{lrs}, chartOpts{W: w, H: h - 1, Color: m.styles.Color, Colors: m.colors(asciigraph.Yellow)})
}
