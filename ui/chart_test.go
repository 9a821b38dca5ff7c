package ui

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/maskdash/maskdash/training"
)

// TestFlatChartLabelsDiffer: a series that never changes (the learning
// rate without a schedule, the usual case) is drawn with y labels that
// differ from row to row, at any magnitude, and its line on a row labelled
// its value, whatever the number of rows: a tall chart of a constant once
// labelled every row 0.00101, 0.00100 or 0.00099, and a two-row chart of
// 0.002 drew its line on the row labelled 0.0010.
func TestFlatChartLabelsDiffer(t *testing.T) {
	for _, v := range []float64{0.001, 3e-5, 2.5, 0, -0.02, 1500} {
		for _, h := range []int{2, 3, 5, 12, 30} {
			out := plot([][]float64{{v, v, v, v}}, chartOpts{W: 60, H: h})
			onValue := false
			for _, line := range strings.Split(out, "\n") {
				if i := strings.Index(line, "┼"); i >= 0 {
					got, err := strconv.ParseFloat(strings.TrimSpace(line[:i]), 64)
					onValue = err == nil && math.Abs(got-v) <= 1e-9+0.02*math.Abs(v)
				}
			}
			if !onValue {
				t.Errorf("value %g, height %d: the line is not on a row labelled the value:\n%s", v, h, out)
			}
			seen := map[string]bool{}
			rows := 0
			for _, line := range strings.Split(out, "\n") {
				i := strings.IndexAny(line, "┤┼")
				if i < 0 {
					continue
				}
				label := strings.TrimSpace(line[:i])
				rows++
				if seen[label] {
					t.Errorf("value %g, height %d: the label %s is on two rows:\n%s", v, h, label, out)
					break
				}
				seen[label] = true
			}
			if rows < h-1 {
				t.Errorf("value %g, height %d: %d labelled rows", v, h, rows)
			}
		}
	}
}

// TestChartLabelsCarryNeededDecimals: y labels have one decimal more
// than tells neighbouring rows apart: whole numbers for images/s in the
// thousands, two decimals for a loss from 0.9 to 3.4, six for a narrow
// range near 0.67; never the same label on two rows.
func TestChartLabelsCarryNeededDecimals(t *testing.T) {
	for _, c := range []struct {
		series   []float64
		decimals int
	}{
		{[]float64{473, 1769, 1622}, 0},
		{[]float64{3.43, 0.94, 1.0}, 2},
		{[]float64{0.6660, 0.6670, 0.6665}, 6},
		{[]float64{-1e-4, 2e-4}, 6},
	} {
		out := plot([][]float64{c.series}, chartOpts{W: 60, H: 20})
		seen := map[string]bool{}
		for _, line := range strings.Split(out, "\n") {
			i := strings.IndexAny(line, "┤┼")
			if i < 0 {
				continue
			}
			label := strings.TrimSpace(line[:i])
			if seen[label] {
				t.Errorf("%v: the label %s is on two rows:\n%s", c.series, label, out)
			}
			seen[label] = true
			got := 0
			if j := strings.IndexByte(label, '.'); j >= 0 {
				got = len(label) - j - 1
			}
			if got != c.decimals {
				t.Errorf("%v: label %s has %d decimals, want %d", c.series, label, got, c.decimals)
				break
			}
		}
	}
}

