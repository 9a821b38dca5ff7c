package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/maskdash/maskdash/runs"
)

// importanceRow is a runs.Importance in JSON (sweep status --json, runs
// --importance --json); a figure that cannot be had (too few runs, a
// setting that is not a number) is null.
type importanceRow struct {
	Setting  string   `json:"setting"`
	Share    *float64 `json:"share"` // ε²
	Spearman *float64 `json:"spearman"`
	Best     string   `json:"best"`
	BestMean float64  `json:"best_mean"`
	BestRuns int      `json:"best_runs"`
	Groups   int      `json:"groups"`
	Runs     int      `json:"runs"`
}

func importanceRows(imp []runs.Importance) []importanceRow {
	out := []importanceRow{}
	for _, m := range imp {
		out = append(out, importanceRow{Setting: m.Setting, Share: finite(m.Share), Spearman: finite(m.Rank),
			Best: m.Best, BestMean: m.BestMean, BestRuns: m.BestRuns, Groups: m.Groups, Runs: m.Runs})
	}
	return out
}

// printImportances says what each setting that varies accounts for in
// the best macro F1 of the scored runs (what: "trials" or "runs"), with
// note after the count (nothing when no setting varies).
func printImportances(w io.Writer, imp []runs.Importance, what, note string) {
	if len(imp) == 0 {
		return
	}
	for _, m := range imp {
		if m.Setting == "seed" || m.Setting == "fold" {
			note += "; the " + m.Setting + "s' share is what noise alone gives"
		}
	}
	fmt.Fprintf(w, "settings by their share of best macro F1's spread (ε², main effects, %d scored %s%s):\n", imp[0].Runs, what, note)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, m := range imp {
		fmt.Fprintf(tw, "  %s\t%s\n", m.Setting, m)
	}
	_ = tw.Flush() // a closed pipe has no one to tell
}
