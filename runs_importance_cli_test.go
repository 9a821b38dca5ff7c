package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training/sweep"
)

// TestRunsImportance: runs --importance says what each setting that
// varies among the listed runs accounts for in their best macro F1, by
// the train flag's name (weight-decay), never the runs' names; with a
// filter it reads the runs the filter keeps, and --json has the figures.
func TestRunsImportance(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	for _, s := range [][3]string{{"a", "0", "0"}, {"b", "0.2", "0"}, {"c", "0", "0.0001"}, {"d", "0.2", "0.0001"}} {
		if out, err := run(t, "train", "--headless", "--runs", rd, "--name", s[0], "--dropout", s[1], "--weight-decay", s[2],
			"--data", data, "--img", "16x16", "--batch", "8", "--epochs", "1"); err != nil {
			t.Fatalf("train: %v\n%s", err, out)
		}
	}
	out, err := run(t, "runs", "--runs", rd, "--importance")
	if err != nil || !strings.HasPrefix(out, "settings by their share of best macro F1's spread (ε², main effects, 4 scored runs; runs not drawn at random") ||
		!regexp.MustCompile(`(?m)^  dropout       [ 01]\.\d\d  best 0(\.2)? \(mean 0\.\d{4} over 2\)  Spearman [+-][01]\.\d\d$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^  weight-decay  [ 01]\.\d\d  best (0|0\.0001) \(mean 0\.\d{4} over 2\)  Spearman [+-][01]\.\d\d$`).MatchString(out) ||
		strings.Contains(out, "name") {
		t.Errorf("runs --importance: %v\n%s", err, out)
	}
	out, err = run(t, "runs", "--runs", rd, "--importance", "--json", "--filter", "dropout=0.2")
	var rows []struct {
		Setting string   `json:"setting"`
		Share   *float64 `json:"share"`
		Runs    int      `json:"runs"`
	}
	if err != nil || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0].Setting != "weight-decay" || rows[0].Runs != 2 || rows[0].Share != nil {
		t.Errorf("runs --importance --json of two runs, one setting apart (no share: two groups of one): %v\n%s", err, out)
	}
	if out, err := run(t, "runs", "--runs", rd, "--importance", "--filter", "dropout=0.2 weight-decay=0"); err != nil ||
		!strings.Contains(out, "no setting varies among the runs with a score in "+rd+" (1 of them)") {
		t.Errorf("runs --importance of one run: %v\n%s", err, out)
	}
}

// TestRunsNamesWhatMatteredInASweep: runs' line for a sweep names the
// setting that mattered most where one clearly did (a rate whose two
// values score 0.5 and 0.2 over three seeds each: ε² near 1), and says
// so when the seeds' noise outweighs every setting.
func TestRunsNamesWhatMatteredInASweep(t *testing.T) {
	rd := t.TempDir()
	write := func(name string, f1 func(lr, seed int) float64) string {
		t.Helper()
		sw := &sweep.Sweep{Backend: "local", Parallel: 1, Binary: "/bin/true", Created: time.Date(2026, 12, 6, 1, 0, len(name), 0, time.UTC)}
		for i := range 6 {
			sw.Trials = append(sw.Trials, sweep.Trial{Index: i, RunID: fmt.Sprintf("t%03d", i), Seed: uint64(1 + i%3),
				Params: []sweep.KV{{Name: "lr", Value: []string{"0.001", "0.01"}[i/3]}}})
		}
		if err := sweep.Create(rd, name, sw); err != nil {
			t.Fatal(err)
		}
		for i, tr := range sw.Trials {
			r, err := runs.NewStore(sw.Dir).Create(runs.Info{ID: tr.RunID, Model: "cnn-s", Epochs: 1, EpochsDone: 1,
				Best: runs.Best{MacroF1: f1(i/3, i%3), Epoch: 1}})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Close(runs.StatusDone, nil); err != nil {
				t.Fatal(err)
			}
		}
		return sw.ID
	}
	rate := write("rate", func(lr, seed int) float64 { return 0.5 - 0.3*float64(lr) + 0.01*float64(seed) })
	noise := write("noise", func(lr, seed int) float64 { return 0.3 + 0.2*float64(seed) + 0.01*float64(lr) })
	out, err := run(t, "runs", "--runs", rd)
	if err != nil || !regexp.MustCompile(`sweep `+rate+`: 6 trials \(6 done\), best t002 macro F1 0\.5200, lr mattered most \(ε² (0\.9\d|1\.00)\)`).MatchString(out) ||
		!regexp.MustCompile(`sweep `+noise+`: 6 trials \(6 done\), best t005 macro F1 0\.7100, noise \(the seeds\) outweighed every setting \(ε² (0\.9\d|1\.00)\)`).MatchString(out) {
		t.Errorf("runs of a folder with two sweeps: %v\n%s", err, out)
	}
}

// TestRunsImportanceSaysWhatChangedWhileTraining: a run whose rate was
// changed while it trained counts with the rate it started with, and
// runs --importance says how many such runs there are.
func TestRunsImportanceSaysWhatChangedWhileTraining(t *testing.T) {
	rd := t.TempDir()
	for i, lr := range []float64{0.001, 0.001, 0.01, 0.01} {
		info := runs.Info{Name: fmt.Sprintf("r%d", i), Model: "cnn-s", LR: lr, Config: map[string]any{"model": "cnn-s", "lr": lr},
			Best: runs.Best{Epoch: 1, MacroF1: 0.3 + 0.1*float64(i)}}
		if i == 3 {
			info.Changes = []runs.Change{{Step: 100, Setting: "lr", Value: "0.005", Who: "t"}}
		}
		r, err := runs.NewStore(rd).Create(info)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Close(runs.StatusDone, nil); err != nil {
			t.Fatal(err)
		}
	}
	out, err := run(t, "runs", "--runs", rd, "--importance")
	if err != nil || !strings.Contains(out, "lr: 1 run changed it while training; each counts with the value it started with") {
		t.Errorf("runs --importance with a rate changed while training: %v\n%s", err, out)
	}
}
