package ui

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/guptarohit/asciigraph"

	"github.com/maskdash/maskdash/runs"
)

// finite maps ±Inf to NaN: asciigraph v0.10.0 panics on infinities (a
// diverging loss) and draws NaN as a gap.
func finite(ys []float64) []float64 {
	out := make([]float64, len(ys))
	for i, y := range ys {
		if math.IsInf(y, 0) {
			y = math.NaN()
		}
		out[i] = y
	}
	return out
}

func hasValue(ys []float64) bool {
	for _, y := range ys {
		if !math.IsNaN(y) && !math.IsInf(y, 0) {
			return true
		}
	}
	return false
}

// recent returns the last n values.
func recent(ys []float64, n int) []float64 {
	if n <= 0 || len(ys) <= n {
		return ys
	}
	return ys[len(ys)-n:]
}

// chartOpts say how to draw one chart.
type chartOpts struct {
	W, H    int // total size in cells, labels included
	Caption string
	Colors  []asciigraph.AnsiColor // nil or when colour is off: none
	Color   bool
	// Chars are the series' line styles where colour is off (the runs'
	// curves: curveChars); nil: every series in the default lines.
	Chars []asciigraph.CharSet
	// Bounded draws at least the range Lo–Hi (shared axes side by side).
	Bounded bool
	Lo, Hi  float64
	// XFmt, when set, draws an x-axis (two more lines) labelled from XLo
	// to XHi.
	XFmt     func(float64) string
	XLo, XHi float64
	// XWhole puts the x-axis's ticks on whole numbers only (epochs): an
	// axis of 1–8 gets ticks 1 and 8, not 1, 4.5 and 8 labelled "4".
	XWhole bool
	// YFmt, when set, writes the y labels (a log axis).
	YFmt func(float64) string
	// Dashed draws series i in dashes (╌): the epochs a --val-train run
	// validated on images it trained on (seenSplit).
	Dashed []bool
	// Empty is what the chart says before it has a value ("": waiting
	// for data…).
	Empty string
}

// dashed is a series' line style in dashes: the plain and heavy lines
// have dashed forms; a style of one mark (·, *, +) or the double line
// stays as it is (the chart's caption says which epochs are seen).
func dashed(cs asciigraph.CharSet) asciigraph.CharSet {
	switch cs.Horizontal {
	case "", asciigraph.DefaultCharSet.Horizontal:
		return asciigraph.CharSet{Horizontal: "╌", VerticalLine: "╎", StartCap: "╌", EndCap: "╌"}
	case "━":
		cs.Horizontal, cs.VerticalLine = "╍", "╏"
	}
	return cs
}

// seenSplit splits a per-epoch series (epoch i+1 at i) at epoch from, the
// first whose validation images the run trained on (0: none): the
// held-out epochs, and the seen ones from the last held-out epoch on (so
// that the line goes on), each with gaps elsewhere. Without seen epochs
// the second is nil.
func seenSplit(ys []float64, from int) (heldOut, seen []float64) {
	if from <= 0 || from > len(ys) {
		return ys, nil
	}
	heldOut, seen = make([]float64, len(ys)), make([]float64, len(ys))
	for i, y := range ys {
		heldOut[i], seen[i] = math.NaN(), math.NaN()
		if i < from-1 {
			heldOut[i] = y
		}
		if i >= from-2 {
			seen[i] = y
		}
	}
	return heldOut, seen
}

