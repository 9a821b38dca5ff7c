package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/ui"
)

// runRow is one row of `maskdash runs --json`.
type runRow struct {
	ID       string  `json:"id"`
	Status   string  `json:"status"`
	Model    string  `json:"model"`
	Loss     string  `json:"loss"`
	Optim    string  `json:"optim"`
	LR       float64 `json:"lr"`
	Epochs   int     `json:"epochs_done"`
	Planned  int     `json:"epochs"`
	BestF1   float64 `json:"best_macro_f1"`
	BestAcc  float64 `json:"best_accuracy"`
	Duration float64 `json:"duration_s"`
	Parent   string  `json:"parent,omitempty"`
	Error    string  `json:"error,omitempty"`
}

func cmdRuns(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("runs", flag.ContinueOnError)
	dir := fs.String("runs", "maskdash-runs", "runs folder")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	list, err := runs.NewStore(*dir).List()
	if err != nil {
		return err
	}
	rows := make([]runRow, 0, len(list))
	for _, l := range list {
		i := l.Info
		r := runRow{ID: i.ID, Status: i.Status, Model: i.Model, Loss: i.Loss, Optim: i.Optim, LR: i.LR, Epochs: i.EpochsDone,
			Planned: i.Epochs, BestF1: i.Best.MacroF1, BestAcc: i.Best.Accuracy, Parent: i.Parent}
		if !i.Start.IsZero() {
			r.Duration = i.Duration().Seconds()
		}
		if l.Err != nil {
			r.Status, r.Error = "unreadable", l.Err.Error()
		}
		rows = append(rows, r)
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintf(out, "no runs in %s\n", *dir)
		return nil
	}
	fmt.Fprintf(out, "%-40s %-9s %-11s %-12s %-6s %-8s %6s %7s %6s %8s  %s\n", "RUN", "STATUS", "MODEL", "LOSS", "OPTIM", "LR", "EPOCHS", "BEST F1", "ACC", "TIME", "PARENT")
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(out, "%-40s %-9s %s\n", r.ID, r.Status, r.Error)
			continue
		}
		fmt.Fprintf(out, "%-40s %-9s %-11s %-12s %-6s %-8.2g %3d/%-2d %7.4f %6.3f %8s  %s\n", r.ID, r.Status, r.Model, r.Loss, r.Optim, r.LR,
			r.Epochs, r.Planned, r.BestF1, r.BestAcc, fmtDur(r.Duration), r.Parent)
	}
	return nil
}

func fmtDur(s float64) string {
	d := int(s)
	if d >= 3600 {
		return fmt.Sprintf("%dh%02dm", d/3600, d/60%60)
	}
	return fmt.Sprintf("%dm%02ds", d/60, d%60)
}

func cmdCompare(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	dir := fs.String("runs", "maskdash-runs", "runs folder")
	metric := fs.String("metric", "f1", "metric to chart: f1, acc or loss (validation, per epoch)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(reorder(args)); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		return fmt.Errorf("compare needs at least one run id")
	}
	if *metric != "f1" && *metric != "acc" && *metric != "loss" {
		return fmt.Errorf("metric %q is unknown; use f1, acc or loss", *metric)
	}
	store := runs.NewStore(*dir)
	var infos []runs.Info
	var curves [][]float64
	for _, ref := range fs.Args() {
		info, err := store.Info(ref)
		if err != nil {
			return err
		}
		c, err := training.EpochCurve(store.Path(info.ID), *metric)
		if err != nil {
			return err
		}
		infos = append(infos, info)
		curves = append(curves, c)
	}
	diff := runs.DifferingSettings(infos)
	if *asJSON {
		type cmp struct {
			ID       string         `json:"id"`
			Settings map[string]any `json:"settings"`
			Best     runs.Best      `json:"best"`
			Curve    []float64      `json:"curve"`
		}
		var rows []cmp
		for i, info := range infos {
			s := map[string]any{}
			for _, k := range diff {
				s[k] = info.Config[k]
			}
			c := curves[i]
			for j := range c {
				if math.IsNaN(c[j]) {
					c[j] = -1
				}
			}
			rows = append(rows, cmp{info.ID, s, info.Best, c})
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"metric": *metric, "differing": diff, "runs": rows})
	}
	fmt.Fprintf(out, "%-4s %-40s", "", "RUN")
	for _, k := range diff {
		fmt.Fprintf(out, " %-12s", k)
	}
	fmt.Fprintf(out, " %8s %7s %5s\n", "BEST F1", "ACC", "EPOCH")
	for i, info := range infos {
		fmt.Fprintf(out, "[%d]  %-40s", i+1, info.ID)
		for _, k := range diff {
			fmt.Fprintf(out, " %-12v", info.Config[k])
		}
		fmt.Fprintf(out, " %8.4f %7.3f %5d\n", info.Best.MacroF1, info.Best.Accuracy, info.Best.Epoch)
	}
	n := 0
	for _, c := range curves {
		n = max(n, len(c))
	}
	if n == 0 {
		fmt.Fprintln(out, "\nno finished epochs to chart yet")
		return nil
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, ui.Plot(curves, min(82, max(32, n*6+12)), 14, fmt.Sprintf("validation %s per epoch: runs %s", *metric, legend(len(curves)))))
	return nil
}

func legend(n int) string {
	var s []string
	for i := range n {
		s = append(s, fmt.Sprintf("[%d]", i+1))
	}
	return strings.Join(s, " ")
}
