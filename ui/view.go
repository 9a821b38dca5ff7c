package ui

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/guptarohit/asciigraph"
	"github.com/maskdash/maskdash/training"
)

// The smallest window the dashboard draws in; a smaller one gets a line
// that says so (its lines used to wrap, or its top to scroll away).
const (
	MinWidth  = 40
	MinHeight = 12
)

// View implements tea.Model. It is a pure function of the model.
func (m Model) View() string {
	if m.w > 0 && m.h > 0 && (m.w < MinWidth || m.h < MinHeight) {
		return tooSmall(m.w, m.h)
	}
	w, h := max(m.w, MinWidth), max(m.h, MinHeight)
	head := m.headerView(w)
	foot := m.footerView(w)
	bodyH := h - lipgloss.Height(head) - lipgloss.Height(foot)
	var body string
	switch {
	case m.palette.open:
		body = m.paletteView(w, bodyH)
	case m.help.ShowAll:
		body = m.allKeys(w, bodyH)
	default:
		body = m.viewBody(w, bodyH)
	}
	body = fit(body, w, bodyH)
	return head + "\n" + body + "\n" + foot
}

// tooSmall fills a w×h window smaller than the dashboard's least with
// what it needs, in words cut to the width.
func tooSmall(w, h int) string {
	msg := fmt.Sprintf("maskdash needs a window of at least %d×%d; this one is %d×%d. q quits.", MinWidth, MinHeight, w, h)
	var lines []string
	for _, word := range strings.Fields(msg) {
		if n := len(lines); n > 0 && lipgloss.Width(lines[n-1])+1+lipgloss.Width(word) <= w {
			lines[n-1] += " " + word
			continue
		}
		lines = append(lines, truncate(word, w))
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines[:h], "\n")
}

// viewBody is the active view.
func (m Model) viewBody(w, bodyH int) string {
	var body string
	switch m.view {
	case viewConfusion:
		body = m.confusionView(w, bodyH)
	case viewRuns:
		body = m.runs.view(m.styles, w, bodyH)
	case viewSystem:
		body = m.systemView(w, bodyH)
	case viewLayers:
		body = m.layersView(w, bodyH)
	default:
		body = m.overviewView(w, bodyH)
	}
	return body
}

// allKeys lists every key with what it does, in columns that fill the
// body (the ? screen).
func (m Model) allKeys(w, h int) string {
	st := m.styles
	var entries []string
	kw := 0
	for _, group := range m.keys.FullHelp() {
		for _, b := range group {
			kw = max(kw, lipgloss.Width(b.Help().Key))
		}
	}
	for gi, group := range m.keys.FullHelp() {
		if gi > 0 {
			entries = append(entries, "")
		}
		for _, b := range group {
			k := fmt.Sprintf("%-*s", kw, b.Help().Key)
			desc := b.Help().Desc
			if !b.Enabled() {
				desc += " (off for viewers)"
			}
			entries = append(entries, st.Value.Render(k)+" "+st.Dim.Render(desc))
		}
	}
	rows := max(h-1, 1)
	var parts []string
	used, hidden := 0, 0
	for i := 0; i < len(entries); i += rows {
		col := strings.Join(entries[i:min(i+rows, len(entries))], "\n")
		cw := lipgloss.Width(col)
		if i > 0 {
			cw += 3
		}
		if used+cw > w && i > 0 {
			// Whole columns only: one cut at the edge hid the ends of its
			// keys' descriptions, and the columns past it all their keys.
			for _, e := range entries[i:] {
				if e != "" {
					hidden++
				}
			}
			break
		}
		if i > 0 {
			parts = append(parts, "   ")
		}
		parts = append(parts, col)
		used += cw
	}
	title := "every key"
	if hidden > 0 {
		title = fmt.Sprintf("every key; %d more in a wider window, or find any with :", hidden)
	}
	return st.BoxTitle.Render(truncate(title, w)) + "\n" + lipgloss.JoinHorizontal(lipgloss.Top, parts...)
}

