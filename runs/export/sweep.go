package export

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/maskdash/maskdash/runs"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// A sweep's page and table: its trials, best first, and what each
// setting accounts for in their best macro F1, with a slice of each
// (every scored trial at its value and F1, what the sweep view's ←/→
// show). The caller reads the sweep (package sweep is not this
// package's to import): SweepReport is what it read.

// SweepReport is a sweep as its page and table show it.
type SweepReport struct {
	ID      string
	Summary string   // "local, 2 at a time: 12 done"
	Search  string   // an adaptive search's progress ("TPE, 12 of 20 settings …"); "" for none
	Space   []string // the space as typed
	Trials  []SweepTrial
	// Importance is what each setting that varies accounts for
	// (runs.Importances of the trials), the largest share first.
	Importance []runs.Importance
	// BestSetting, of a sweep whose settings train on several folds or
	// seeds, names the best setting by its mean over them, as sweep
	// status says it; "" otherwise.
	BestSetting string
}

// SweepTrial is one trial of a sweep.
type SweepTrial struct {
	Run, State, Why string
	Settings        []Setting // its searched values, fold and seed
	BestF1          float64   // NaN: no epoch finished
	BestEpoch       int
	EpochsDone      int
	Epochs          int
}

// Setting is a setting's name and value.
type Setting struct{ Name, Value string }

// value is the trial's value of the named setting ("" if it has none).
func (t SweepTrial) value(name string) string {
	for _, s := range t.Settings {
		if s.Name == name {
			return s.Value
		}
	}
	return ""
}

// settingNames are the settings of a sweep's trials, in their order.
func (r SweepReport) settingNames() []string {
	var names []string
	seen := map[string]bool{}
	for _, t := range r.Trials {
		for _, s := range t.Settings {
			if !seen[s.Name] {
				seen[s.Name] = true
				names = append(names, s.Name)
			}
		}
	}
	return names
}

// byBest is the trials, the best F1 first (those without one last).
func (r SweepReport) byBest() []SweepTrial {
	out := append([]SweepTrial(nil), r.Trials...)
	sort.SliceStable(out, func(a, b int) bool { return runs.HigherFirst(out[a].BestF1, out[b].BestF1) })
	return out
}

// SweepCSV writes <sweep>-trials.csv into out: a row a trial, the best
// first, with its state, best macro F1 and epoch, epochs, each setting
// in a column of its own and why it stopped or failed; and, when a
// setting varies, <sweep>-importance.csv: a row a setting, what it
// accounts for (Importance; an empty cell for a figure it has none of).
// It returns the files' paths.
func SweepCSV(r SweepReport, out string) ([]string, error) {
	trials, err := sweepTrialsCSV(r, out)
	if err != nil || len(r.Importance) == 0 {
		return []string{trials}, err
	}
	rows := [][]string{{"setting", "share", "best", "best_mean", "best_trials", "groups", "trials", "spearman"}}
	for _, m := range r.Importance {
		rows = append(rows, []string{m.Setting, num(m.Share), m.Best, num(m.BestMean), strconv.Itoa(m.BestRuns), strconv.Itoa(m.Groups), strconv.Itoa(m.Runs), num(m.Rank)})
	}
	path := filepath.Join(out, r.ID+"-importance.csv")
	return []string{trials, path}, writeCSV(path, rows)
}

// sweepTrialsCSV writes <sweep>-trials.csv (SweepCSV).
func sweepTrialsCSV(r SweepReport, out string) (string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", fmt.Errorf("export folder: %w", err)
	}
	names := r.settingNames()
	rows := [][]string{append(append([]string{"trial", "state", "best_macro_f1", "best_epoch", "epochs_done", "epochs"}, names...), "why")}
	for _, t := range r.byBest() {
		row := []string{t.Run, t.State, num(t.BestF1), strconv.Itoa(t.BestEpoch), strconv.Itoa(t.EpochsDone), strconv.Itoa(t.Epochs)}
		for _, n := range names {
			row = append(row, t.value(n))
		}
		rows = append(rows, append(row, t.Why))
	}
	path := filepath.Join(out, r.ID+"-trials.csv")
	return path, writeCSV(path, rows)
}

// SweepHTML writes <sweep>.html into out: one self-contained page (no
// network, no scripts) with the sweep's space and progress, what each
// setting accounts for with its slice as inline SVG, and every trial.
// It returns the page's path.
func SweepHTML(r SweepReport, out string) (string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", fmt.Errorf("export folder: %w", err)
	}
	page := sweepPage{SweepReport: r, Written: time.Now().Format(time.RFC3339), Trials: r.byBest(), Names: r.settingNames()}
	if best := page.Trials; len(best) > 0 && !math.IsNaN(best[0].BestF1) {
		page.Best = &best[0]
	}
	for k, imp := range r.Importance {
		var buf bytes.Buffer
		// The first figure's fonts serve the whole page.
		// Two a row on the page (1,000 pixels wide, 360 points each).
		if err := render(&buf, r.slice(imp), "svg", Size{360, 270}, k == 0); err != nil {
			return "", err
		}
		page.Slices = append(page.Slices, sliceFigure{Importance: imp, SVG: template.HTML(svgBody(buf.Bytes()))})
	}
	var buf bytes.Buffer
	if err := sweepTmpl.Execute(&buf, page); err != nil {
		return "", fmt.Errorf("export html: %w", err)
	}
	path := filepath.Join(out, r.ID+".html")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("export: %w", err)
	}
	return path, nil
}

