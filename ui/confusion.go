package ui

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/training"
)

// confusionView draws the selected epoch's confusion matrix as a heat map
// with per-class precision, recall and F1, and the per-task matrices.
func (m Model) confusionView(w, h int) string {
	st := m.styles
	s := m.state
	if m.errs.open {
		return m.errs.view(st, w, h)
	}
	if m.projector.on {
		return m.projectorView(w, h)
	}
	n := len(s.Confs)
	if n == 0 || s.Confs[n-1] == nil {
		return st.Dim.Render("the confusion matrix appears after the first epoch's validation")
	}
	idx := m.confEpoch
	if idx < 0 || idx >= n {
		idx = n - 1
	}
	c := s.Confs[idx]
	oc, offsetTitle := m.offsetConfusion(idx)
	if oc != nil {
		c = oc
	}
	names := s.Header.Classes
	if len(names) != c.N {
		names = make([]string, c.N)
		for i := range names {
			names[i] = fmt.Sprint(i)
		}
	}
	mode := "counts"
	if m.percent {
		mode = "row % (99 = 99–100)"
	}
	title := fmt.Sprintf("confusion, epoch %d of %d (←/→) · %s (%%) · rows: truth, columns: prediction · e: images of a cell", s.EpochN[idx], s.EpochN[n-1], mode)
	cur := [2]int{-1, -1}
	if m.picking && m.cellT < c.N && m.cellP < c.N {
		cur = [2]int{m.cellT, m.cellP}
		title = fmt.Sprintf("epoch %d of %d ([/]) · true %s, predicted %s: %d images · arrows move · enter: their images · esc: done",
			s.EpochN[idx], s.EpochN[n-1], names[m.cellT], names[m.cellP], c.M[m.cellT][m.cellP])
	}
	corner := fmt.Sprintf("ep %d/%d", s.EpochN[idx], s.EpochN[n-1])
	rows, byIndex := rowNames(c, names, w, m.cellWidth(c))
	if byIndex {
		corner = ""
		if !m.picking {
			title = fmt.Sprintf("confusion ep %d/%d · macro F1 %.4f · %s · classes by index (wider: names)",
				s.EpochN[idx], s.EpochN[n-1], c.MacroF1(), mode)
		}
	}
	if oc != nil {
		title = joinFit(offsetTitle, " · ", w)
	}
	mat, first, shown := m.matrix(c, rows, true, corner, cur, w)
	if shown < c.N && oc == nil {
		// a narrow window (a phone over SSH): the columns that fit, whole,
		// following the cursor; the title says which
		title = fmt.Sprintf("columns %d–%d of %d (wider: all) · %s", first, first+shown-1, c.N, title)
	}
	top := mat
	if pw := w - lipgloss.Width(mat) - 2; pw >= 5 {
		var ms []*training.Metrics
		if len(s.Metrics) == n {
			ms = s.Metrics[:idx+1]
		}
		top = lipgloss.JoinHorizontal(lipgloss.Top, mat, "  ", m.perClass(c, names, pw, classTrends(ms, c.N, pw-trendAfter)))
	}
	out := top
	if h > c.N+2 {
		out = st.BoxTitle.Render(title) + "\n" + top
	}
	if c.N == dataset.NumClasses && s.Header.Masked {
		var tasks []string
		tn := s.Header.TaskClasses // the run's own age bins
		if len(tn) != 3 {
			d := dataset.TaskClassNames(dataset.DefaultAgeBins) // runs from before the header had them
			tn = d[:]
		}
		for t, name := range dataset.TaskNames {
			tc := c.Task(t)
			tm, _, _ := m.matrix(tc, tn[t], false, "", [2]int{-1, -1}, 0)
			tasks = append(tasks, st.BoxTitle.Render(fmt.Sprintf("%s  acc %.3f F1 %.3f", name, tc.Accuracy(), tc.MacroF1()))+"\n"+tm)
		}
		out += "\n" + joinWrapped(tasks, "   ", w)
		if left := h - lipgloss.Height(out); left >= 6 {
			if chart := m.taskTrends(w, left); chart != "" {
				out += "\n" + chart
			}
		}
	}
	return out
}