// stateBadge is the run's state for the title line; short leaves out
// "finished: " for a narrow screen (the state says it: done, stopped,
// failed).
func (m Model) stateBadge(short bool) string {
	st := m.styles
	state := m.state.State
	s := string(state)
	if s == "" {
		s = string(training.StateStarting)
	}
	if m.ended() && !short {
		s = "finished: " + s
	}
	switch state {
	case training.StateRunning:
		return st.Good.Render("● " + s)
	case training.StatePaused, training.StateStopping:
		return st.Warn.Render("‖ " + s)
	case training.StateFailed, training.StateStalled:
		return st.Bad.Render("✗ " + s)
	default: // starting, done, stopped
		return st.Dim.Render("○ " + s)
	}
}

func (m Model) headerView(w int) string {
	st := m.styles
	s := m.state
	var tabs []string
	for i := range viewNames {
		label := m.tabLabel(i, w)
		if i == m.view {
			tabs = append(tabs, st.TabOn.Render(label))
		} else {
			tabs = append(tabs, st.Tab.Render(label))
		}
	}
	// the viewer's role, long and short: on a narrow screen the short
	// one, then none, so that the run's state at the end still shows (at
	// 80 columns a watched run's "finished: done" was cut to "don")
	roles := []string{"", "", ""} // long, short, none
	if m.ctrl() == nil {
		roles[0], roles[1] = " viewer (read-only)", " read-only"
	}
	if m.away != nil || m.opts.Remote {
		roles[0] += " from its folder"
		roles[1] += " folder"
	}
	line1 := ""
fit: // the program's name goes last
	for _, base := range []string{st.Title.Render("maskdash") + " " + strings.Join(tabs, ""), strings.Join(tabs, "")} {
		for _, short := range []bool{false, true} {
			for _, role := range roles {
				if role != "" {
					role = st.Warn.Render(role)
				}
				line1 = base + role + "  " + m.stateBadge(short)
				if lipgloss.Width(line1) <= w {
					break fit
				}
			}
		}
	}
	hd := s.Header
	id := hd.ID
	if id == "" {
		id = "(starting…)"
	}
	// The run's settings, most telling first: on a narrow screen whole
	// settings drop from the end rather than one being cut mid-word, and
	// "+N more" says how many.
	head := st.Dim.Render("run ") + st.Value.Render(id)
	if hd.Parent != "" {
		head += st.Dim.Render(" ← " + hd.Parent)
	}
	device := hd.Device
	if hd.Precision != "" {
		device += " " + hd.Precision
	}
	if s.GPUTotal > 0 {
		device += fmt.Sprintf(" %.1f/%.0f GiB", s.GPUMem/1024, s.GPUTotal/1024)
	}
	parts := []string{hd.Model, hd.LossShown(s.Loss), hd.Optim + " lr " + fmtLR(s.LR), device, fmt.Sprintf("batch %d", hd.Batch), hd.Img, hd.Sampler}
	hd.CutMix, hd.Mixup = s.CutMix, s.Mixup            // as changed while training
	hd.LATau, hd.FocalGamma, hd.Smoothing = "", "", "" // beside the loss where they apply to it
	parts = append(parts, hd.Tricks()...)
	parts = append(parts, fmt.Sprintf("%d/%d imgs", hd.Train, hd.Val))
	line2 := head
	if rest := joinFitCounted(parts, " · ", w-lipgloss.Width(head)-2); rest != "" {
		line2 += "  " + st.Dim.Render(rest)
	}
	bar := m.bar
	bar.Width = max(w-52, 10)
	// s.Epoch counts finished epochs: once the last is done, say so
	// rather than 0% of an epoch that will not run.
	epoch, pct := s.Epoch+1, 100*s.Progress
	if s.Epochs > 0 && epoch > s.Epochs {
		epoch, pct = s.Epochs, 100
	}
	pace := fmt.Sprintf("%.0f img/s · ETA %s", s.IPS, s.ETA())
	if s.State == training.StatePaused || s.State == training.StateStalled {
		pace = string(s.State) // not the last speed and an ETA from it: neither holds while it waits
	}
	if m.ended() {
		pace = "finished"
		if d := s.Took(); d > 0 {
			pace = "finished in " + d.String()
		}
	}
	// on a narrow screen the step goes first, then the pace, each whole
	// (at 46 columns "finished in 3s" was cut to "finishe")
	progress := fmt.Sprintf("epoch %d/%d %3.0f%%", epoch, s.Epochs, pct)
	step := fmt.Sprintf("step %d", s.Step)
	room := w - bar.Width - 1
	text := progress
	for _, parts := range [][]string{{progress, step, pace}, {progress, pace}} {
		if t := strings.Join(parts, " · "); lipgloss.Width(t) <= room {
			text = t
			break
		}
	}
	line3 := bar.ViewAs(s.Overall()) + " " + text
	if hd.ID == "" && !m.ended() {
		// Before the run exists there are no settings, epochs or speed
		// to show (they read "lr - · batch 0", "epoch 1/0"): what it is
		// doing instead (drawing the synthetic set, a range test).
		doing := s.StateMsg
		if doing == "" {
			doing = "reading the data and building the model"
		}
		line2 = head + "  " + st.Dim.Render(doing)
		line3 = bar.ViewAs(0) + " " + string(s.State)
	}
	return truncate(line1, w) + "\n" + truncate(line2, w) + "\n" + truncate(line3, w)
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
	case m.promptKind != promptNone:
		hint := "  (enter to apply, esc to cancel)"
		if m.promptFresh {
			hint = "  (type to replace, arrows to edit, enter to apply, esc to cancel)"
		}
		line = m.prompt.View() + st.Dim.Render(hint)
	case m.flash != "":
		if m.flashBad {
			line = st.Bad.Render(m.flash)
		} else {
			line = st.Good.Render(m.flash)
		}
	case m.state.Dropped > 0:
		line = st.Dim.Render(fmt.Sprintf("(this screen skipped %d step updates to keep up)", m.state.Dropped))
	}
	return truncate(line, w) + "\n" + m.helpView(w)
}

