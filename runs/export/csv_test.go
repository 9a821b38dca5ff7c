package export

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// TestCSVReadsBack writes a run with 1,000 history rows and three epochs
// (one of them redone after a resume) and reads the CSV back.
func TestCSVReadsBack(t *testing.T) {
	store := runs.NewStore(t.TempDir())
	r, err := store.Create(runs.Info{Model: "cnn-s", Loss: "ce"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 1000; i++ {
		vals := map[string]float64{"loss": 1 / float64(i), "lr": 1e-3}
		if i%2 == 0 {
			delete(vals, "lr") // a missing value is an empty cell
		}
		if err := r.AppendHistory(10*i, vals); err != nil {
			t.Fatal(err)
		}
	}
	for _, ep := range []int{1, 2, 2, 3} {
		e := map[string]any{"kind": "epoch", "epoch": ep, "step": 100 * ep, "train_acc": 0.5,
			"val": map[string]any{"loss": 2.0 / float64(ep), "accuracy": 0.1 * float64(ep), "macro_f1": 0.05 * float64(ep),
				"tasks": map[string]any{"mask": map[string]any{"macro_f1": 0.9}}}}
		if err := r.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	// Two measured steps, the second redone after a resume (its last
	// line wins).
	for i, st := range []int{10, 500, 500} {
		e := map[string]any{"kind": "step", "step": st, "loss": 1.0, "layers": []map[string]any{
			{"name": "conv1.weight", "n": 432, "rank": 4, "w": 4.0, "g": 0.5, "u": 0.004 * float64(i+1), "q": []float64{-1, -0.5, -0.25, -0.1, 0, 0.1, 0.25, 0.5, float64(i + 1)}},
			{"name": "conv1.bias", "n": 16, "w": 0.0, "g": 0.1 * float64(1-i/2), "u": 0.001, "nonfinite": nonFinite(i == 2, "g")}}}
		if err := r.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(runs.StatusDone, nil); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	paths, err := CSV(r.Dir, out)
	if err != nil {
		t.Fatal(err)
	}
	read := func(p string) [][]string {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	steps := read(paths[0])
	if len(steps) != 1001 || steps[0][0] != "step" || steps[0][1] != "loss" || steps[0][2] != "lr" {
		t.Fatalf("steps: %d rows, header %v", len(steps), steps[0])
	}
	if steps[500][0] != "5000" || steps[500][2] != "" || steps[499][2] != "0.0010000000474974513" {
		t.Errorf("row 500 %v, row 499 %v", steps[500], steps[499])
	}
	if v, err := strconv.ParseFloat(steps[1000][1], 64); err != nil || math.Abs(v-0.001) > 1e-9 {
		t.Errorf("last loss %v %v", v, err)
	}
	epochs := read(filepath.Join(out, filepath.Base(r.Dir)+"-epochs.csv"))
	if len(epochs) != 4 || epochs[2][0] != "2" || epochs[3][5] != "0.15000000000000002" || epochs[1][6] != "0.9" || epochs[1][7] != "" {
		t.Errorf("epochs %v", epochs)
	}
	layers := read(paths[2])
	want := [][]string{{"step", "tensor", "values", "rank", "weight_norm", "grad_norm", "update_norm", "update_ratio", "not_finite",
		"w_p0", "w_p6.68", "w_p15.87", "w_p30.85", "w_p50", "w_p69.15", "w_p84.13", "w_p93.32", "w_p100"},
		{"10", "conv1.weight", "432", "4", "4", "0.5", "0.004", "0.001", "", "-1", "-0.5", "-0.25", "-0.1", "0", "0.1", "0.25", "0.5", "1"},
		{"10", "conv1.bias", "16", "", "0", "0.1", "0.001", "0", "", "", "", "", "", "", "", "", "", ""},
		{"500", "conv1.weight", "432", "4", "4", "0.5", "0.012", "0.003", "", "-1", "-0.5", "-0.25", "-0.1", "0", "0.1", "0.25", "0.5", "3"},
		{"500", "conv1.bias", "16", "", "0", "0", "0.001", "0", "g", "", "", "", "", "", "", "", "", ""}}
	if len(layers) != len(want) {
		t.Fatalf("layers.csv: %v", layers)
	}
	for i := range want {
		for j := range want[i] {
			if layers[i][j] != want[i][j] {
				t.Errorf("layers.csv row %d: %v, want %v", i, layers[i], want[i])
				break
			}
		}
	}
}

// nonFinite is a measure's list of non-finite norms: names when bad.
func nonFinite(bad bool, names ...string) []string {
	if !bad {
		return nil
	}
	return names
}
