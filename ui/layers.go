package ui

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/maskdash/maskdash/training"
)

// layerSample is one measured step's parameter norms (training.LayerStat,
// one per tensor, in the net's order).
type layerSample struct {
	Step  int
	Time  time.Time
	Stats []training.LayerStat
}

// MaxLayerSamples bounds the measured steps a RunState keeps (at one
// each 5 s, about 7 hours whole); older ones are thinned as step
// samples are.
const MaxLayerSamples = 5000

// layersPane is the layers view's own state: the tensor under the
// cursor, whose history the chart below the table draws, and which
// history: its update ratio, or (spread) its weights' distribution.
type layersPane struct {
	cursor int
	spread bool
}

// key moves the cursor over n tensors.
func (p layersPane) key(msg tea.KeyMsg, k KeyMap, n int) layersPane {
	switch {
	case key.Matches(msg, k.Up):
		p.cursor = max(p.cursor-1, 0)
	case key.Matches(msg, k.Down):
		p.cursor = min(p.cursor+1, max(n-1, 0))
	case key.Matches(msg, k.Spread):
		p.spread = !p.spread
	}
	return p
}

// sparkBlocks draw an update ratio on one fixed scale, 1e-6 (▁) to 1
// (█), the same for every row so that rows compare at a glance.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

const sparkLo, sparkHi = -6.0, 0.0 // log10 of the ratio

// logRatios are tensor i's update ratios over samples as log10, reduced
// to at most n values that cover the whole run: each the mean of its
// share of the samples (a geometric mean of the ratios), with the last
// step of that share. A sample without a ratio (weights all zero) is
// left out; a share with none is NaN.
func logRatios(samples []layerSample, i, n int) (logs, steps []float64) {
	n = min(n, len(samples))
	for b := range n {
		lo, hi := b*len(samples)/n, (b+1)*len(samples)/n
		sum, k := 0.0, 0
		for _, s := range samples[lo:hi] {
			if i < len(s.Stats) {
				if r := s.Stats[i].Ratio(); r > 0 && !math.IsInf(r, 0) {
					sum += math.Log10(r)
					k++
				}
			}
		}
		v := math.NaN()
		if k > 0 {
			v = sum / float64(k)
		}
		logs = append(logs, v)
		steps = append(steps, float64(samples[hi-1].Step))
	}
	return logs, steps
}

// spark draws tensor i's ratios over the whole run in at most n cells; a
// cell without a ratio is a space.
func spark(samples []layerSample, i, n int) string {
	logs, _ := logRatios(samples, i, n)
	var b strings.Builder
	for _, v := range logs {
		if math.IsNaN(v) {
			b.WriteRune(' ')
			continue
		}
		f := (v - sparkLo) / (sparkHi - sparkLo)
		k := int(math.Round(f * float64(len(sparkBlocks)-1)))
		b.WriteRune(sparkBlocks[min(max(k, 0), len(sparkBlocks)-1)])
	}
	return b.String()
}

// layerAdvice is what to do about a verdict, for the line over the table:
// the advice with the keys that do it.
func layerAdvice(h training.LayerHealth) string {
	keys := map[training.LayerHealth]string{training.LayerNonFinite: " (L)", training.LayerTooFast: " (- or L)", training.LayerSlow: " (+ or L)"}
	return h.Advice() + keys[h]
}