// helpView is the key help: one line that always ends with ? and q
// (dropping less needed keys on narrow screens), or with ? the full list
// in as many rows of columns as the width needs.
func (m Model) helpView(w int) string {
	st := m.styles
	h := m.help
	h.Width = 0 // we fit it ourselves
	if h.ShowAll {
		return st.Dim.Render(truncate("every key above · ? closes this", w))
	}
	if m.palette.open {
		k := m.keys
		return truncate(h.ShortHelpView([]key.Binding{
			key.NewBinding(key.WithKeys("up"), key.WithHelp("↑/↓", "choose")),
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "run it")), k.Cancel}), w)
	}
	if m.view == viewConfusion && (m.picking || m.errs.open) {
		k := m.keys
		keys := []key.Binding{
			key.NewBinding(key.WithKeys("up"), key.WithHelp("arrows", "move")),
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "its images")),
			key.NewBinding(key.WithKeys("["), key.WithHelp("[/]", "epoch")), k.Back, k.Quit}
		if m.errs.open {
			keys = []key.Binding{key.NewBinding(key.WithKeys("up"), key.WithHelp("arrows", "select")),
				key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "large")),
				key.NewBinding(key.WithKeys("F"), key.WithHelp("F", "flag label")), // fits 80 columns with m
				key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "class maps")), k.Back, k.Quit}
		}
		return truncate(h.ShortHelpView(keys), w)
	}
	suffix := ""
	if m.ctrl() == nil {
		suffix = st.Dim.Render("  · viewer: control keys disabled")
	}
	helps := m.keys.ShortHelps(m.ended(), m.remote())
	for _, keys := range helps {
		line := h.ShortHelpView(keys) + suffix
		if lipgloss.Width(line) <= w {
			return line
		}
		if lipgloss.Width(h.ShortHelpView(keys)) <= w {
			return h.ShortHelpView(keys)
		}
	}
	return truncate(h.ShortHelpView(helps[len(helps)-1]), w)
}

