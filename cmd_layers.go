package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/spf13/cobra"
)

// layersCmd prints a run's parameter measures: the dashboard's layers
// view, for a shell (a Slurm trial, a run on another machine).
func (a *app) layersCmd() *cobra.Command {
	var runsDir string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "layers RUN",
		Short: "a run's layers: each tensor's weight and gradient norms and how far a step moves it",
		Long: `layers prints what the dashboard's layers view (5) shows of a run, from its
log: for each parameter tensor its last measure (the norms of its weights
and gradient, the weights' median and spread, and the update over the
weights, update/|w|), that ratio's
median, least and most over the run's later measures, and the verdict.
About 1e-3 a step is the usual figure; "moves fast" is past 0.1, "barely
moves" below 1e-5. A bias or a BatchNorm tensor past 0.1 in a run's first
50 steps is "settling": anything that starts at zero moves by about 1/k of
itself after k steps. The trainer measures at a run's first step and every 5 s.`,
	}
	runsFlag(cmd.Flags(), &runsDir, "runs folder")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		dir, info, err := runInfoArg(cmd, runsDir, args)
		if err != nil {
			return err
		}
		sum, err := training.ReadLayerSummary(dir)
		if err != nil {
			return err
		}
		if sum.Measures == 0 {
			return fmt.Errorf("run %s has no layer measures (runs from before maskdash measured them have none, and a run measures at its first step)", info.ID)
		}
		if asJSON {
			return layersJSON(a.out, info.ID, sum)
		}
		printLayers(a.out, info.ID, sum)
		return nil
	}
	return cmd
}

func printLayers(out io.Writer, id string, s training.LayerSummary) {
	fmt.Fprintf(out, "run %s: %s, steps %d to %d\n", id, plural(s.Measures, "measure"), s.FirstStep, s.LastStep)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TENSOR\tVALUES\t|W|\tW 16%/50%/84%\t|GRAD|\tUPDATE/|W|\tMEDIAN\tLEAST\tMOST\tVERDICT")
	for _, t := range s.Tensors {
		fmt.Fprintf(tw, "%s\t%d\t%.4g\t%s\t%.4g\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Size, t.Weight, spread(t.Spread), t.Grad, ratio(t.Ratio), ratio(t.Median), ratio(t.Least), ratio(t.Most), t.Verdict)
	}
	_ = tw.Flush() // a closed pipe has no one to tell
	fmt.Fprintln(out, "W 16%/50%/84% are the weights' percentiles (the median and a normal's ±1σ) at the last measure, --json's q all nine;")
	fmt.Fprintln(out, "UPDATE/|W| is the last measure's; MEDIAN, LEAST and MOST are that ratio's over the measures after the first.")
	// One line a verdict, naming its tensors, worst first.
	for v := training.LayerNonFinite; v < training.LayerOK; v++ {
		var names []string
		for _, t := range s.Tensors {
			if t.Verdict == v {
				names = append(names, t.Name)
			}
		}
		if len(names) > 0 {
			fmt.Fprintf(out, "%s: %s: %s\n", strings.Join(names, ", "), v, v.Advice())
		}
	}
	if s.Alert != "" {
		fmt.Fprintf(out, "alert (layers): %s\n", s.Alert)
	}
}

// spread writes the weights' 15.87th, 50th and 84.13th percentiles
// (runs.SpreadPercentiles), "–" for none (a log from before they
// were measured).
func spread(q []float32) string {
	if len(q) != len(runs.SpreadPercentiles) {
		return "–"
	}
	return fmt.Sprintf("%.3g/%.3g/%.3g", q[2], q[4], q[6])
}

// ratio writes an update ratio, "–" for none.
func ratio(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.2g", v)
}

// layersJSON writes the summary, the ratios that a single measure lacks
// as null (JSON has no NaN).
func layersJSON(out io.Writer, id string, s training.LayerSummary) error {
	type tensor struct {
		training.LayerStat
		Ratio   float64  `json:"ratio"`
		Verdict string   `json:"verdict"`
		Median  *float64 `json:"median_ratio"`
		Least   *float64 `json:"least_ratio"`
		Most    *float64 `json:"most_ratio"`
	}
	doc := struct {
		Run       string   `json:"run"`
		Measures  int      `json:"measures"`
		FirstStep int      `json:"first_step"`
		LastStep  int      `json:"last_step"`
		Tensors   []tensor `json:"tensors"`
		Alert     string   `json:"alert,omitempty"`
	}{Run: id, Measures: s.Measures, FirstStep: s.FirstStep, LastStep: s.LastStep, Alert: s.Alert}
	for _, t := range s.Tensors {
		doc.Tensors = append(doc.Tensors, tensor{LayerStat: t.LayerStat, Ratio: t.Ratio, Verdict: t.Verdict.String(),
			Median: finite(t.Median), Least: finite(t.Least), Most: finite(t.Most)})
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