// layersView draws the parameters' health: per tensor the norms of its
// weights and gradient, the last measured step's update over the
// weights, that ratio over the whole run as a sparkline, and the last
// measure's verdict; below, the chosen tensor's ratio over the run on a
// log axis.
func (m Model) layersView(w, h int) string {
	st := m.styles
	samples := m.state.Layers
	if len(samples) == 0 {
		return st.Dim.Render(fitWords("the layers' figures appear with the first training step's event (runs from before this version have none)", w))
	}
	last := samples[len(samples)-1]
	cur := min(m.layers.cursor, len(last.Stats)-1)
	worst, worstAt := training.LayerOK, -1
	for i, s := range last.Stats {
		if hv := s.Health(last.Step); hv < worst {
			worst, worstAt = hv, i
		}
	}
	verdict := st.Good.Render(fitWords("no tensor is out of bounds (update/|w| between 1e-5 and 0.1 a step; compare each with 1e-3 on the chart)", w))
	if worstAt >= 0 {
		s := last.Stats[worstAt]
		verdict = st.Warn.Render(fitWords(fmt.Sprintf("%s: %s (update/|w| %.2g): %s", s.Name, worst, s.Ratio(), layerAdvice(worst)), w))
	}
	nameW := 9
	for _, s := range last.Stats {
		nameW = max(nameW, lipgloss.Width(s.Name))
	}
	nameW = min(nameW, max(w/3, 12))
	cols := fitLayerColumns(w, nameW)
	head := fmt.Sprintf("  %-*s", nameW, "tensor")
	for _, c := range cols {
		head += fmt.Sprintf(" %*s", c.width, c.head)
	}
	head += "  "
	sparkW := max(w-lipgloss.Width(head)-14, 0)
	if sparkW >= 8 {
		head += fmt.Sprintf("%-*s  ", sparkW, "history")
	} else {
		sparkW = 0
	}
	head += "verdict"
	lines := []string{"", verdict, st.Dim.Render(truncate(head, w))}
	tableRows := len(last.Stats)
	chartH := h - len(lines) - tableRows
	const minChart, minTable = 8, 6
	switch {
	case chartH >= minChart:
	case h-len(lines) >= minChart+minTable:
		// More tensors than fit beside the chart (resnet-s has 28): the
		// table scrolls to keep the cursor's row, the chart keeps a third.
		chartH = max(minChart, (h-len(lines))/3)
		tableRows = h - len(lines) - chartH
	default:
		// A short screen: the table scrolls and the chart goes.
		tableRows, chartH = max(h-len(lines), 1), 0
	}
	first := min(max(cur-tableRows+1, 0), max(len(last.Stats)-tableRows, 0))
	parts := []string{"layers", fmt.Sprintf("step %d", last.Step), fmt.Sprintf("%d tensors", len(last.Stats))}
	if tableRows < len(last.Stats) {
		parts = append(parts, fmt.Sprintf("rows %d–%d (↑/↓)", first+1, min(first+tableRows, len(last.Stats))))
	}
	lines[0] = st.BoxTitle.Render(joinFit(append(parts, "update/|w| per step: healthy near 1e-3", "history ▁ 1e-6 … █ 1"), " · ", w))
	for i := first; i < min(first+tableRows, len(last.Stats)); i++ {
		s := last.Stats[i]
		mark := "  "
		if i == cur {
			mark = "▸ "
		}
		row := fmt.Sprintf("%s%-*s", mark, nameW, truncate(s.Name, nameW))
		for _, c := range cols {
			row += fmt.Sprintf(" %*s", c.width, c.cell(s))
		}
		row += "  "
		if sparkW > 0 {
			row += fmt.Sprintf("%-*s  ", sparkW, spark(samples, i, sparkW))
		}
		hv := s.Health(last.Step)
		vs := st.Good
		if !hv.Fine() {
			vs = st.Warn
		}
		row = truncate(row, w-lipgloss.Width(hv.String()))
		if i == cur {
			row = st.Cursor.Render(row)
		}
		lines = append(lines, row+vs.Render(hv.String()))
	}
	if chartH > 0 {
		lines = append(lines, m.layerChart(samples, cur, w, chartH))
	}
	return strings.Join(lines, "\n")
}

// layerColumn is a figure column of the layers table.
type layerColumn struct {
	head  string
	width int
	cell  func(training.LayerStat) string
}

// fitLayerColumns is the table's figure columns that fit w beside the
// tensor's name (nameW) and the verdict: on a narrow screen the values'
// count goes first, then |grad|, then |w|, so that a column is shown
// whole or not at all (at 50 columns update/|w| was cut to its first
// digit, run into the verdict: "0ok"); update/|w|, which the verdict
// judges, always stays.
func fitLayerColumns(w, nameW int) []layerColumn {
	cols := []layerColumn{
		{"values", 8, func(s training.LayerStat) string { return fmt.Sprint(s.Size) }},
		{"|w|", 9, func(s training.LayerStat) string { return fmt.Sprintf("%.4g", s.Weight) }},
		{"|grad|", 9, func(s training.LayerStat) string { return fmt.Sprintf("%.4g", s.Grad) }},
		{"update/|w|", 10, func(s training.LayerStat) string { return fmt.Sprintf("%.3g", s.Ratio()) }},
	}
	verdictW := len("verdict")
	for h := training.LayerHealth(0); h <= training.LayerFixed; h++ {
		verdictW = max(verdictW, lipgloss.Width(h.String()))
	}
	need := func() int {
		n := 2 + nameW + 2 + verdictW
		for _, c := range cols {
			n += 1 + c.width
		}
		return n
	}
	for _, drop := range []string{"values", "|grad|", "|w|"} {
		if need() <= w {
			break
		}
		cols = slices.DeleteFunc(cols, func(c layerColumn) bool { return c.head == drop })
	}
	return cols
}

// layerChart is tensor i's update ratio over the whole run, on a log axis
// (↑/↓ choose the tensor), or with d its weights' spread (spreadChart).
func (m Model) layerChart(samples []layerSample, i, w, h int) string {
	if m.layers.spread {
		return m.spreadChart(samples, i, w, h)
	}
	ratio, steps := logRatios(samples, i, max(w-12, 10))
	// The usual healthy ratio as a faint line: the chart's scale then
	// always shows how far the tensor is from it.
	usual := make([]float64, len(ratio))
	for k := range usual {
		usual[k] = -3
	}
	name := samples[len(samples)-1].Stats[i].Name
	o := chartOpts{W: w, H: h - 1, Color: m.styles.Color, Colors: m.colors(m.styles.Series.Raw, m.styles.Series.LR),
		YFmt: func(v float64) string { return fmt.Sprintf("%.3g", math.Pow(10, v)) }}
	if len(steps) > 1 {
		o.XLo, o.XHi = steps[0], steps[len(steps)-1]
		o.XFmt = func(v float64) string { return fmt.Sprintf("%.0f", v) }
	}
	title := m.styles.BoxTitle.Render(joinFit([]string{name + ": update/|w| per step over the run, log y", "the flat line is 1e-3", "↑/↓ another tensor"}, " · ", w))
	return title + "\n" + plot([][]float64{usual, ratio}, o)
}
