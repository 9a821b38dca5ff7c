package ui

import (
	"strings"
	"testing"
)

// TestSliceChartPlacesEachTrial: each scored trial is a dot at its
// setting (x) and score (y): the lowest score at the bottom left, the
// highest at the top right, a trial without a score nowhere; the score's
// ends label the rows, the setting's ends (or each category) the x-axis.
func TestSliceChartPlacesEachTrial(t *testing.T) {
	st := NewStyles(asciiRenderer())
	nan := []float64{0.2, 0.5, 0.8, 0}
	nan[3] = nan[3] / nan[3] // NaN: no score yet
	ax := pcAxis{name: "lr (log)", setting: "lr", lo: "1e-05", hi: "0.1", pos: []float64{0, 0.5, 1, 0.25}}
	out := sliceChart(st, ax, nan, 40, 10)
	lines := strings.Split(out, "\n")
	if len(lines) != 10 {
		t.Fatalf("%d lines, want 10:\n%s", len(lines), out)
	}
	dotsAt := func(line string) []int {
		var at []int
		for i, r := range []rune(line) {
			if r > 0x2800 && r <= 0x28ff {
				at = append(at, i)
			}
		}
		return at
	}
	top, bottom := dotsAt(lines[0]), dotsAt(lines[7])
	if !strings.HasPrefix(lines[0], "0.800") || !strings.HasPrefix(lines[7], "0.200") {
		t.Errorf("the score's ends are not on the first and last rows:\n%s", out)
	}
	if len(top) != 1 || top[0] != 39 || len(bottom) != 1 || bottom[0] != 6 {
		t.Errorf("the best trial at the top right, the worst at the bottom left: top %v bottom %v\n%s", top, bottom, out)
	}
	dots := 0
	for _, l := range lines[:8] {
		dots += len(dotsAt(l))
	}
	if dots != 3 {
		t.Errorf("%d cells with dots, want one a scored trial:\n%s", dots, out)
	}
	if !strings.HasPrefix(strings.TrimSpace(lines[8]), "1e-05") || !strings.HasSuffix(lines[8], "0.1") || !strings.Contains(lines[9], "lr (log) → best macro F1") {
		t.Errorf("the x-axis labels:\n%s", out)
	}
	cats := pcAxis{name: "loss", setting: "loss", lo: "ce", hi: "smooth", cats: []string{"ce", "focal", "smooth"}, pos: []float64{0, 0.5, 1, 0}}
	line := strings.Split(sliceChart(st, cats, nan, 40, 10), "\n")[8]
	if f := strings.Fields(line); len(f) != 3 || f[0] != "ce" || f[1] != "focal" || f[2] != "smooth" || strings.Index(line, "focal") < 20 {
		t.Errorf("each category under its place: %q", line)
	}
}