// slice plots one setting against best macro F1: a dot a scored trial.
// A number setting whose positive values span more than 20× has a log
// axis; a setting of words has one place a value, in sorted order.
func (r SweepReport) slice(imp runs.Importance) *plot.Plot {
	p := plot.New()
	p.Title.Text = imp.Setting
	if !math.IsNaN(imp.Share) {
		p.Title.Text += fmt.Sprintf(" (ε² %.2f)", max(imp.Share, 0))
	}
	p.X.Label.Text = imp.Setting
	p.Y.Label.Text = "best macro F1"
	p.Add(plotter.NewGrid())
	var values []string
	var f1 []float64
	for _, t := range r.Trials {
		if !math.IsNaN(t.BestF1) {
			values = append(values, t.value(imp.Setting))
			f1 = append(f1, t.BestF1)
		}
	}
	xs, numeric := runs.SettingNumbers(values)
	if numeric {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, x := range xs {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
		if runs.LogAxis(lo, hi) {
			p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
			p.X.Label.Text += " (log)"
		}
	} else {
		words := map[string]bool{}
		for _, v := range values {
			words[v] = true
		}
		sorted := make([]string, 0, len(words))
		for w := range words {
			sorted = append(sorted, w)
		}
		sort.Strings(sorted)
		xs = make([]float64, len(values))
		place := map[string]float64{}
		ticks := make([]plot.Tick, len(sorted))
		for i, w := range sorted {
			place[w] = float64(i)
			ticks[i] = plot.Tick{Value: float64(i), Label: w}
		}
		for i, v := range values {
			xs[i] = place[v]
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
		p.X.Min, p.X.Max = -0.5, float64(len(sorted))-0.5
	}
	xy := make(plotter.XYs, len(xs))
	for i := range xs {
		xy[i] = plotter.XY{X: xs[i], Y: f1[i]}
	}
	if s, err := plotter.NewScatter(xy); err == nil {
		s.Color = colF1
		s.Radius = vg.Points(3)
		p.Add(s)
	}
	return p
}

// sweepPage is what the sweep's page template reads.
type sweepPage struct {
	SweepReport
	Trials  []SweepTrial // the best first
	Names   []string     // the settings' columns
	Best    *SweepTrial
	Slices  []sliceFigure
	Written string
}

// sliceFigure is one setting's importance and its slice as inline SVG.
type sliceFigure struct {
	runs.Importance
	SVG template.HTML
}

var sweepTmpl = template.Must(template.New("sweep").Funcs(template.FuncMap{
	"f4": func(v float64) string {
		if math.IsNaN(v) {
			return "–"
		}
		return fmt.Sprintf("%.4f", v)
	},
	"share": func(v float64) string {
		if math.IsNaN(v) {
			return "–"
		}
		return fmt.Sprintf("%.2f", max(v, 0))
	},
	"rho": func(v float64) string {
		if math.IsNaN(v) {
			return "–"
		}
		return fmt.Sprintf("%+.2f", v)
	},
	"value": func(t SweepTrial, name string) string { return t.value(name) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>maskdash sweep {{.ID}}</title>
<style>
` + pageCSS + `.slices{display:flex;flex-wrap:wrap;gap:1em} figure{margin:0}
</style></head><body>
<h1 id="sweep">{{.ID}}</h1>
{{with .Best}}<p class="best" id="best">best macro F1 <b>{{f4 .BestF1}}</b>: {{.Run}} at epoch {{.BestEpoch}}</p>
{{end}}{{with .BestSetting}}<p class="best" id="best-setting">{{.}}</p>
{{end}}<p class="muted">{{.Summary}}{{with .Search}}; {{.}}{{end}}. Space: <code>{{range .Space}}{{.}} {{end}}</code>. Written by maskdash export on {{.Written}}.</p>
{{with .Slices}}<h2>What each setting accounts for</h2>
<p class="muted">ε²: the share of the scored trials' best macro F1 spread between the trials grouped by the setting's value,
less what chance gives that many groups (about 0 for a setting that does nothing, 1 for one that decides alone); main effects
only, read from the trials as they are. A seed's or fold's share is what noise alone gives.</p>
<table id="importance"><tr><th>setting</th><th>ε²</th><th>best</th><th>its mean F1</th><th>trials</th><th>Spearman</th></tr>
{{range .}}<tr><td>{{.Setting}}</td><td>{{share .Share}}</td><td>{{.Best}}</td><td>{{f4 .BestMean}}</td><td>{{.BestRuns}}</td><td>{{rho .Rank}}</td></tr>
{{end}}</table>
<div class="slices">{{range .}}<figure>{{.SVG}}</figure>{{end}}</div>
{{end}}<h2>Trials</h2>
<table id="trials"><tr><th>trial</th><th>state</th><th>best F1</th><th>epoch</th><th>epochs</th>{{range .Names}}<th>{{.}}</th>{{end}}<th>why</th></tr>
{{range $t := .Trials}}<tr><td>{{.Run}}</td><td>{{.State}}</td><td>{{f4 .BestF1}}</td><td>{{.BestEpoch}}</td><td>{{.EpochsDone}}/{{.Epochs}}</td>{{range $.Names}}<td>{{value $t .}}</td>{{end}}<td style="text-align:left">{{$t.Why}}</td></tr>
{{end}}</table>
</body></html>
`))