// taskTrends charts the mask, gender and age macro F1 by epoch (the
// competition's score hides which task holds it back; age, with its rare
// 60+ class, usually does), in h lines; "" before any epoch has them.
func (m Model) taskTrends(w, h int) string {
	ms := m.state.Metrics
	series := make([][]float64, len(dataset.TaskNames))
	var title []string
	for t, name := range dataset.TaskNames {
		for _, e := range ms {
			v := math.NaN()
			if e != nil {
				if te, ok := e.Tasks[name]; ok {
					v = te.MacroF1
				}
			}
			series[t] = append(series[t], v)
		}
	}
	for t, name := range dataset.TaskNames {
		n := len(series[t])
		if n == 0 || math.IsNaN(series[t][n-1]) {
			return ""
		}
		title = append(title, fmt.Sprintf("%s %.3f (%s)", name, series[t][n-1], CurveMark(t, m.styles.Color)))
	}
	head := "task macro F1 by epoch"
	// The runs overlay's colours, or without colour its line styles: the
	// three tasks are told apart either way.
	o := curveStyles(chartOpts{W: w, H: h - 1}, len(series), m.styles.Color)
	if n := len(ms); n > 1 {
		o.XLo, o.XHi, o.XWhole = 1, float64(n), true
		o.XFmt = func(v float64) string { return fmt.Sprintf("%.0f", v) }
	}
	return m.styles.BoxTitle.Render(joinFit(append([]string{head}, title...), " · ", w)) + "\n" + plot(series, o)
}

// cellWidth is the width of a compact matrix's cells: 3, or 4 when a
// count has three digits (counts of 1,000 and more are written 1k…), so
// that neighbouring counts never run together.
func (m Model) cellWidth(c *training.Confusion) int {
	if !m.percent {
		for _, row := range c.M {
			for _, v := range row {
				if v >= 100 {
					return 4
				}
			}
		}
	}
	return 3
}

// matrix renders a confusion matrix; short cells (cellWidth) for many
// classes. The cell at cur (true, predicted) is marked. Within w columns
// (0: any) it shows the columns that fit whole (matrixColumns): shown of
// them from first.
func (m Model) matrix(c *training.Confusion, names []string, compact bool, corner string, cur [2]int, w int) (out string, first, shown int) {
	st := m.styles
	lw := 0
	for _, n := range names {
		lw = max(lw, lipgloss.Width(n))
	}
	cw := 5
	if compact {
		cw = m.cellWidth(c)
	}
	first, shown = matrixColumns(c.N, lw, cw, w, cur[1])
	var b strings.Builder
	b.WriteString(st.Dim.Render(fmt.Sprintf("%-*s", lw+1, corner)))
	for j := first; j < first+shown; j++ {
		b.WriteString(st.Dim.Render(fmt.Sprintf("%*d", cw, j%100)))
	}
	for i := range c.N {
		b.WriteString("\n" + st.Dim.Render(fmt.Sprintf("%-*s ", lw, names[i])))
		row := 0
		for _, v := range c.M[i] {
			row += v
		}
		for j := first; j < first+shown; j++ {
			v := c.M[i][j]
			frac := 0.0
			if row > 0 {
				frac = float64(v) / float64(row)
			}
			var txt string
			switch {
			case m.percent && cw == 3:
				// Three cells hold " 99" but not a separated "100": show
				// 99 for 99–100 (the title says so).
				txt = fmt.Sprintf("%*.0f", cw, min(99, math.Round(100*frac)))
			case m.percent:
				txt = fmt.Sprintf("%*.0f", cw, 100*frac)
			case len(strconv.Itoa(v)) >= cw:
				txt = fmt.Sprintf("%*s", cw, fmt.Sprintf("%dk", v/1000))
			default:
				txt = fmt.Sprintf("%*d", cw, v)
			}
			if v == 0 {
				txt = fmt.Sprintf("%*s", cw, "·")
			}
			switch {
			case i == cur[0] && j == cur[1] && st.Color:
				txt = st.Cursor.Reverse(true).Render(txt)
			case i == cur[0] && j == cur[1]:
				txt = ">" + txt[1:]
			case st.Color && v > 0:
				lvl := min(int(frac*float64(len(st.Heat)-1)+0.999), len(st.Heat)-1)
				txt = st.Heat[lvl].Render(txt)
			case i == j:
				txt = st.Diag.Render(txt)
			}
			b.WriteString(txt)
		}
	}
	return b.String(), first, shown
}