// TestLRChangeShowsAtOnce: a learning-rate change made after the last
// step event (the script's ×2 at step 80, as when the run is paused) shows
// on the learning-rate chart at once, as its right edge, not only from
// the next step event on; a zoomed window shows it too when it reaches
// the newest step, and one that ends earlier does not.
func TestLRChangeShowsAtOnce(t *testing.T) {
	for _, c := range []struct {
		name string
		keys []string
		edge bool
	}{
		{"recent", nil, true},
		{"zoomed at the newest step", []string{".", "z"}, true},
		{"zoomed before it", []string{".", ",", ",", ",", ",", ",", ",", ",", ",", "z", "z"}, false},
	} {
		m := New(Options{Snapshot: script(), Ctrl: &fakeCtrl{}, Renderer: asciiRenderer()})
		m, _ = m.Resize(120, 40)
		for _, k := range c.keys {
			m, _ = press(m, k)
		}
		lines := strings.Split(m.View(), "\n")
		found := false
		for i, l := range lines {
			if !strings.Contains(l, "learning rate 0.002") {
				continue
			}
			found = true
			var rows []string
			for _, r := range lines[i+1:] {
				if !strings.Contains(r, "┤") && !strings.Contains(r, "┼") {
					break
				}
				rows = append(rows, r)
			}
			top := rows[0]
			j := strings.Index(top, "0.00")
			edge := j >= 0 && strings.HasPrefix(top[j:], "0.00200 ┤") && strings.HasSuffix(strings.TrimRight(top, " "), "╭")
			if edge != c.edge {
				t.Errorf("%s: the new rate at the right edge: %v, want %v\n%s", c.name, edge, c.edge, strings.Join(lines, "\n"))
			}
			if !c.edge {
				for _, r := range rows {
					if strings.ContainsAny(r, "╭╯") {
						t.Errorf("%s: a window that ends before the change draws a step in the rate: %q", c.name, r)
					}
				}
			}
			break
		}
		if !found {
			t.Errorf("%s: no learning-rate chart titled with the new rate:\n%s", c.name, strings.Join(lines, "\n"))
		}
	}
}

// TestHelpKeepsWholeColumns: the ? screen on a narrow terminal shows the
// key columns that fit whole and says how many keys it left out (a cut at
// the edge once hid the ends of descriptions and whole columns silently);
// a wide one shows every key.
func TestHelpKeepsWholeColumns(t *testing.T) {
	for _, c := range []struct {
		w, h int
		cut  bool
	}{{60, 20, true}, {200, 40, false}} {
		m := New(Options{Snapshot: script(), Ctrl: &fakeCtrl{}, Renderer: asciiRenderer()})
		m, _ = m.Resize(c.w, c.h)
		m, _ = press(m, "?")
		v := m.View()
		checkScreen(t, v, c.w, c.h)
		if got := strings.Contains(v, "more in a wider window"); got != c.cut {
			t.Errorf("%dx%d: says keys are left out: %v, want %v\n%s", c.w, c.h, got, c.cut, v)
		}
		if !c.cut && !strings.Contains(v, "delete run") {
			t.Errorf("%dx%d: a key is missing:\n%s", c.w, c.h, v)
		}
	}
}

// TestNarrowConfusionByIndex: on a terminal too narrow for the class
// names beside 18 columns (60 cells), the confusion matrix labels its
// rows by index, as its columns are, and shows all 18 columns instead of
// a matrix cut at the edge; a click on a cell still finds that cell.
func TestNarrowConfusionByIndex(t *testing.T) {
	m := New(Options{Snapshot: script(), Ctrl: &fakeCtrl{}, Renderer: asciiRenderer()})
	m, _ = m.Resize(60, 40)
	m, _ = press(m, "2")
	v := m.View()
	checkScreen(t, v, 60, 40)
	lines := strings.Split(v, "\n")
	row17 := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "17 ") {
			row17 = i
		}
		if strings.Contains(l, "wear·M·<30") && strings.Contains(l, "·  ·") {
			t.Errorf("a row labelled by name on a narrow screen: %q", l)
		}
	}
	if row17 < 0 || !strings.Contains(v, "· classes by") || !strings.Contains(v, "15 16 17") {
		t.Fatalf("no row 17, column 17 or note on a 60-cell screen:\n%s", v)
	}
	// Column 17 of row 17: past the label (two cells and a space), its
	// three-cell column.
	x := len("17 ") + 3*17 + 1
	_, tr, pr, ok := m.cellAt(x, row17-lipgloss.Height(m.headerView(60)))
	if !ok || tr != 17 || pr != 17 {
		t.Errorf("a click on row 17, column 17 finds %d, %d (%v)", tr, pr, ok)
	}
}

