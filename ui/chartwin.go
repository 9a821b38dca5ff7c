package ui

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// Reading the step charts (loss and learning rate): which x-axis the
// labels use, a logarithmic y, a zoomed step range and a cursor whose
// values show for every series, the same step on every chart.

// xAxis says what the step charts' x labels count.
type xAxis int

// X axes (X cycles).
const (
	xStep xAxis = iota
	xEpoch
	xTime
	numXAxes
)

var xAxisNames = []string{"step", "epoch", "wall time"}

// chartWin is the state of the step charts' window.
type chartWin struct {
	x      xAxis
	logY   bool
	lo, hi int // zoomed step range; hi == 0: not zoomed
	cursor int // the cursor's step; < 0: off
}

// window is the step charts' data for the current window, reduced to at
// most n columns: the last step of each column, the training loss's
// minimum and maximum, the validation loss at that step and the rate.
type window struct {
	steps          []int
	lossLo, lossHi []float64
	val            []float64
	lr             []float64
	secs           []float64 // seconds since the start at each column (NaN unknown)
	all            bool      // from the history columns (every step)
}

// reachesNow says whether the window ends at the newest step received.
func (w window) reachesNow(s *RunState) bool {
	if len(w.steps) == 0 || len(s.Steps) == 0 {
		return false
	}
	return w.steps[len(w.steps)-1] >= s.Steps[len(s.Steps)-1]
}

// stepWindow builds the window from the history columns (H, or any
// zoom) when they are loaded, else from the step events received.
func (m Model) stepWindow(n int) window {
	s := m.state
	var w window
	if lo, hi := m.historySeries("loss"); (m.history || m.win.hi > 0) && lo != nil {
		h := m.hist.Series["loss"]
		w.steps, w.lossLo, w.lossHi, w.all = h.Step, lo, hi, true
		if _, lr := m.historySeries("lr"); lr != nil && len(lr) == len(w.steps) {
			w.lr = lr
		}
		if t := m.hist.Series["t"]; t != nil && len(t.Last) == len(w.steps) {
			w.secs = t.Last
		}
	} else {
		// The samples in the window, [from, to): step events arrive in
		// step order, so the window is found by binary search rather
		// than by a pass over a long run's every sample at each redraw.
		from, to := 0, len(s.Steps)
		if m.win.hi > 0 {
			from = sort.SearchInts(s.Steps, m.win.lo)
			to = sort.Search(len(s.Steps), func(i int) bool { return s.Steps[i] > m.win.hi })
			to = max(to, from)
		} else if !m.history && to-from > n {
			from = to - n // recent
		}
		count := to - from
		buckets := min(n, count)
		for b := range buckets {
			a, z := from+b*count/buckets, from+(b+1)*count/buckets
			mn, mx, lr := math.Inf(1), math.Inf(-1), math.NaN()
			for i := a; i < z; i++ {
				if y := s.Train[i]; !math.IsNaN(y) && !math.IsInf(y, 0) {
					mn, mx = min(mn, y), max(mx, y)
				}
				lr = s.LRs[i]
			}
			if mn > mx {
				mn, mx = math.NaN(), math.NaN()
			}
			last := z - 1
			w.steps = append(w.steps, s.Steps[last])
			w.lossLo, w.lossHi, w.lr = append(w.lossLo, mn), append(w.lossHi, mx), append(w.lr, lr)
			sec := math.NaN()
			if last < len(s.Times) && !s.Started.IsZero() && !s.Times[last].IsZero() {
				sec = s.Times[last].Sub(s.Started).Seconds()
			}
			w.secs = append(w.secs, sec)
		}
	}
	w.val = make([]float64, len(w.steps))
	k := -1
	for i, st := range w.steps {
		for k+1 < len(s.EpochAt) && s.EpochAt[k+1] <= st {
			k++
		}
		if k < 0 {
			w.val[i] = math.NaN()
		} else {
			w.val[i] = s.ValLoss[k]
		}
	}
	return w
}

// epochAt is the (fractional) epoch at a step, from the steps where the
// epochs ended; past the last, at the last epoch's pace.
func (s *RunState) epochAt(step int) float64 {
	ends := s.EpochAt
	if len(ends) == 0 {
		if s.Progress > 0 && s.Step > 0 {
			return float64(step) / (float64(s.Step) / s.Progress)
		}
		return math.NaN()
	}
	i := sort.SearchInts(ends, step)
	prev := 0
	if i > 0 {
		prev = ends[i-1]
	}
	next := 0
	switch {
	case i < len(ends):
		next = ends[i]
	case len(ends) == 1:
		next = prev + ends[0]
	default:
		next = prev + (ends[len(ends)-1] - ends[len(ends)-2])
	}
	if next <= prev {
		return float64(i)
	}
	return float64(i) + float64(step-prev)/float64(next-prev)
}

