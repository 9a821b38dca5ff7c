package ui

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/maskdash/maskdash/runs"
)

// A parallel-coordinates chart in the terminal: one vertical axis per
// setting that varies and one for the score; each trial a line through
// its values, drawn in braille dots (2×4 a cell), coloured from cold (a
// low score) to hot, the best drawn last, on top.

// pcAxis is one axis: its name and where each trial sits on it (0 at
// the bottom, 1 at the top).
type pcAxis struct {
	name   string
	lo, hi string // labels of the ends
	pos    []float64
	// setting is the setting's own name (name may add " (log)"), cats a
	// category axis's values in their order up the axis (nil for a
	// number axis).
	setting string
	cats    []string
}

// pcAxes builds the axes from the trials' settings (name → value per
// trial) and scores. A setting whose values all parse as numbers is
// linear, or logarithmic when they are positive and span more than 20×;
// others are categories, evenly spaced in sorted order. Settings with one
// value are left out.
func pcAxes(names []string, values []map[string]string, score []float64) []pcAxis {
	var axes []pcAxis
	for _, n := range names {
		var vs []string
		seen := map[string]bool{}
		for _, v := range values {
			if !seen[v[n]] {
				seen[v[n]] = true
				vs = append(vs, v[n])
			}
		}
		if len(vs) < 2 {
			continue
		}
		ax := pcAxis{name: n, setting: n, pos: make([]float64, len(values))}
		if nums, numeric := runs.SettingNumbers(vs); numeric {
			lo, hi := slicesMinMax(nums)
			logScale := runs.LogAxis(lo, hi)
			tr := func(f float64) float64 {
				if logScale {
					return (math.Log(f) - math.Log(lo)) / (math.Log(hi) - math.Log(lo))
				}
				return (f - lo) / (hi - lo)
			}
			for i, v := range values {
				f, _ := strconv.ParseFloat(v[n], 64)
				ax.pos[i] = tr(f)
			}
			ax.lo, ax.hi = strconv.FormatFloat(lo, 'g', 3, 64), strconv.FormatFloat(hi, 'g', 3, 64)
			if logScale {
				ax.name += " (log)"
			}
		} else {
			sort.Strings(vs)
			idx := map[string]int{}
			for i, v := range vs {
				idx[v] = i
			}
			for i, v := range values {
				ax.pos[i] = float64(idx[v[n]]) / float64(len(vs)-1)
			}
			ax.lo, ax.hi, ax.cats = vs[0], vs[len(vs)-1], vs
		}
		axes = append(axes, ax)
	}
	sc := pcAxis{name: "macro F1", pos: make([]float64, len(score))}
	var ok []float64
	for _, s := range score {
		if !math.IsNaN(s) {
			ok = append(ok, s)
		}
	}
	if len(ok) > 0 {
		lo, hi := slicesMinMax(ok)
		for i, s := range score {
			switch {
			case math.IsNaN(s):
				sc.pos[i] = math.NaN()
			case hi > lo:
				sc.pos[i] = (s - lo) / (hi - lo)
			default:
				sc.pos[i] = 0.5
			}
		}
		sc.lo, sc.hi = fmt.Sprintf("%.3f", lo), fmt.Sprintf("%.3f", hi)
	}
	return append(axes, sc)
}