// matrixColumns is which of a matrix's n columns, cw wide after row names
// lw wide, fit w (0: any) whole: shown of them from first, the window
// moved right to keep the cursor's column cur (-1: none) on screen. At 50
// columns the 18-class matrix was cut mid-number ("13 14 1") and classes
// 15–17 were off screen without a word.
func matrixColumns(n, lw, cw, w, cur int) (first, shown int) {
	shown = n
	if w > 0 {
		shown = min(n, max((w-(lw+1))/cw, 1))
	}
	if cur >= shown {
		first = min(cur-shown+1, n-shown)
	}
	return first, shown
}

// joinWrapped sets blocks side by side, sep between them, as many to a
// row as fit w, the rest on the rows below (the three task tables are 80
// columns together; on a narrow screen the age table was cut off).
func joinWrapped(blocks []string, sep string, w int) string {
	var rows []string
	var row []string
	width := 0
	for _, b := range blocks {
		bw := lipgloss.Width(b)
		if len(row) > 0 && width+lipgloss.Width(sep)+bw > w {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
			row, width = nil, 0
		}
		if len(row) > 0 {
			row = append(row, sep)
			width += lipgloss.Width(sep)
		}
		row = append(row, b)
		width += bw
	}
	if len(row) > 0 {
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
	}
	return strings.Join(rows, "\n")
}

// trendAfter is where a class's F1 trend starts in the per-class column:
// after its precision, recall and F1 and two spaces.
const trendAfter = 20

// perClass renders precision, recall and F1 per class, as wide as fits,
// and where it is wide enough each class's F1 over the epochs so far
// (trend, from classTrends: one sparkline a class, 0 to 1).
func (m Model) perClass(c *training.Confusion, names []string, w int, trend [][]float64) string {
	st := m.styles
	sc := c.PerClass()
	full := w >= 24
	spark := full && len(trend) == len(sc) && len(trend) > 0 && len(trend[0]) >= 2
	// With A, each class's average precision after its F1 (a class
	// ranked well but rarely predicted has an AP well above its recall).
	// The column goes beside F1 wherever the two fit (an 18-class matrix
	// at 80 columns leaves 11 cells: just the two); narrower, it takes
	// F1's place.
	ap := m.ap.on && w >= 11
	apOnly := m.ap.on && !ap
	apHead := ""
	if ap {
		apHead = "    AP"
	}
	var b strings.Builder
	switch {
	case spark:
		b.WriteString(st.Dim.Render("  prec   rec    F1" + apHead + "  F1 by epoch"))
	case full:
		b.WriteString(st.Dim.Render("  prec   rec    F1" + apHead))
	case apOnly:
		b.WriteString(st.Dim.Render("   AP"))
	default:
		b.WriteString(st.Dim.Render("   F1" + apHead))
	}
	for i, s := range sc {
		f1 := fmt.Sprintf("%5.2f", s.F1)
		if s.Support > 0 && s.F1 < 0.3 {
			f1 = st.Bad.Render(f1)
		}
		if ap || apOnly {
			cell := "     …"
			if v, ok := m.apOf(i); ok {
				cell = " " + f4or(v, "%5.2f", "    –")
			}
			if apOnly {
				f1 = cell[1:]
			} else {
				f1 += cell
			}
		}
		switch {
		case spark:
			b.WriteString(fmt.Sprintf("\n %5.2f %5.2f ", s.Precision, s.Recall) + f1 + "  " + st.Value.Render(sparkline(trend[i])))
		case full:
			b.WriteString(fmt.Sprintf("\n %5.2f %5.2f ", s.Precision, s.Recall) + f1)
		default:
			b.WriteString("\n" + f1)
		}
	}
	// The figures under the column: label and value on one line where
	// they fit, else the value under its label (an 18-class matrix at 80
	// columns leaves 11 cells).
	figure := func(label, val string) string {
		if lipgloss.Width(label+" "+val) > w {
			return st.Value.Render(label) + "\n" + st.Value.Render(fmt.Sprintf("%*s", min(w, 7), val))
		}
		return st.Value.Render(label + " " + val)
	}
	b.WriteString("\n" + figure("macro F1", fmt.Sprintf("%.4f", c.MacroF1())))
	if m.ap.on {
		// Beside macro F1 where the column has room for both, else
		// under it.
		sep := "  "
		if !full {
			sep = "\n"
		}
		switch {
		case m.ap.err != nil && m.ap.has(m.runDir(), m.shownEpoch()):
			b.WriteString("\n" + st.Bad.Width(w).Render("AP: "+m.ap.err.Error()))
		case m.ap.vals != nil && m.ap.has(m.runDir(), m.shownEpoch()):
			b.WriteString(sep + figure("mean AP", f4or(m.ap.mean, "%.4f", "–")))
		}
	}
	return b.String()
}