// xLabel writes a step in the chosen x-axis.
func (m Model) xLabel(w window, step float64) string {
	switch m.win.x {
	case xEpoch:
		return fmt.Sprintf("ep %.1f", m.state.epochAt(int(step)))
	case xTime:
		// The nearest column's time.
		i := sort.SearchInts(w.steps, int(step))
		if i >= len(w.secs) {
			i = len(w.secs) - 1
		}
		if i < 0 || math.IsNaN(w.secs[i]) {
			return "?"
		}
		return shortDur(time.Duration(w.secs[i] * float64(time.Second)))
	case xStep, numXAxes:
	}
	return thousands(int(step))
}

// logOf maps values to log10 for a log y-axis (non-positive: a gap).
func logOf(ys []float64) []float64 {
	out := make([]float64, len(ys))
	for i, y := range ys {
		if y > 0 {
			out[i] = math.Log10(y)
		} else {
			out[i] = math.NaN()
		}
	}
	return out
}

// cursorIndex is the column of the window nearest the cursor's step.
func (w window) cursorIndex(step int) int {
	if len(w.steps) == 0 {
		return -1
	}
	i := sort.SearchInts(w.steps, step)
	switch {
	case i >= len(w.steps):
		return len(w.steps) - 1
	case i > 0 && step-w.steps[i-1] < w.steps[i]-step:
		return i - 1
	}
	return i
}

// marker is a line with ▲ under column i of a chart whose data area
// starts at offset and is width cells wide for n points.
func marker(offset, width, n, i int) string {
	if i < 0 || n <= 0 {
		return ""
	}
	col := offset
	if n > 1 {
		col += int(math.Round(float64(i) * float64(width-1) / float64(n-1)))
	}
	return strings.Repeat(" ", max(col, 0)) + "▲"
}

// dataOffset finds where a chart's data area starts: after its axis.
func dataOffset(chart string) int {
	for _, l := range strings.Split(chart, "\n") {
		plain := []rune(ansi.Strip(l))
		for i, r := range plain {
			if r == '┤' || r == '┼' {
				return i + 1
			}
		}
	}
	return 0
}

// readout is the cursor's line: the step in every x unit and each
// series' value there.
func (m Model) readout(w window) string {
	i := w.cursorIndex(m.win.cursor)
	if i < 0 {
		return ""
	}
	st := w.steps[i]
	parts := []string{"▲ step " + thousands(st), fmt.Sprintf("epoch %.2f", m.state.epochAt(st))}
	if i < len(w.secs) && !math.IsNaN(w.secs[i]) {
		parts = append(parts, "at "+shortDur(time.Duration(w.secs[i]*float64(time.Second))))
	}
	if v := w.lossHi[i]; !math.IsNaN(v) {
		if lo := w.lossLo[i]; lo != v && !math.IsNaN(lo) {
			parts = append(parts, fmt.Sprintf("train %.4f–%.4f", lo, v))
		} else {
			parts = append(parts, fmt.Sprintf("train %.4f", v))
		}
	}
	if v := w.val[i]; !math.IsNaN(v) {
		parts = append(parts, fmt.Sprintf("val loss %.4f", v))
	}
	if ep := m.state.epochIndexAt(st); ep >= 0 {
		seen := ""
		if ep < len(m.state.ValSeen) && m.state.ValSeen[ep] {
			seen = ", seen in training"
		}
		parts = append(parts, fmt.Sprintf("val F1 %.4f (epoch %d%s)", m.state.ValF1[ep], m.state.EpochN[ep], seen))
	}
	if i < len(w.lr) && !math.IsNaN(w.lr[i]) {
		parts = append(parts, "lr "+fmtLR(w.lr[i]))
	}
	return strings.Join(parts, " · ")
}

// epochIndexAt is the index of the last epoch finished by a step (-1:
// none).
func (s *RunState) epochIndexAt(step int) int {
	k := -1
	for k+1 < len(s.EpochAt) && s.EpochAt[k+1] <= step {
		k++
	}
	return k
}
