package ui

import (
	"fmt"
	"math"

	"github.com/guptarohit/asciigraph"
	"github.com/maskdash/maskdash/runs"
)

// spreadSeries are tensor i's weights at each of runs.SpreadPercentiles
// over the whole run, reduced to at most n points (each the last measure
// of its share of the samples), with their steps; a point whose measure
// has no spread (a log from before it was kept) is NaN. ok is false when
// no measure has one.
func spreadSeries(samples []layerSample, i, n int) (series [][]float64, steps []float64, ok bool) {
	n = min(n, len(samples))
	series = make([][]float64, len(runs.SpreadPercentiles))
	for b := range n {
		s := samples[(b+1)*len(samples)/n-1]
		var q []float32
		if i < len(s.Stats) {
			q = s.Stats[i].Spread
		}
		for k := range series {
			v := math.NaN()
			if len(q) == len(series) {
				v, ok = float64(q[k]), true
			}
			series[k] = append(series[k], v)
		}
		steps = append(steps, float64(s.Step))
	}
	return series, steps, ok
}

// spreadChart is tensor i's weights over the run as TensorBoard's
// distributions draw them: the median, the bands a normal distribution
// would put 0.5, 1 and 1.5 standard deviations out, and the least and
// most values. Weights that spread or collapse, drift off zero, or grow
// without bound show here before they show in the loss.
func (m Model) spreadChart(samples []layerSample, i, w, h int) string {
	st := m.styles
	name := samples[len(samples)-1].Stats[i].Name
	series, steps, ok := spreadSeries(samples, i, max(w-12, 10))
	if !ok {
		return st.BoxTitle.Render(truncate(name+": weights' spread", w)) + "\n" +
			st.Dim.Render(fitWords("this run's measures have none (runs from before maskdash kept it); d: the update ratio", w))
	}
	// Drawn from the outside in, so the median is drawn last, on top.
	order := []int{0, 8, 1, 7, 2, 6, 3, 5, 4}
	outer, band, mid := st.Series.Raw, st.Series.ValLoss, st.Series.LR
	colorOf := []asciigraph.AnsiColor{outer, outer, outer, outer, band, band, band, band, mid}
	drawn := make([][]float64, len(order))
	for k, j := range order {
		drawn[k] = series[j]
	}
	o := chartOpts{W: w, H: h - 1, Color: st.Color, Colors: m.colors(colorOf...)}
	if len(steps) > 1 {
		o.XLo, o.XHi = steps[0], steps[len(steps)-1]
		o.XFmt = func(v float64) string { return fmt.Sprintf("%.0f", v) }
	}
	last := series[4][len(series[4])-1]
	parts := []string{
		fmt.Sprintf("%s: weights' spread over the run, median %.3g", name, last),
		"d: update ratio",
		fmt.Sprintf("median %s, ±0.5σ and ±1σ %s, ±1.5σ and least/most grey", st.Names[mid], st.Names[band]),
	}
	if !st.Color {
		parts[2] = "from the middle out: median, ±0.5σ, ±1σ, ±1.5σ, least/most"
	}
	return st.BoxTitle.Render(joinFit(parts, " · ", w)) + "\n" + plot(drawn, o)
}