func slicesMinMax(v []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

// brailleBits maps a dot (column 0–1, row 0–3) of a cell to its bit.
var brailleBits = [2][4]rune{{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}}

// parallelCoords draws the axes in w×h cells: a top line with the high
// ends, h-3 rows of chart, a line with the low ends and one with the
// names. Trials without a score are left out.
func parallelCoords(st Styles, axes []pcAxis, score []float64, w, h int) string {
	rows := max(h-3, 2)
	if len(axes) < 2 || w < 10 {
		return st.Dim.Render("the parallel coordinates appear when settings vary and trials have a score")
	}
	dw, dh := 2*w, 4*rows
	dots := make([][]rune, rows)
	owner := make([][]int, rows) // the trial that last drew in each cell
	for r := range rows {
		dots[r] = make([]rune, w)
		owner[r] = make([]int, w)
		for c := range owner[r] {
			owner[r][c] = -1
		}
	}
	ax := func(k int) int { return k * (dw - 1) / (len(axes) - 1) }
	set := func(x, y, who int) {
		if x < 0 || y < 0 || x >= dw || y >= dh {
			return
		}
		dots[y/4][x/2] |= brailleBits[x%2][y%4]
		if who >= 0 {
			owner[y/4][x/2] = who
		}
	}
	for k := range axes {
		for y := range dh {
			set(ax(k), y, -1)
		}
	}
	order := make([]int, 0, len(score))
	for i, s := range score {
		if !math.IsNaN(s) {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return score[order[a]] < score[order[b]] })
	for _, i := range order {
		for k := 0; k+1 < len(axes); k++ {
			x0, x1 := ax(k), ax(k+1)
			y0 := int(math.Round((1 - axes[k].pos[i]) * float64(dh-1)))
			y1 := int(math.Round((1 - axes[k+1].pos[i]) * float64(dh-1)))
			for x := x0; x <= x1; x++ {
				t := 0.0
				if x1 > x0 {
					t = float64(x-x0) / float64(x1-x0)
				}
				ya := int(math.Round(float64(y0) + t*float64(y1-y0)))
				yb := ya
				if x < x1 { // fill steep steps so the line stays joined
					t2 := float64(x+1-x0) / float64(max(x1-x0, 1))
					yb = int(math.Round(float64(y0) + t2*float64(y1-y0)))
				}
				for y := min(ya, yb); y <= max(ya, yb); y++ {
					set(x, y, i)
				}
			}
		}
	}
	lo, hi := 0.0, 0.0
	if len(order) > 0 {
		lo, hi = score[order[0]], score[order[len(order)-1]]
	}
	var b strings.Builder
	b.WriteString(axisLabels(axes, w, func(a pcAxis) string { return a.hi }, ax, st))
	for r := range rows {
		b.WriteByte('\n')
		for c := range w {
			ch := string(0x2800 + dots[r][c])
			if dots[r][c] == 0 {
				ch = " "
			}
			if who := owner[r][c]; who >= 0 && st.Color {
				ch = heatStyle(st, score[who], lo, hi).Render(ch)
			}
			b.WriteString(ch)
		}
	}
	b.WriteString("\n" + axisLabels(axes, w, func(a pcAxis) string { return a.lo }, ax, st))
	b.WriteString("\n" + axisLabels(axes, w, func(a pcAxis) string { return a.name }, ax, st))
	return b.String()
}

// heatStyle colours a score between lo and hi with the heat palette.
func heatStyle(st Styles, v, lo, hi float64) lipgloss.Style {
	f := 0.5
	if hi > lo {
		f = (v - lo) / (hi - lo)
	}
	i := min(int(f*float64(len(st.HeatFG)-1)+0.5), len(st.HeatFG)-1)
	return st.HeatFG[max(i, 0)]
}

// axisLabels writes one label per axis, under the axis where it fits
// (the first left-aligned, the last right-aligned, the rest centred), in a
// line w cells wide; a label that would overlap the one before is cut.
func axisLabels(axes []pcAxis, w int, label func(pcAxis) string, ax func(int) int, st Styles) string {
	line := []rune(strings.Repeat(" ", w))
	end := 0
	for k, a := range axes {
		s := []rune(label(a))
		x := ax(k) / 2
		start := x - len(s)/2
		switch k {
		case 0:
			start = 0
		case len(axes) - 1:
			start = w - len(s)
		}
		start = max(start, end)
		for j, r := range s {
			if start+j < w {
				line[start+j] = r
			}
		}
		end = min(w, start+len(s)+1)
	}
	return st.Dim.Render(strings.TrimRight(string(line), " "))
}