// TestConfusionOnAPhoneScreen: narrower than the 18 columns (57 cells),
// the matrix shows the columns that fit whole and the title says which;
// picking a cell moves the window to keep it on screen, and a click
// finds the cell under it there; the three task tables wrap instead of
// losing the age table at the edge. At 50 columns the matrix was cut
// mid-number ("13 14 1") and classes 15–17 were off screen unsaid.
func TestConfusionOnAPhoneScreen(t *testing.T) {
	for w := 40; w <= 64; w += 4 {
		m := New(Options{Snapshot: script(), Ctrl: &fakeCtrl{}, Renderer: asciiRenderer()})
		m, _ = m.Resize(w, 50)
		m, _ = press(m, "2")
		v := m.View()
		checkScreen(t, v, w, 50)
		head, _ := matrixHeader(v)
		if len(head) == 0 {
			t.Fatalf("width %d: no column numbers:\n%s", w, v)
		}
		if head[0] != 0 || head[len(head)-1] != len(head)-1 {
			t.Errorf("width %d: the columns %v are not 0 on, whole", w, head)
		}
		if shown := len(head); shown < 18 && !strings.Contains(v, fmt.Sprintf("columns 0–%d of 18", shown-1)) {
			t.Errorf("width %d: %d columns shown and the title does not say so:\n%s", w, shown, v)
		}
		if !strings.Contains(v, "age  acc") {
			t.Errorf("width %d: no age table:\n%s", w, v)
		}
		// pick the cell (17, 17): the window follows it
		m, _ = press(m, "e")
		for range 17 {
			m, _ = press(m, "down", "right")
		}
		v = m.View()
		head, row0 := matrixHeader(v)
		if len(head) == 0 || head[len(head)-1] != 17 {
			t.Fatalf("width %d: picking column 17 shows the columns %v:\n%s", w, head, v)
		}
		lines := strings.Split(v, "\n")
		row17 := row0 + 18
		if !strings.HasPrefix(lines[row17], "17 ") {
			t.Fatalf("width %d: line %d is not row 17: %q", w, row17, lines[row17])
		}
		x := len("17 ") + 3*(len(head)-1) + 1 // the last column shown
		if _, tr, pr, ok := m.cellAt(x, row17-lipgloss.Height(m.headerView(w))); !ok || tr != 17 || pr != 17 {
			t.Errorf("width %d: a click on row 17's last column finds %d, %d (%v)", w, tr, pr, ok)
		}
	}
}

// matrixHeader finds the confusion matrix's line of column numbers in v:
// the numbers, and the line's index.
func matrixHeader(v string) ([]int, int) {
	for i, l := range strings.Split(v, "\n") {
		f := strings.Fields(l)
		if len(f) < 5 {
			continue
		}
		var nums []int // the leading numbers (the per-class F1 column may follow)
		for _, x := range f {
			n, err := strconv.Atoi(x)
			if err != nil {
				break
			}
			nums = append(nums, n)
		}
		if len(nums) >= 5 && len(nums) >= len(f)-1 {
			return nums, i
		}
	}
	return nil, -1
}