// plot draws series with asciigraph in exactly o.H lines (o.H-2 of chart
// and a caption line below when there is a caption), guarding its panics:
// empty or all-missing series become a placeholder line, single points
// are doubled.
func plot(series [][]float64, o chartOpts) string {
	var ok [][]float64
	var colors []asciigraph.AnsiColor
	var chars []asciigraph.CharSet
	anyDashed := false
	for i, s := range series {
		if len(s) == 0 || !hasValue(s) {
			continue
		}
		s = finite(s)
		if len(s) == 1 {
			s = []float64{s[0], s[0]}
		}
		ok = append(ok, s)
		if i < len(o.Colors) {
			colors = append(colors, o.Colors[i])
		}
		var cs asciigraph.CharSet // the default lines
		if !o.Color && i < len(o.Chars) {
			cs = o.Chars[i]
		}
		if i < len(o.Dashed) && o.Dashed[i] {
			cs, anyDashed = dashed(cs), true
		}
		chars = append(chars, cs)
	}
	rows := max(o.H, 1)
	if o.Caption != "" {
		rows = max(o.H-2, 1)
	}
	axisRows := 0
	// An epoch axis (XWhole) matters less than the chart's own rows: it
	// needs a taller chart than a step axis does.
	if o.XFmt != nil && o.XHi > o.XLo && (rows >= 8 || rows >= 5 && !o.XWhole) {
		axisRows = 2
	}
	if len(ok) == 0 {
		return placeholder(o.W, o.H, cmp.Or(o.Empty, "waiting for data…"))
	}
	// asciigraph draws Height+1 rows.
	opts := []asciigraph.Option{asciigraph.Height(max(rows-1-axisRows, 1)), asciigraph.Width(max(o.W-12, 10)), asciigraph.Precision(3)}
	if axisRows > 0 {
		ticks := max(2, min(5, (o.W-12)/14))
		if o.XWhole {
			ticks = wholeTicks(o.XHi-o.XLo, ticks)
		}
		opts = append(opts, asciigraph.XAxisRange(o.XLo, o.XHi), asciigraph.XAxisTickCount(ticks), asciigraph.XAxisValueFormatter(o.XFmt))
	}
	lo, hi := valueRange(ok)
	blo, bhi := lo, hi // the bounds asked for (asciigraph only widens to them; the last asked wins)
	if hi-lo <= 1e-9*(1+math.Abs(hi)) {
		// A flat chart (the learning rate without a schedule):
		// asciigraph labels a zero range with garbage and draws one row.
		// Half the value either side puts the line in the middle with
		// labels that differ from row to row (±1% gave every row of a
		// tall chart the same few labels).
		d := 0.5 * math.Abs(hi)
		if d == 0 {
			d = 1e-3
		}
		// The value on the middle row; with an even number of rows there
		// is none, and the one above the middle is the value's instead
		// (a two-row chart drew a line labelled half the value).
		n := max(rows-1-axisRows, 1) + 1 // asciigraph's rows
		below := d
		if n%2 == 0 {
			below = d * float64(n-2) / float64(n)
		}
		blo, bhi = lo-below, hi+d
	}
	if o.Bounded && !math.IsInf(o.Lo, 0) && !math.IsInf(o.Hi, 0) && o.Hi > o.Lo {
		blo, bhi = o.Lo, o.Hi
	}
	lo, hi = math.Min(lo, blo), math.Max(hi, bhi)
	opts = append(opts, asciigraph.LowerBound(lo), asciigraph.UpperBound(hi))
	yfmt := o.YFmt
	if yfmt == nil {
		yfmt = yLabels(lo, hi, max(rows-1-axisRows, 1))
	}
	opts = append(opts, asciigraph.YAxisValueFormatter(yfmt))
	if o.Color && len(colors) == len(ok) {
		opts = append(opts, asciigraph.SeriesColors(colors...))
	}
	if !o.Color && len(o.Chars) > 0 || anyDashed {
		opts = append(opts, asciigraph.SeriesChars(chars...))
	}
	lines := strings.Split(asciigraph.PlotMany(ok, opts...), "\n")
	for len(lines) < rows {
		lines = append(lines, "")
	}
	lines = lines[:rows]
	if o.Caption != "" {
		lines = append(lines, "", "  "+o.Caption)
	}
	return strings.Join(lines, "\n")
}

// yLabels writes a chart's y labels from lo to hi over rows steps with
// one decimal more than tells neighbouring rows apart: 1769 and 1697
// images/s, 3.43 and 3.29 for a loss, 0.001037 and 0.000963 for a
// learning rate (asciigraph's fixed precision wrote 1769.425, or gave
// rows of a narrow range the same label).
func yLabels(lo, hi float64, rows int) func(float64) string {
	step := (hi - lo) / float64(max(rows, 1))
	decimals := 0
	if step > 0 && !math.IsInf(step, 0) {
		// one digit past the step's first, so that even steps read as
		// even (170.0 168.6 167.1, not 170 169 167)
		decimals = min(max(int(math.Ceil(-math.Log10(step)-1e-9))+1, 0), 12)
	}
	return func(v float64) string {
		if v == 0 || math.Abs(v) < math.Pow(10, -float64(decimals))/2 {
			v = 0 // no "-0.00"
		}
		return strconv.FormatFloat(v, 'f', decimals, 64)
	}
}

