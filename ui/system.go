package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/guptarohit/asciigraph"
)

// systemView draws the machine over the run's recent steps: images/s,
// CPU (cores busy), resident memory, the loader's queue fill and the
// share of time training waited for data, and on a cuda run the GPU's
// utilisation and memory. A line under the title says, from the last
// sample, whether training waits for data.
func (m Model) systemView(w, h int) string {
	st := m.styles
	sys := m.state.Sys
	if len(sys.IPS) == 0 {
		return st.Dim.Render("the system figures appear with the first training steps")
	}
	last := sys.Last
	verdict := "the loader keeps up: training rarely waits for data"
	if last.DataWait > 0.2 {
		verdict = fmt.Sprintf("training waits for data %.0f%% of the time: more --workers, a smaller --img, or a cached data set would help", 100*last.DataWait)
	}
	head := "system"
	if m.state.State.Ended() {
		// The figures are the last sample's: say so, or an ended run
		// reads as one still using the CPU.
		head = "system, as the run ended"
	}
	title := st.BoxTitle.Render(joinFit([]string{head, fmt.Sprintf("%.0f img/s", m.state.IPS), fmt.Sprintf("CPU %.0f%%", 100*last.CPU),
		fmt.Sprintf("RSS %.0f MiB", last.RSS), fmt.Sprintf("queue %.0f%%", 100*last.Queue), fmt.Sprintf("waits %.0f%%", 100*last.DataWait)}, " · ", w))
	cols := 1
	if w >= 110 {
		cols = 2
	}
	cw := w
	if cols == 2 {
		cw = (w - 2) / 2
	}
	plotW := max(cw-12, 10)
	type chart struct {
		title  string
		series [][]float64
		colors []asciigraph.AnsiColor
	}
	charts := []chart{
		{fmt.Sprintf("images/s %.0f", m.state.IPS), [][]float64{sys.IPS}, []asciigraph.AnsiColor{m.styles.Series.Acc}},
		{fmt.Sprintf("CPU %.0f%% (100%% = one core)", 100*last.CPU), [][]float64{scale(recent(sys.CPU, plotW), 100)}, []asciigraph.AnsiColor{m.styles.Series.TrainLoss}},
		{fmt.Sprintf("resident memory %.0f MiB", last.RSS), [][]float64{sys.RSS}, []asciigraph.AnsiColor{m.styles.Series.LR}},
		{m.named(fmt.Sprintf("loader queue %.0f%%", 100*last.Queue), m.styles.Names[m.styles.Series.ValLoss], "upper") + " · " + m.named(fmt.Sprintf("waiting for data %.0f%%", 100*last.DataWait), m.styles.Names[m.styles.Series.TrainLoss], ""),
			[][]float64{sys.Queue, sys.Wait}, []asciigraph.AnsiColor{m.styles.Series.ValLoss, m.styles.Series.TrainLoss}},
	}
	if sys.HasGPU {
		charts = append(charts, chart{fmt.Sprintf("GPU %.0f%% · %.0f MiB", last.GPUUtil, m.state.GPUMem), [][]float64{sys.GPUUtil}, []asciigraph.AnsiColor{m.styles.Series.F1}})
	}
	rows := (len(charts) + cols - 1) / cols
	ch := max(3, (h-2)/rows)
	var lines []string
	for r := 0; r < rows; r++ {
		var row []string
		for c := 0; c < cols; c++ {
			i := r*cols + c
			if i >= len(charts) {
				break
			}
			k := charts[i]
			var series [][]float64
			for _, s := range k.series {
				series = append(series, recent(s, plotW))
			}
			row = append(row, fit(m.panel(cw, ch, []string{k.title}, series, k.colors...), cw, ch))
		}
		if len(row) == 2 {
			lines = append(lines, lipgloss.JoinHorizontal(lipgloss.Top, row[0], "  ", row[1]))
		} else {
			lines = append(lines, row[0])
		}
	}
	return title + "\n" + st.Dim.Render(fitWords(verdict, w)) + "\n" + strings.Join(lines, "\n")
}

func scale(v []float64, f float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x * f
	}
	return out
}