// TestClassTrends: each class's F1 over the last epochs as a sparkline, 0
// to 1 in eighths; an epoch without per-class scores gives no trend.
func TestClassTrends(t *testing.T) {
	if got := sparkline([]float64{0, 0.5, 0.99, 1, math.NaN()}); got != "▁▅██ " {
		t.Errorf("sparkline: %q", got)
	}
	ms := []*training.Metrics{
		{Classes: []training.ClassScores{{F1: 0.1}, {F1: 0.9}}},
		{Classes: []training.ClassScores{{F1: 0.2}, {F1: 0.8}}},
		{Classes: []training.ClassScores{{F1: 0.3}, {F1: 0.7}}},
	}
	tr := classTrends(ms, 2, 2) // the last two epochs
	if len(tr) != 2 || !slices.Equal(tr[0], []float64{0.2, 0.3}) || !slices.Equal(tr[1], []float64{0.8, 0.7}) {
		t.Errorf("trends: %v", tr)
	}
	if tr := classTrends(append(ms, &training.Metrics{}), 2, 10); tr != nil {
		t.Errorf("an epoch without per-class scores gave %v", tr)
	}
	if tr := classTrends(ms, 2, 1); tr != nil {
		t.Errorf("no room gave %v", tr)
	}
}

// TestWholeTicks: an epoch axis gets ticks on whole epochs only (1–8 got
// a tick at 4.5 labelled "4").
func TestWholeTicks(t *testing.T) {
	for _, c := range []struct {
		span        float64
		limit, want int
	}{{7, 5, 2}, {8, 5, 5}, {6, 5, 4}, {2, 5, 3}, {1, 5, 2}, {9, 3, 2}, {8, 3, 3}, {30, 5, 4}} {
		if got := wholeTicks(c.span, c.limit); got != c.want {
			t.Errorf("wholeTicks(%v, %d) = %d, want %d", c.span, c.limit, got, c.want)
		}
	}
}

// TestPlotLR: the range test's chart labels its log axis with rates and
// puts the ▲ under the suggested rate's column.
func TestPlotLR(t *testing.T) {
	for v, want := range map[float64]string{1e-7: "1e-7", 5.6e-6: "5.6e-6", 3.2e-4: "3.2e-4", 0.018: "0.018", 1: "1", 1000: "1e3"} {
		if got := rateLabel(v); got != want {
			t.Errorf("rateLabel(%g) = %q, want %q", v, got, want)
		}
	}
	var lrs, loss []float64
	for i := range 41 {
		lrs = append(lrs, 1e-6*math.Pow(10, float64(i)/8))
		loss = append(loss, 3-math.Tanh(float64(i-20)/5))
	}
	out := PlotLR(lrs, loss, 20, 60, 14, "range test", false)
	lines := strings.Split(out, "\n")
	if lines[0] != "range test" || !strings.Contains(out, "1e-6") || !strings.Contains(out, "0.1\n") {
		t.Errorf("the chart lacks its title or rate labels:\n%s", out)
	}
	last := lines[len(lines)-1]
	col := strings.IndexRune(last, '▲')
	start := dataOffset(out)
	if want := start + int(math.Round(20*float64(60-12-1)/40)); col != want {
		t.Errorf("▲ at column %d, want %d (the middle point):\n%s", col, want, out)
	}
}

// TestPlotHasAnEpochAxis: compare's chart of validation figures per
// epoch has the epochs under it, at whole numbers (it had no x-axis).
func TestPlotHasAnEpochAxis(t *testing.T) {
	out := Plot([][]float64{{0.1, 0.2, 0.25, 0.3, 0.32}, {0.15, 0.2, 0.22}}, nil, 60, 14, "f1", false)
	lines := strings.Split(out, "\n")
	axis := -1
	for i, l := range lines {
		if strings.Contains(l, "└") {
			axis = i
		}
	}
	if axis < 0 || axis+1 >= len(lines) || strings.Fields(lines[axis+1])[0] != "1" || !strings.HasSuffix(strings.TrimSpace(lines[axis+1]), "5") {
		t.Fatalf("no epoch axis from 1 to 5 under the chart:\n%s", out)
	}
	for _, f := range strings.Fields(lines[axis+1]) {
		if _, err := strconv.Atoi(f); err != nil {
			t.Errorf("epoch label %q is not a whole number:\n%s", f, out)
		}
	}
}
