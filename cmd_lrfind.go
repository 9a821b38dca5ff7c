package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/ui"
	"github.com/spf13/cobra"
)

// lrfindCmd runs the learning-rate range test (training.FindLR).
func (a *app) lrfindCmd() *cobra.Command {
	var cfg training.Config
	var r training.LRRange
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "lrfind [train flags]",
		Short: "find a learning rate: a short range test that trains at growing rates and suggests one",
		Long: `lrfind trains the model of the train flags (--model, --optim, --loss,
--batch, --data …; --from starts from a run's weights) for --steps steps
at learning rates growing geometrically from --lr-min to --lr-max, and
stops early once the loss diverges. It draws the smoothed loss against
the rate and suggests the rate where the loss falls fastest (a tenth of
the lowest loss's rate when it never falls). Nothing is written: no run,
no checkpoint. It takes seconds to a minute on the CPU; the rate
still needs a check with a real run (maskdash train --lr RATE).`,
		Args: noArgs,
	}
	finish := trainFlags(cmd.Flags(), &cfg)
	d := training.DefaultLRRange()
	positiveInt(cmd.Flags(), &r.Steps, "steps", d.Steps, "training steps of the test")
	positiveFloat(cmd.Flags(), &r.Min, "lr-min", d.Min, "the first learning rate")
	positiveFloat(cmd.Flags(), &r.Max, "lr-max", d.Max, "the last learning rate")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: every step's rate and loss, and the rates found")
	cmd.RunE = func(*cobra.Command, []string) error {
		if err := finish(); err != nil {
			return err
		}
		progress := func(step, steps int) {
			if !asJSON && (step%max(steps/10, 1) == 0 || step == steps) {
				fmt.Fprintf(a.errOut, "step %d of %d\n", step, steps)
			}
		}
		f, err := training.FindLR(a.ctx, cfg, r, progress)
		for _, w := range f.Warnings {
			fmt.Fprintln(a.errOut, "warning: "+w)
		}
		if err != nil {
			return err
		}
		if asJSON {
			enc := json.NewEncoder(a.out)
			enc.SetIndent("", "  ")
			return enc.Encode(f)
		}
		printLRFound(a.out, f, a.colourOut())
		return nil
	}
	return cmd
}

// printLRFound draws the test's curve and says what it found.
func printLRFound(out io.Writer, f training.LRFound, colour bool) {
	h := f.Header
	fmt.Fprintf(out, "range test: %s, %s, %s, batch %d, %s, %s; %d steps, lr %.2g to %.2g\n", h.Model, h.Loss, h.Optim, h.Batch, h.Img, h.Device, len(f.Points), f.Min, f.Max)
	if len(f.Points) == 0 {
		fmt.Fprintln(out, "the loss was not finite from the first step: try a lower --lr-min")
		return
	}
	lrs, loss := make([]float64, len(f.Points)), make([]float64, len(f.Points))
	mark := -1
	for i, p := range f.Points {
		lrs[i], loss[i] = p.LR, p.Smoothed
		if p.LR == f.Suggested {
			mark = i
		}
	}
	fmt.Fprintln(out, ui.PlotLR(lrs, loss, mark, 82, 18, "smoothed training loss by learning rate (log axis)", colour))
	if f.Steepest > 0 {
		fmt.Fprintf(out, "suggested lr %.2g (▲): the loss falls fastest there; it is lowest at %.2g, a rate past which it climbs\n", f.Suggested, f.Lowest)
	} else {
		fmt.Fprintf(out, "suggested lr %.2g: the loss never fell steadily, so a tenth of the rate of its lowest point (%.2g); a lower --lr-min or more --steps may show more\n", f.Suggested, f.Lowest)
	}
	if f.Diverged {
		fmt.Fprintf(out, "the loss diverged at lr %.2g, so the test stopped there\n", f.Points[len(f.Points)-1].LR)
	}
	fmt.Fprintf(out, "train at it: maskdash train --lr %.2g (with the same model, optimizer, loss and batch)\n", f.Suggested)
}
