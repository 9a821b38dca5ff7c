package ui

import (
	"strings"
	"testing"
)

// TestFlatChartLabelsDiffer: a series that never changes (the learning
// rate without a schedule, the usual case) is drawn with y labels that
// differ from row to row, at any magnitude: a tall chart of a constant
// once labelled every row 0.00101, 0.00100 or 0.00099.
func TestFlatChartLabelsDiffer(t *testing.T) {
	for _, v := range []float64{0.001, 3e-5, 2.5, 0, -0.02, 1500} {
		for _, h := range []int{5, 12, 30} {
			out := plot([][]float64{{v, v, v, v}}, chartOpts{W: 60, H: h})
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
