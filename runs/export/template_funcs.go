package export

import (
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/maskdash/maskdash/runs"
)

// figureFuncs format a report's figures in both of its templates, the
// HTML page's and the Markdown report's: "–" where a figure is missing.
var figureFuncs = map[string]any{
	"f4": func(v float64) string {
		if math.IsNaN(v) {
			return "–"
		}
		return fmt.Sprintf("%.4f", v)
	},
	"clock": func(t time.Time) string { return t.Format("2006-01-02 15:04:05") },
	"g4":    func(v float64) string { return fmt.Sprintf("%.4g", v) },
	"base":  filepath.Base,
	"pct": func(v *float64) string {
		if v == nil {
			return "–"
		}
		return fmt.Sprintf("%.2f%%", 100**v)
	},
	"optf4": func(v *float64) string {
		if v == nil {
			return "–"
		}
		return fmt.Sprintf("%.4f", *v)
	},
	// The weights' median and a normal's ±1σ percentiles (the kept
	// spread's 15.87th, 50th and 84.13th); – without one.
	"spread": func(q []float64) string {
		if len(q) != len(runs.SpreadPercentiles) {
			return "–"
		}
		return fmt.Sprintf("%.3g / %.3g / %.3g", q[2], q[4], q[6])
	},
	"sign2": func(v float64) string { return fmt.Sprintf("%+.2f", v) },
	"sign4": func(v float64) string { return fmt.Sprintf("%+.4f", v) },
	"task": func(m map[string]float64, t string) string {
		if v, ok := m[t]; ok {
			return fmt.Sprintf("%.4f", v)
		}
		return "–"
	},
}
