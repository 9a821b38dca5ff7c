package export

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// sweepReport is a sweep of six trials over a rate (a number over three
// decades) and a loss (words), two seeds; the last has no score yet.
func sweepReport() SweepReport {
	r := SweepReport{ID: "sweep-20261206-001500-page", Summary: "local, 2 at a time: 5 done, 1 running", Space: []string{"--grid=lr=0.0001,0.001,0.01;loss=ce,focal"}}
	for i, f1 := range []float64{0.31, 0.52, 0.44, 0.61, 0.12, math.NaN()} {
		t := SweepTrial{Run: fmt.Sprintf("t%03d", i), State: "done", BestF1: f1, BestEpoch: 3, EpochsDone: 3, Epochs: 3,
			Settings: []Setting{{"lr", []string{"0.0001", "0.001", "0.01"}[i/2]}, {"loss", []string{"ce", "focal"}[i%2]}, {"seed", fmt.Sprint(1 + i%2)}}}
		if math.IsNaN(f1) {
			t.State, t.BestEpoch, t.EpochsDone = "running", 0, 1
		}
		r.Trials = append(r.Trials, t)
	}
	var scored []runs.Scored
	for _, t := range r.Trials {
		set := map[string]string{}
		for _, s := range t.Settings {
			set[s.Name] = s.Value
		}
		scored = append(scored, runs.Scored{Settings: set, Score: t.BestF1})
	}
	r.Importance = runs.Importances([]string{"lr", "loss", "seed"}, scored)
	return r
}

// TestSweepCSVIsBestFirst: a row a trial, the best first and the one
// without a score last (an empty cell), each setting in its column; and
// a row a setting of what it accounts for.
func TestSweepCSVIsBestFirst(t *testing.T) {
	r := sweepReport()
	paths, err := SweepCSV(r, t.TempDir())
	if err != nil || len(paths) != 2 {
		t.Fatal(paths, err)
	}
	read := func(path string) [][]string {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close() //nolint:errcheck // read only
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	rows := read(paths[0])
	if want := []string{"trial", "state", "best_macro_f1", "best_epoch", "epochs_done", "epochs", "lr", "loss", "seed", "why"}; !slices.Equal(rows[0], want) {
		t.Fatalf("header %q, want %q", rows[0], want)
	}
	var order []string
	for _, r := range rows[1:] {
		order = append(order, r[0])
	}
	if want := []string{"t003", "t001", "t002", "t000", "t004", "t005"}; !slices.Equal(order, want) {
		t.Errorf("trials in the order %v, want %v", order, want)
	}
	if r := rows[1]; r[2] != "0.61" || r[6] != "0.001" || r[7] != "focal" || r[8] != "2" {
		t.Errorf("the best trial's row: %q", r)
	}
	if r := rows[6]; r[1] != "running" || r[2] != "" {
		t.Errorf("the trial without a score: %q", r)
	}
	// What each setting accounts for, a row each in the same order; the
	// seed's and the loss's Spearman are empty cells (a seed's number is
	// a name, a loss a word).
	imp := read(paths[1])
	if !slices.Equal(imp[0], []string{"setting", "share", "best", "best_mean", "best_trials", "groups", "trials", "spearman"}) || len(imp) != 1+len(r.Importance) {
		t.Fatalf("importance table: %q", imp)
	}
	for i, m := range r.Importance {
		if row := imp[1+i]; row[0] != m.Setting || row[1] != num(m.Share) || row[2] != m.Best || row[7] != num(m.Rank) || m.Setting == "seed" && row[7] != "" {
			t.Errorf("row %d: %q for %+v", i+1, row, m)
		}
	}
}

// TestSweepHTMLInChromium renders the sweep's page in headless Chromium:
// its best trial, what each setting accounts for (a row and a slice
// each), every trial best first, and nothing fetched from elsewhere.
func TestSweepHTMLInChromium(t *testing.T) {
	r := sweepReport()
	r.BestSetting = "best setting by its mean over its seeds: lr=0.001 loss=focal, mean macro F1 0.5900 over 2 of 2 seeds (t003 0.6100, t004 0.5700)"
	path, err := SweepHTML(r, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	selfContained(t, path)
	dom := chromiumDOM(t, path)
	for _, want := range []string{
		`<h1 id="sweep">sweep-20261206-001500-page</h1>`,
		`best macro F1 <b>0.6100</b>: t003 at epoch 3`,
		`<p class="best" id="best-setting">best setting by its mean over its seeds: lr=0.001 loss=focal, mean macro F1 0.5900 over 2 of 2 seeds (t003 0.6100, t004 0.5700)</p>`,
		`local, 2 at a time: 5 done, 1 running. Space: <code>--grid=lr=0.0001,0.001,0.01;loss=ce,focal </code>`,
		fmt.Sprintf(`<tr><td>lr</td><td>%.2f</td><td>0.001</td><td>0.5250</td><td>2</td><td>`, max(r.Importance[0].Share, 0)),
		`<th>lr</th><th>loss</th><th>seed</th>`,
		`<tr><td>t003</td><td>done</td><td>0.6100</td><td>3</td><td>3/3</td><td>0.001</td><td>focal</td><td>2</td>`,
		`<tr><td>t005</td><td>running</td><td>–</td><td>0</td><td>1/3</td>`,
		"lr (log)", "(ε² ",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("Chromium's DOM lacks %q", want)
		}
	}
	if r.Importance[0].Setting != "lr" {
		t.Fatalf("the rate does not come first: %+v", r.Importance)
	}
	if n := strings.Count(dom, "<svg"); n != len(r.Importance) {
		t.Errorf("%d figures for %d settings", n, len(r.Importance))
	}
	if strings.Index(dom, "<td>t003</td>") > strings.Index(dom, "<td>t004</td>") {
		t.Error("the trials are not best first")
	}
}