// f4or formats v, or gives none for NaN.
func f4or(v float64, format, none string) string {
	if math.IsNaN(v) {
		return none
	}
	return fmt.Sprintf(format, v)
}

// rowNames are the confusion matrix's row labels in a view w cells wide:
// the class names, or the classes' indices (as the columns are labelled)
// where the names would leave the matrix wider than the view (18 classes
// take about 70 cells with names, 57 without).
func rowNames(c *training.Confusion, names []string, w, cw int) (rows []string, byIndex bool) {
	lw := 0
	for _, nm := range names {
		lw = max(lw, lipgloss.Width(nm))
	}
	if len(names) == c.N && lw+1+cw*c.N <= w {
		return names, false
	}
	rows = make([]string, c.N)
	for i := range rows {
		rows[i] = fmt.Sprint(i)
	}
	return rows, len(names) == c.N
}

// cellAt finds the cell of the confusion matrix at (x, y) of the body:
// the epoch's index and the true and predicted class.
func (m Model) cellAt(x, y int) (ep, t, p int, ok bool) {
	s := m.state
	n := len(s.Confs)
	if n == 0 {
		return 0, 0, 0, false
	}
	ep = m.confEpoch
	if ep < 0 || ep >= n {
		ep = n - 1
	}
	c := s.Confs[ep]
	if c == nil {
		return 0, 0, 0, false
	}
	names := s.Header.Classes
	if len(names) != c.N {
		names = nil
	}
	cw := m.cellWidth(c)
	rows, _ := rowNames(c, names, max(m.w, 40), cw)
	lw := 0
	for _, nm := range rows {
		lw = max(lw, lipgloss.Width(nm))
	}
	row0 := 1 // the column numbers
	if m.bodyHeight() > c.N+2 {
		row0++ // the title
	}
	cur := -1
	if m.picking {
		cur = m.cellP
	}
	first, shown := matrixColumns(c.N, lw, cw, max(m.w, 40), cur)
	t, p = y-row0, (x-(lw+1))/cw
	if t < 0 || t >= c.N || x < lw+1 || p >= shown {
		return 0, 0, 0, false
	}
	return ep, t, first + p, true
}

// classTrends are each of the classes' F1 over the last n epochs of ms
// (oldest first), from each epoch's per-class scores; nil when there is
// no room (n < 2) or an epoch lacks them.
func classTrends(ms []*training.Metrics, classes, n int) [][]float64 {
	n = min(n, len(ms), 30)
	if n < 2 {
		return nil
	}
	out := make([][]float64, classes)
	for _, mt := range ms[len(ms)-n:] {
		if mt == nil || len(mt.Classes) != classes {
			return nil
		}
		for k, sc := range mt.Classes {
			out[k] = append(out[k], sc.F1)
		}
	}
	return out
}

// sparkline draws values from 0 to 1 as eighths of a cell; a missing
// value as a space.
func sparkline(v []float64) string {
	const bars = "▁▂▃▄▅▆▇█"
	r := []rune(bars)
	var b strings.Builder
	for _, x := range v {
		if math.IsNaN(x) {
			b.WriteByte(' ')
			continue
		}
		b.WriteRune(r[min(max(int(x*float64(len(r))), 0), len(r)-1)])
	}
	return b.String()
}