// overviewView draws the loss, validation and learning-rate charts and
// the latest events.
func (m Model) overviewView(w, h int) string {
	st := m.styles
	if m.win.cursor >= 0 && h > 8 {
		line := st.Cursor.Render(truncate(m.readout(m.stepWindow(m.chartWidth())), w))
		return line + "\n" + m.overviewCharts(w, h-1)
	}
	return m.overviewCharts(w, h)
}

// tabLabel is a view's tab: its number and name, shortened on a narrow
// screen; the layers tab ends in "!" while the last measure has a tensor
// in trouble, so it shows from every view.
func (m Model) tabLabel(i, w int) string {
	label := fmt.Sprintf("%d %s", i+1, viewNames[i])
	switch {
	case w < 64 && i != m.view:
		// a phone's width: the other views by number alone, so that the
		// run's state still fits at the line's end
		label = fmt.Sprint(i + 1)
	case w < 90:
		label = fmt.Sprintf("%d %s", i+1, []string{"over", "conf", "runs", "sys", "lay"}[i])
	}
	if i == viewLayers && m.layersTrouble() {
		label += "!"
	}
	return label
}

// layersTrouble reports whether the last measure has a tensor in
// trouble: one that is not finite or gets no gradient, or one that moves
// too fast or barely moves at this measure and the one before. A single
// fast measure is not marked: Adam's first steps move every value by
// about the rate, which in the default run's first measure is 0.16 of
// its output layer's norm (the layers view still shows that verdict).
func (m Model) layersTrouble() bool {
	layers := m.state.Layers
	if len(layers) == 0 {
		return false
	}
	before := map[string]training.LayerHealth{}
	if len(layers) > 1 {
		prev := layers[len(layers)-2]
		for _, s := range prev.Stats {
			before[s.Name] = s.Health(prev.Step)
		}
	}
	last := layers[len(layers)-1]
	for _, s := range last.Stats {
		switch h := s.Health(last.Step); {
		case h == training.LayerNonFinite || h == training.LayerNoGrad:
			return true
		case !h.Fine():
			if b, ok := before[s.Name]; ok && b == h {
				return true
			}
		}
	}
	return false
}

// compact says whether the screen is small (below 100×30, a phone over
// SSH): the overview then draws one chart and the figures as text.
func (m Model) compact() bool { return m.w < 100 || m.h < 30 }

