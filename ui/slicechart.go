package ui

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// A slice chart: one setting of a sweep against its trials' best macro
// F1, each scored trial a dot (a 2×2 block of braille dots) at its value
// and its score (a cell's width, half its height), coloured from cold to
// hot as in the parallel
// coordinates, whose axis it shares (logarithmic where the values span
// more than 20×, categories evenly spaced). What Optuna calls a slice
// plot: how the score went with that one setting.

// sliceChart draws axis ax (an axis of pcAxes) against the scores in
// w×h cells: the score's ends at the left, h-2 rows of dots, then the
// setting's values (a number axis: its ends; categories: each under its
// place) and its name.
func sliceChart(st Styles, ax pcAxis, score []float64, w, h int) string {
	const gutter = 6 // "0.429 "
	cw, rows := w-gutter, max(h-2, 2)
	var order []int
	for i, s := range score {
		if !math.IsNaN(s) {
			order = append(order, i)
		}
	}
	if cw < 10 || len(order) == 0 {
		return st.Dim.Render("the slice appears when trials have a score")
	}
	sort.SliceStable(order, func(a, b int) bool { return score[order[a]] < score[order[b]] })
	lo, hi := score[order[0]], score[order[len(order)-1]]
	dots := make([][]rune, rows)
	owner := make([][]int, rows)
	for r := range rows {
		dots[r] = make([]rune, cw)
		owner[r] = make([]int, cw)
		for c := range owner[r] {
			owner[r][c] = -1
		}
	}
	for _, i := range order { // the best last, on top
		y := 0.5
		if hi > lo {
			y = (score[i] - lo) / (hi - lo)
		}
		// A whole cell's width and half its height: a cell holds the
		// dots of at most two trials' places, one above the other.
		c := int(math.Round(ax.pos[i] * float64(cw-1)))
		half := int(math.Round((1 - y) * float64(2*rows-1)))
		r := half / 2
		for dx := range 2 {
			for dy := range 2 {
				dots[r][c] |= brailleBits[dx][2*(half%2)+dy]
			}
		}
		owner[r][c] = i
	}
	var b strings.Builder
	for r := range rows {
		label := ""
		switch r {
		case 0:
			label = fmt.Sprintf("%.3f", hi)
		case rows - 1:
			label = fmt.Sprintf("%.3f", lo)
		}
		b.WriteString(st.Dim.Render(fmt.Sprintf("%-*s", gutter-1, label)) + st.Dim.Render("│"))
		for c := range cw {
			if dots[r][c] == 0 {
				b.WriteByte(' ')
				continue
			}
			ch := string(0x2800 + dots[r][c])
			if who := owner[r][c]; who >= 0 && st.Color {
				ch = heatStyle(st, score[who], lo, hi).Render(ch)
			}
			b.WriteString(ch)
		}
		b.WriteByte('\n')
	}
	b.WriteString(strings.Repeat(" ", gutter) + sliceLabels(ax, cw, st))
	b.WriteString("\n" + strings.Repeat(" ", gutter) + st.Dim.Render(truncate(ax.name+" → best macro F1", cw)))
	return b.String()
}

// sliceLabels is the line under a slice chart, cw cells wide: a number
// axis's two ends, or each category under its place (one that would
// overlap the one before is cut).
func sliceLabels(ax pcAxis, cw int, st Styles) string {
	if ax.cats == nil {
		gap := max(cw-len([]rune(ax.lo))-len([]rune(ax.hi)), 1)
		return st.Dim.Render(truncate(ax.lo+strings.Repeat(" ", gap)+ax.hi, cw))
	}
	line := []rune(strings.Repeat(" ", cw))
	end := 0
	for k, c := range ax.cats {
		s := []rune(c)
		x := 0
		if len(ax.cats) > 1 {
			x = k * (cw - 1) / (len(ax.cats) - 1)
		}
		start := min(max(x-len(s)/2, end, 0), max(cw-len(s), 0))
		if start < end {
			continue // no room for it
		}
		for j, r := range s {
			if start+j < cw {
				line[start+j] = r
			}
		}
		end = start + len(s) + 1
	}
	return st.Dim.Render(strings.TrimRight(string(line), " "))
}
