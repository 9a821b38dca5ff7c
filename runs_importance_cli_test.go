package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
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