// overviewCharts is the overview below the cursor's readout.
func (m Model) overviewCharts(w, h int) string {
	st := m.styles
	s := m.state
	if m.compact() {
		return m.compactOverview(w, h)
	}
	logH := max(3, min(6, h/5))
	chartsH := h - logH - 1
	var panels string
	if w >= 110 {
		half := (w - 2) / 2
		left := m.lossPanel(half, chartsH)
		vh := chartsH * 6 / 10
		right := m.valPanel(half, vh) + "\n" + m.lrPanel(half, chartsH-vh)
		panels = lipgloss.JoinHorizontal(lipgloss.Top, fit(left, half, chartsH), "  ", fit(right, half, chartsH))
	} else {
		lrH := max(2, min(4, chartsH/5))
		vh := max(3, (chartsH-lrH)*4/10)
		lh := chartsH - lrH - vh
		panels = m.lossPanel(w, lh) + "\n" + m.valPanel(w, vh) + "\n" + m.lrPanel(w, lrH)
		panels = fit(panels, w, chartsH)
	}
	var log []string
	for _, l := range s.Log[max(0, len(s.Log)-logH):] {
		t := fitWords(l.T.Format("15:04:05")+" "+l.Text, w)
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

// named is a title part: a figure and, in colour, the colour of its line
// (or, without colour, how to tell the line apart).
func (m Model) named(figure, color, plain string) string {
	if m.styles.Color {
		plain = color
	}
	if plain == "" {
		return figure
	}
	return figure + " (" + plain + ")"
}

// panel is a chart with a one-line title of parts that fit its width.
func (m Model) panel(w, h int, title []string, series [][]float64, colors ...asciigraph.AnsiColor) string {
	return m.styles.BoxTitle.Render(joinFit(title, " · ", w)) + "\n" +
		plot(series, chartOpts{W: w, H: h - 1, Color: m.styles.Color, Colors: m.colors(colors...)})
}

func (m Model) lossPanel(w, h int) string {
	s := m.state
	plotW := max(w-12, 10)
	win := m.stepWindow(plotW)
	a := smoothings[m.smooth]
	band := false
	for i := range win.lossHi {
		if win.lossLo[i] != win.lossHi[i] && !math.IsNaN(win.lossLo[i]) {
			band = true
			break
		}
	}
	var series [][]float64
	colors := []asciigraph.AnsiColor{m.styles.Series.TrainLoss, m.styles.Series.TrainLoss, m.styles.Series.ValLoss}
	switch {
	case band && a > 0 && m.styles.Color:
		// Each column's minimum and maximum faded, the smoothed middle
		// over them.
		mid := make([]float64, len(win.lossHi))
		for i := range mid {
			mid[i] = (win.lossHi[i] + win.lossLo[i]) / 2
		}
		series = [][]float64{win.lossHi, win.lossLo, ema(mid, a), win.val}
		colors = []asciigraph.AnsiColor{m.styles.Series.Raw, m.styles.Series.Raw, m.styles.Series.TrainLoss, m.styles.Series.ValLoss}
	case band:
		// Several steps a column: each column's minimum and maximum.
		series = [][]float64{win.lossHi, win.lossLo, win.val}
	case a > 0:
		series = [][]float64{ema(win.lossHi, a), nil, win.val}
		if m.styles.Color {
			// The raw curve faded behind the smoothed one.
			series = append([][]float64{win.lossHi}, series...)
			colors = append([]asciigraph.AnsiColor{m.styles.Series.Raw}, colors...)
		}
	default:
		series = [][]float64{win.lossHi, nil, win.val}
	}
	var mode string
	switch {
	case m.win.hi > 0:
		mode = fmt.Sprintf("loss, steps %s–%s (z/Z zoom)", thousands(m.win.lo), thousands(m.win.hi))
	case win.all && len(win.steps) > 0:
		// The history's rows are samples (a step event each), not steps.
		mode = fmt.Sprintf("loss, all %s steps", thousands(win.steps[len(win.steps)-1]))
	case m.history:
		mode = fmt.Sprintf("loss, all %d points", len(s.Train))
	default:
		mode = "loss, recent"
	}
	if a > 0 && (!band || m.styles.Color) {
		mode += fmt.Sprintf(" EMA %.2g", a)
	}
	if m.win.logY {
		mode += " · log y"
	}
	if m.win.x != xStep {
		mode += " · x: " + xAxisNames[m.win.x]
	}
	title := []string{mode}
	if n := len(s.Train); n > 0 {
		title = append(title, m.named(fmt.Sprintf("train %.4f", s.Train[n-1]), m.styles.Names[m.styles.Series.TrainLoss], ""))
	}
	if n := len(s.ValLoss); n > 0 {
		title = append(title, m.named(fmt.Sprintf("val %.4f", s.ValLoss[n-1]), m.styles.Names[m.styles.Series.ValLoss], "steps"))
	}
	if n := len(s.LossMarks); n > 0 {
		// The curves jump where the loss changed: say where, and to what.
		title = append(title, fmt.Sprintf("▲ step %d → %s", s.LossMarks[n-1].Step, s.LossMarks[n-1].Loss))
	}
	return m.stepChart(w, h, title, series, colors, win, true)
}

// stepChart draws one of the step charts over the window: the x-axis in
// the chosen unit (when axis), the log y, and the cursor's marker.
func (m Model) stepChart(w, h int, title []string, series [][]float64, colors []asciigraph.AnsiColor, win window, axis bool) string {
	o := chartOpts{W: w, H: h - 1, Color: m.styles.Color, Colors: m.colors(colors...)}
	if len(m.state.Steps) == 0 {
		o.Empty = "waiting for the first training steps…" // a first epoch decodes its images as it goes
	}
	if m.win.logY {
		for i := range series {
			series[i] = logOf(series[i])
		}
		o.YFmt = func(v float64) string { return fmt.Sprintf("%.3g", math.Pow(10, v)) }
	}
	if axis && len(win.steps) > 1 {
		o.XLo, o.XHi = float64(win.steps[0]), float64(win.steps[len(win.steps)-1])
		o.XFmt = func(v float64) string { return m.xLabel(win, v) }
	}
	cur := -1
	if m.win.cursor >= 0 {
		cur = win.cursorIndex(m.win.cursor)
	}
	if cur >= 0 && o.H > 3 {
		o.H--
	}
	chart := plot(series, o)
	out := m.styles.BoxTitle.Render(joinFit(title, " · ", w)) + "\n" + chart
	if cur >= 0 && h-1 > 3 {
		out += "\n" + m.styles.Cursor.Render(marker(dataOffset(chart), max(w-12, 10), len(win.steps), cur))
	}
	return out
}

func (m Model) valPanel(w, h int) string {
	s := m.state
	title := "validation"
	n := len(s.ValF1)
	if n > 0 {
		// Macro F1 (the competition's score) first; on a narrow panel the
		// short form keeps both figures rather than dropping accuracy.
		f1, acc := fmt.Sprintf("%.4f", s.ValF1[n-1]), fmt.Sprintf("%.3f", s.ValAcc[n-1])
		f1c, accc := m.styles.Names[m.styles.Series.F1], m.styles.Names[m.styles.Series.Acc]
		// With --val-train the newest epochs validated on images the run
		// trained on: every form of the title says so.
		last, short := "per epoch", ""
		if from := s.SeenFrom(); from > 0 {
			last, short = fmt.Sprintf("seen in training from epoch %d", from), fmt.Sprintf(" · seen from %d", from)
		}
		// With --ema, the training weights' own F1 beside their
		// average's (the figure above, which the checkpoints keep).
		own, ownShort := "", ""
		if s.HasOwnF1() {
			own = m.named(fmt.Sprintf("training weights %.4f", s.ValOwnF1[n-1]), "gray", "dotted")
			ownShort = m.named(fmt.Sprintf("unaveraged %.4f", s.ValOwnF1[n-1]), "gray", "dotted")
		}
		title = firstFit(w,
			joinFit([]string{"validation", m.named("macro F1 "+f1, f1c, ""), own, m.named("accuracy "+acc, accc, "upper"), last}, " · ", 1<<20),
			joinFit([]string{"validation", m.named("macro F1 "+f1, f1c, ""), own, m.named("accuracy "+acc, accc, "upper")}, " · ", 1<<20)+short,
			joinFit([]string{"val", m.named("F1 "+f1, f1c, ""), ownShort, m.named("acc "+acc, accc, "upper")}, " · ", 1<<20)+short,
			joinFit([]string{"val", m.named("F1 "+f1, f1c, ""), ownShort, "acc " + acc}, " · ", 1<<20)+short,
			joinFit([]string{"val F1 " + f1, strings.TrimSuffix(strings.TrimSuffix(ownShort, " (gray)"), " (dotted)"), "acc " + acc}, " · ", 1<<20)+short)
	}
	o := chartOpts{W: w, H: h - 1, Color: m.styles.Color, Colors: m.colors(m.styles.Series.Acc, m.styles.Series.F1)}
	switch {
	case s.Header.ID != "" && s.Header.Val == 0:
		o.Empty = "no validation images: no figures to draw"
	case s.Header.ID != "":
		o.Empty = fmt.Sprintf("each epoch ends with a validation on its %d images", s.Header.Val)
	}
	if n > 1 {
		o.XLo, o.XHi, o.XWhole = 1, float64(n), true
		o.XFmt = func(v float64) string { return fmt.Sprintf("%.0f", v) }
	}
	// The epochs validated on images the run trained on, dashed.
	from := s.SeenFrom()
	in := [][]float64{s.ValAcc, s.ValF1}
	if s.HasOwnF1() {
		in = append(in, s.ValOwnF1)
		o.Colors = m.colors(m.styles.Series.Acc, m.styles.Series.F1, m.styles.Series.Raw)
		o.Chars = []asciigraph.CharSet{asciigraph.DefaultCharSet, asciigraph.DefaultCharSet, asciigraph.CreateCharSet("·")}
	}
	series := dashSeen(in, []int{from, from, from}, &o)
	return m.styles.BoxTitle.Render(fitWords(title, w)) + "\n" + plot(series, o)
}

func (m Model) lrPanel(w, h int) string {
	s := m.state
	title := []string{"learning rate " + fmtLR(s.LR)}
	for i := len(s.Marks) - 1; i >= 0 && i >= len(s.Marks)-3; i-- {
		mk := s.Marks[i]
		title = append(title, fmt.Sprintf("▲ step %d → %s", mk.Step, fmtLR(mk.LR)))
	}
	win := m.stepWindow(max(w-12, 10))
	lr := win.lr
	if n := len(lr); n > 0 && win.reachesNow(&s) && s.LR > 0 && lr[n-1] != s.LR {
		// A change made since the last step event (the run may be
		// paused): where the window ends at the newest step, its right
		// edge is now, so it shows the new rate there rather than from
		// the next step event on (a zoomed window too, once it reaches
		// the newest step).
		lr = append(lr[:n-1:n-1], s.LR)
	}
	return m.stepChart(w, h, title, [][]float64{lr}, []asciigraph.AnsiColor{m.styles.Series.LR}, win, false)
}

// compactOverview is the overview of a small screen: the loss chart, one
// line of validation figures and learning rate, and the latest events.
func (m Model) compactOverview(w, h int) string {
	st := m.styles
	s := m.state
	logH := max(1, min(3, h/7))
	chartH := max(h-logH-2, 4)
	var figs []string
	if n := len(s.ValF1); n > 0 {
		best := s.BestHeldOut()
		if s.SeenFrom() > 0 {
			// --val-train: the newest figures are of images trained on;
			// the held-out best comes first, before what may not fit.
			figs = append(figs, fmt.Sprintf("val F1 %.4f (seen)", s.ValF1[n-1]))
			if !math.IsInf(best, -1) {
				figs = append(figs, fmt.Sprintf("best %.4f", best))
			}
			figs = append(figs, fmt.Sprintf("acc %.3f", s.ValAcc[n-1]), fmt.Sprintf("loss %.4f", s.ValLoss[n-1]))
		} else {
			figs = append(figs, fmt.Sprintf("val F1 %.4f", s.ValF1[n-1]))
			if s.HasOwnF1() { // --ema: the training weights' own
				figs = append(figs, fmt.Sprintf("unaveraged %.4f", s.ValOwnF1[n-1]))
			}
			figs = append(figs, fmt.Sprintf("acc %.3f", s.ValAcc[n-1]), fmt.Sprintf("loss %.4f", s.ValLoss[n-1]))
			if best > s.ValF1[n-1] {
				figs = append(figs, fmt.Sprintf("best %.4f", best))
			}
		}
	} else {
		figs = append(figs, "validation after the first epoch")
	}
	figs = append(figs, "lr "+fmtLR(s.LR))
	var log []string
	for _, l := range s.Log[max(0, len(s.Log)-logH):] {
		t := fitWords(l.T.Format("15:04")+" "+l.Text, w)
		if l.Bad {
			log = append(log, st.Bad.Render(t))
		} else {
			log = append(log, st.Dim.Render(t))
		}
	}
	return fit(m.lossPanel(w, chartH), w, chartH) + "\n" + st.Value.Render(joinFit(figs, " · ", w)) + "\n" + strings.Join(log, "\n")
}
