package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/models"
	"github.com/maskdash/maskdash/training"
	"github.com/spf13/cobra"
)

func (a *app) synthCmd() *cobra.Command {
	var dir, size string
	var profiles, eval int
	var seed uint64
	cmd := &cobra.Command{Use: "synth --out DIR", Short: "write a synthetic mask data set", Args: noArgs}
	f := cmd.Flags()
	f.StringVar(&dir, "out", "", "output folder (required)")
	positiveInt(f, &profiles, "profiles", 2700, "training people (7 images each)")
	f.StringVar(&size, "size", "384x512", "image size WxH")
	f.IntVar(&eval, "eval", 0, "eval images (0: 2/3 of the training images, as 12600:18900; -1: none)")
	seedUint(f, &seed, "seed", 1, "seed: the same seed writes the same bytes")
	cmd.RunE = func(*cobra.Command, []string) error {
		if dir == "" {
			return fmt.Errorf("synth needs --out DIR")
		}
		if eval < -1 {
			return fmt.Errorf("--eval %d is invalid: want -1 (none), 0 (the default share) or a number of images", eval)
		}
		w, h, err := training.ParseSize(size)
		if err != nil {
			return fmt.Errorf("--size %w", err)
		}
		start := time.Now()
		if err := dataset.Synthesize(a.ctx, dataset.SynthConfig{Out: dir, Profiles: profiles, W: w, H: h, Eval: eval, Seed: seed}); err != nil {
			return err
		}
		evalMsg := "and the eval set "
		if eval < 0 {
			evalMsg = ""
		}
		fmt.Fprintf(a.out, "wrote %d people (%d training images) %sto %s in %s\n", profiles, profiles*7, evalMsg, dir, time.Since(start).Round(time.Millisecond))
		return nil
	}
	return cmd
}

func (a *app) statsCmd() *cobra.Command {
	var dir, format, bins, fix string
	var asJSON, noCheck bool
	cmd := &cobra.Command{Use: "stats --data DIR", Short: "images per class and task, and every skipped input by kind", Args: noArgs}
	f := cmd.Flags()
	f.StringVar(&dir, "data", "", "data folder (required)")
	f.StringVar(&format, "format", "", "mask, folder or idx (default: detect)")
	f.StringVar(&bins, "age-bins", "30,60", "age thresholds")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.BoolVar(&noCheck, "no-check", false, "do not decode every image to find corrupt ones (faster)")
	f.StringVar(&fix, "fix-labels", "", fixLabelsHelp)
	cmd.RunE = func(*cobra.Command, []string) error {
		if dir == "" {
			return fmt.Errorf("stats needs --data DIR")
		}
		b, err := dataset.ParseAgeBins(bins)
		if err != nil {
			return err
		}
		d, err := dataset.Open(dir, dataset.Options{Format: format, Bins: b, FixLabels: fix})
		if err != nil {
			return err
		}
		stats := func(s *dataset.Set) dataset.Stats {
			var bad []dataset.Skip
			if !noCheck {
				bad = dataset.CheckImages(a.ctx, s, models.Workers())
			}
			return dataset.ComputeStats(s, bad)
		}
		st := stats(d.Train)
		if d.Test != nil {
			ts := stats(d.Test)
			st.Test = &ts
		}
		if err := a.ctx.Err(); err != nil {
			return err
		}
		for _, s := range st.Skips {
			fmt.Fprintf(a.errOut, "warning: skipped %s %s: %s\n", s.Kind, s.Path, s.Reason)
		}
		if asJSON {
			enc := json.NewEncoder(a.out)
			enc.SetIndent("", "  ")
			return enc.Encode(st)
		}
		printStats(a.out, st, "")
		if st.Test != nil {
			fmt.Fprintln(a.out)
			printStats(a.out, *st.Test, "test ")
		}
		return nil
	}
	return cmd
}

func printStats(out io.Writer, st dataset.Stats, prefix string) {
	fmt.Fprintf(out, "%sformat %s, %s\n%d images", prefix, st.Format, st.Root, st.Images)
	if st.Profiles > 0 {
		fmt.Fprintf(out, ", %d profiles", st.Profiles)
	}
	var kinds []string
	for _, k := range dataset.SkipKinds {
		if n := st.SkippedBy[k]; n > 0 {
			kinds = append(kinds, plural(n, string(k)))
		}
	}
	fmt.Fprintf(out, ", %d skipped", st.Skipped)
	if len(kinds) > 0 {
		fmt.Fprintf(out, " (%s)", strings.Join(kinds, ", "))
	}
	if st.Corrected > 0 {
		fmt.Fprintf(out, ", %s relabelled by the corrections", plural(st.Corrected, "image"))
	}
	fmt.Fprintln(out)
	maxC := 1
	for _, c := range st.Classes {
		maxC = max(maxC, c.Count)
	}
	for _, c := range st.Classes {
		fmt.Fprintf(out, "  %2d %-14s %6d %s\n", c.Class, c.Name, c.Count, strings.Repeat("█", c.Count*30/maxC))
	}
	for _, t := range dataset.TaskNames {
		if cs, ok := st.Tasks[t]; ok {
			fmt.Fprintf(out, "  %-7s", t)
			for _, c := range cs {
				fmt.Fprintf(out, "  %s %d", c.Name, c.Count)
			}
			fmt.Fprintln(out)
		}
	}
}