// valueRange is the smallest and largest finite value of the series.
func valueRange(series [][]float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, v := range s {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	return lo, hi
}

func placeholder(w, h int, msg string) string {
	lines := make([]string, max(h, 1))
	lines[len(lines)/2] = strings.Repeat(" ", max((w-len(msg))/2, 0)) + msg
	return strings.Join(lines, "\n")
}

// Plot draws series as an asciigraph chart of about w×h cells, guarded
// like the dashboard's charts (empty, missing and infinite values never
// panic), told apart as the runs view's overlay is (CurveMark): by colour
// when colour is set, else by line style. Series of different lengths
// are padded with gaps.
//
// seenFrom[i], when above 0, is the first epoch run i validated on
// images it trained on (--val-train): its curve is dashed from there.
func Plot(series [][]float64, seenFrom []int, w, h int, caption string, colour bool) string {
	series = padded(series)
	o := curveStyles(chartOpts{W: w, H: h, Caption: caption}, len(series), colour)
	if len(series) > 0 && len(series[0]) > 1 {
		// The epochs under the chart, as the dashboard's epoch charts.
		o.XLo, o.XHi, o.XWhole = 1, float64(len(series[0])), true
		o.XFmt = func(v float64) string { return fmt.Sprintf("%.0f", v) }
	}
	return plot(dashSeen(series, seenFrom, &o), o)
}

// dashSeen splits each series i at epoch seenFrom[i] (seenSplit): its
// held-out epochs stay series i, its seen ones follow the others in its
// colour or line, dashed (o's Colors, Chars and Dashed grow to match).
func dashSeen(series [][]float64, seenFrom []int, o *chartOpts) [][]float64 {
	out := slices.Clone(series)
	o.Dashed = make([]bool, len(series))
	for i, from := range seenFrom[:min(len(seenFrom), len(series))] {
		heldOut, seen := seenSplit(series[i], from)
		if seen == nil {
			continue
		}
		out[i] = heldOut
		out = append(out, seen)
		o.Dashed = append(o.Dashed, true)
		if i < len(o.Colors) {
			o.Colors = append(o.Colors, o.Colors[i])
		}
		if i < len(o.Chars) {
			o.Chars = append(o.Chars, o.Chars[i])
		}
	}
	return out
}

// PlotLR draws a learning-rate range test's smoothed loss against the
// rate on a logarithmic axis (the rates grow geometrically, a column a
// step), about w×h cells, with a ▲ under the chart at point mark (-1:
// none), and what the chart shows on the line above it.
func PlotLR(lrs, loss []float64, mark, w, h int, title string, colour bool) string {
	o := curveStyles(chartOpts{W: w, H: h}, 1, colour)
	if n := len(lrs); n > 1 && lrs[0] > 0 && lrs[n-1] > lrs[0] {
		o.XLo, o.XHi = math.Log10(lrs[0]), math.Log10(lrs[n-1])
		o.XFmt = func(v float64) string { return rateLabel(math.Pow(10, v)) }
	}
	chart := plot([][]float64{loss}, o)
	out := title + "\n" + chart
	if mark >= 0 && mark < len(loss) {
		out += "\n" + marker(dataOffset(chart), max(w-12, 10), len(loss), mark)
	}
	return out
}

// rateLabel writes a learning rate short: two digits, a power of ten
// without its zeros outside 0.01–100 (1e-7, 5.6e-6, 0.018, 1).
func rateLabel(v float64) string {
	if v >= 0.01 && v < 100 {
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
	m, e, _ := strings.Cut(strconv.FormatFloat(v, 'e', 1, 64), "e")
	m = strings.TrimSuffix(m, ".0")
	sign := ""
	if e[0] == '-' {
		sign = "-"
	}
	return m + "e" + sign + strings.TrimLeft(e[1:], "0")
}

// CurveMark names how the i-th curve of Plot and PlotSteps is told apart:
// its colour ("blue") with colour, else its line ("═").
func CurveMark(i int, colour bool) string {
	if colour {
		return overlayNames[i%len(overlayNames)]
	}
	return curveGlyphs[i%len(curveGlyphs)]
}

// curveChars are the runs' curves' line styles where there is no colour,
// in the order of overlayColors; curveGlyphs name them.
var (
	curveChars = []asciigraph.CharSet{asciigraph.DefaultCharSet,
		{Horizontal: "═", VerticalLine: "║", ArcDownRight: "╔", ArcDownLeft: "╗", ArcUpRight: "╚", ArcUpLeft: "╝", EndCap: "═", StartCap: "═"},
		{Horizontal: "━", VerticalLine: "┃", ArcDownRight: "┏", ArcDownLeft: "┓", ArcUpRight: "┗", ArcUpLeft: "┛", EndCap: "╸", StartCap: "╺"},
		asciigraph.CreateCharSet("·"), asciigraph.CreateCharSet("*"), asciigraph.CreateCharSet("+")}
	curveGlyphs = []string{"─", "═", "━", "·", "*", "+"}
)

// curveStyles gives o the overlay's colours for n series, or where there
// is no colour their line styles.
func curveStyles(o chartOpts, n int, colour bool) chartOpts {
	for i := range n {
		if colour {
			o.Color = true
			o.Colors = append(o.Colors, overlayColors[i%len(overlayColors)])
		} else {
			o.Chars = append(o.Chars, curveChars[i%len(curveChars)])
		}
	}
	return o
}

// PlotSteps draws runs' per-step curves (the training loss of `maskdash
// compare --metric train-loss`) as Plot does, each smoothed as the runs
// view's overlay is, on one step axis labelled below.
func PlotSteps(curves []runs.StepCurve, w, h int, caption string, colour bool) string {
	return overlayChart(curves, true, curveStyles(chartOpts{W: w, H: h, Caption: caption}, len(curves), colour))
}

// padded is series, each padded with gaps to the longest.
func padded(series [][]float64) [][]float64 {
	n := 0
	for _, s := range series {
		n = max(n, len(s))
	}
	out := make([][]float64, len(series))
	for i, s := range series {
		p := append([]float64(nil), s...)
		for len(p) < n {
			p = append(p, math.NaN())
		}
		out[i] = p
	}
	return out
}

// wholeTicks is the most ticks, at most limit and at least two, that
// split a span of whole numbers into equal whole steps.
func wholeTicks(span float64, limit int) int {
	n := int(math.Round(span))
	for k := limit; k > 2; k-- {
		if n%(k-1) == 0 {
			return k
		}
	}
	return 2
}
