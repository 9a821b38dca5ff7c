package ui

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ScatterMarks are the marks of n labels: 0–9, then a–z (repeating past
// 36).
func ScatterMarks(n int) []string {
	m := make([]string, n)
	for i := range m {
		m[i] = strconv.FormatInt(int64(i%36), 36)
	}
	return m
}

// ScatterLegend names each label's mark (ScatterMarks): "0 cat · 1 dog".
func ScatterLegend(names []string) string {
	marks := ScatterMarks(len(names))
	legend := make([]string, len(names))
	for l, n := range names {
		legend[l] = marks[l] + " " + n
	}
	return strings.Join(legend, " · ")
}

// Scatter draws points in a w×h grid of cells, each cell the mark of the
// label most of its points have (labels index marks); the x-axis across,
// the y-axis up, with their ranges below. maskdash embed draws the
// validation images' embeddings with it, each image its class's mark.
// In colour each label has its own colour too (the runs overlay's).
func Scatter(xy [][2]float64, labels []int, marks []string, w, h int, colour bool) string {
	w, h = max(w, 10), max(h, 4)
	lo, hi := [2]float64{math.Inf(1), math.Inf(1)}, [2]float64{math.Inf(-1), math.Inf(-1)}
	for _, p := range xy {
		for a := range 2 {
			lo[a], hi[a] = min(lo[a], p[a]), max(hi[a], p[a])
		}
	}
	if len(xy) == 0 {
		return "no points"
	}
	counts := make([][]map[int]int, h)
	for r := range counts {
		counts[r] = make([]map[int]int, w)
	}
	cell := func(v float64, a, n int) int {
		if hi[a] == lo[a] {
			return n / 2
		}
		return min(int((v-lo[a])/(hi[a]-lo[a])*float64(n)), n-1)
	}
	for i, p := range xy {
		c, r := cell(p[0], 0, w), h-1-cell(p[1], 1, h)
		if counts[r][c] == nil {
			counts[r][c] = map[int]int{}
		}
		counts[r][c][labels[i]]++
	}
	var b strings.Builder
	for r := range h {
		for c := range w {
			best, n := -1, 0
			for l, k := range counts[r][c] {
				if k > n || k == n && l < best {
					best, n = l, k
				}
			}
			switch {
			case best < 0:
				b.WriteByte(' ')
			case colour:
				b.WriteString(overlayColors[best%len(overlayColors)].String() + marks[best] + "\x1b[0m")
			default:
				b.WriteString(marks[best])
			}
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "across %.3g to %.3g, up %.3g to %.3g", lo[0], hi[0], lo[1], hi[1])
	return b.String()
}
