package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/runs/export"
	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/training/sweep"
	"github.com/maskdash/maskdash/ui/thumb"
	"github.com/spf13/cobra"
)

func (a *app) exportCmd() *cobra.Command {
	var runsDir, format, out, size string
	cmd := &cobra.Command{
		Use:   "export RUN|SWEEP [RUN|SWEEP…]",
		Short: "write runs' figures for other tools: csv, png, svg, html, a Markdown report or TensorBoard event files (a sweep: html or csv)",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("export needs at least one run id; see '%s --help'", cmd.CommandPath())
			}
			return nil
		},
	}
	f := cmd.Flags()
	runsFlag(f, &runsDir, "runs folder")
	f.StringVar(&format, "format", "csv", "csv (every step and epoch), png or svg (curves and confusion matrix), html (one self-contained page), md (a Markdown report, GitHub's tables, with its figures as png) or tensorboard")
	f.StringVar(&size, "size", "900x600", "figure size WxH for png (pixels) and svg (points)")
	f.StringVar(&out, "out", "maskdash-export", "folder to write into")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		var sz export.Size
		if _, err := fmt.Sscanf(size, "%dx%d", &sz.W, &sz.H); err != nil || sz.W < 50 || sz.H < 50 || sz.W > 10000 || sz.H > 10000 {
			return fmt.Errorf("--size %q is not WxH between 50x50 and 10000x10000", size)
		}
		write, ok := exporters[format]
		if !ok {
			return fmt.Errorf("format %q is not one of csv, png, svg, html, md, tensorboard", format)
		}
		store := runs.NewStore(runsDir)
		for _, ref := range args {
			dir, err := store.Resolve(ref)
			if err != nil {
				return err
			}
			if sweep.IsSweep(dir) {
				paths, err := a.exportSweep(dir, format, out)
				if err != nil {
					return err
				}
				for _, p := range paths {
					fmt.Fprintf(a.out, "wrote %s\n", p)
				}
				continue
			}
			paths, err := write(dir, out, sz)
			if err != nil {
				return err
			}
			for _, p := range paths {
				fmt.Fprintf(a.out, "wrote %s\n", p)
			}
		}
		return nil
	}
	return cmd
}

// exporters write one run in each --format.
var exporters = map[string]func(dir, out string, sz export.Size) ([]string, error){
	"csv": func(dir, out string, _ export.Size) ([]string, error) { return export.CSV(dir, out) },
	"png": func(dir, out string, sz export.Size) ([]string, error) { return export.Figures(dir, out, "png", sz) },
	"svg": func(dir, out string, sz export.Size) ([]string, error) { return export.Figures(dir, out, "svg", sz) },
	"html": func(dir, out string, _ export.Size) ([]string, error) {
		p, err := export.HTMLWith(dir, out, mistakesSection(dir, 0)) // the page scales them
		return []string{p}, err
	},
	"md": func(dir, out string, sz export.Size) ([]string, error) {
		return export.MarkdownWith(dir, out, sz, mistakesSection(dir, 128)) // no page scales a Markdown image up
	},
	"tensorboard": func(dir, out string, _ export.Size) ([]string, error) {
		p, err := export.TensorBoard(dir, out)
		return []string{p}, err
	},
}

// exportSweep writes a sweep's page (html) or its tables (csv).
func (a *app) exportSweep(dir, format, out string) ([]string, error) {
	sw, be, err := openSweep("", dir)
	if err != nil {
		return nil, err
	}
	if format != "html" && format != "csv" {
		return nil, fmt.Errorf("sweep %s exports as html or csv; its trials export in every format as %s/TRIAL", sw.ID, sw.ID)
	}
	q, err := be.Queued(a.ctx, sw)
	if err != nil {
		// The folders say the rest: a trial the backend still holds
		// shows as its folder has it.
		fmt.Fprintf(a.errOut, "warning: %s's backend did not say which trials it holds (%v); the page is from the trials' folders alone\n", sw.ID, err)
		q = nil
	}
	st := sw.Status(q)
	r := export.SweepReport{ID: sw.ID, Summary: fmt.Sprintf("%s, %d at a time: %s", sw.Backend, sw.Parallel, sweep.Tally(st)), Space: sw.Space, Importance: sweep.Importances(st)}
	if sw.Search != nil {
		r.Search = sw.Search.Progress(sw)
	}
	if pts := sweep.Points(st); sw.PerPoint() && len(pts) > 0 {
		r.BestSetting = fmt.Sprintf("best setting by its mean over its %s: %s, %s", sw.Unit(), pts[0].Label(), pts[0].Says(sw.Unit()))
	}
	for _, t := range st {
		et := export.SweepTrial{Run: t.RunID, State: string(t.State), Why: t.Why, BestF1: t.BestF1, BestEpoch: t.BestEpoch, EpochsDone: t.EpochsDone, Epochs: t.Epochs}
		for _, kv := range t.Settings() {
			et.Settings = append(et.Settings, export.Setting{Name: kv.Name, Value: kv.Value})
		}
		r.Trials = append(r.Trials, et)
	}
	if format == "csv" {
		return export.SweepCSV(r, out)
	}
	p, err := export.SweepHTML(r, out)
	return []string{p}, err
}

// pageMistakes is how many of a run's worst mistakes its page draws.
const pageMistakes = 8

// mistakesSection draws the run's worst validation mistakes with their
// predicted class's activation maps for its report, side pixels square
// (0: the net's input size), or says why there are none (no checkpoint
// left, say).
func mistakesSection(dir string, side int) export.ReportExtras {
	p, ms, whose, err := training.WorstMistakeMaps(dir, pageMistakes)
	if err != nil {
		return export.ReportExtras{MistakesNote: "No class maps: " + err.Error() + "."}
	}
	o := export.ReportExtras{MistakesNote: fmt.Sprintf("The %d validation images of epoch %d with the highest loss, as the net saw them, with the class activation map of the class it predicted (%s): red where the image adds to that class's score (its logit; a multi-head model's log-probability), blue where it takes from it.", len(ms), p.Epoch, whose)}
	for _, m := range ms {
		var b bytes.Buffer
		var heat image.Image = thumb.Heat(m.Map.Seen, m.Map.Map, m.Map.H, m.Map.W)
		if side > 0 {
			heat = thumb.Fit(heat, side, side)
		}
		if err := png.Encode(&b, heat); err != nil {
			return export.ReportExtras{MistakesNote: "No class maps: " + err.Error() + "."}
		}
		o.Mistakes = append(o.Mistakes, export.Mistake{Name: m.Item.Name, PNG: b.Bytes(),
			Caption: fmt.Sprintf("true %s (p %.3f), predicted %s (p %.3f)", p.Names[m.Truth], m.PTrue, p.Names[m.Pred], m.Map.Prob)})
	}
	return o
}
