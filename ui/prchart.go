package ui

import "fmt"

// PlotPR draws a precision-recall curve (runs.PRCurve's points, highest
// threshold first) as a step chart of about w×h cells: recall 0 to 1
// across, each column the precision of the first point that reaches its
// recall (what a threshold there gives), precision 0 to 1 up; title on
// the line above.
func PlotPR(recall, precision []float64, w, h int, title string, colour bool) string {
	cols := max(w-12, 10)
	series := make([]float64, cols)
	k := 0
	for j := range series {
		r := float64(j) / float64(cols-1)
		for k < len(recall)-1 && recall[k] < r {
			k++
		}
		if len(precision) > 0 {
			series[j] = precision[k]
		}
	}
	o := curveStyles(chartOpts{W: w, H: h, Bounded: true, Lo: 0, Hi: 1}, 1, colour)
	o.XLo, o.XHi = 0, 1
	o.XFmt = func(v float64) string { return fmt.Sprintf("%.2g", v) }
	return title + "\n" + plot([][]float64{series}, o)
}
