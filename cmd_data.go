package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/training"
)

func cmdSynth(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	dir := fs.String("out", "", "output folder (required)")
	profiles := fs.Int("profiles", 2700, "training people (7 images each)")
	size := fs.String("size", "384x512", "image size WxH")
	eval := fs.Int("eval", 0, "eval images (0: 2/3 of the training images, as 12600:18900; -1: none)")
	seed := fs.Uint64("seed", 1, "seed: the same seed writes the same bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("synth needs --out DIR")
	}
	w, h, err := training.ParseSize(*size)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := dataset.Synthesize(ctx, dataset.SynthConfig{Out: *dir, Profiles: *profiles, W: w, H: h, Eval: *eval, Seed: *seed}); err != nil {
		return err
	}
	evalMsg := "and the eval set "
	if *eval < 0 {
		evalMsg = ""
	}
	fmt.Fprintf(out, "wrote %d people (%d training images) %sto %s in %s\n", *profiles, *profiles*7, evalMsg, *dir, time.Since(start).Round(time.Millisecond))
	return nil
}

func cmdStats(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	dir := fs.String("data", "", "data folder (required)")
	format := fs.String("format", "", "mask, folder or idx (default: detect)")
	bins := fs.String("age-bins", "30,60", "age thresholds")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("stats needs --data DIR")
	}
	b, err := dataset.ParseAgeBins(*bins)
	if err != nil {
		return err
	}
	d, err := dataset.Open(*dir, dataset.Options{Format: *format, Bins: b})
	if err != nil {
		return err
	}
	st := dataset.ComputeStats(d.Train)
	if d.Test != nil {
		ts := dataset.ComputeStats(d.Test)
		st.Test = &ts
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	printStats(out, st, "")
	if st.Test != nil {
		fmt.Fprintln(out)
		printStats(out, *st.Test, "test ")
	}
	return nil
}

func printStats(out io.Writer, st dataset.Stats, prefix string) {
	fmt.Fprintf(out, "%sformat %s, %s\n%d images", prefix, st.Format, st.Root, st.Images)
	if st.Profiles > 0 {
		fmt.Fprintf(out, ", %d profiles", st.Profiles)
	}
	fmt.Fprintf(out, ", %d skipped\n", st.Skipped)
	maxC := 1
	for _, c := range st.Classes {
		maxC = max(maxC, c.Count)
	}
	for _, c := range st.Classes {
		bar := ""
		for range c.Count * 30 / maxC {
			bar += "█"
		}
		fmt.Fprintf(out, "  %2d %-14s %6d %s\n", c.Class, c.Name, c.Count, bar)
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
	for i, s := range st.Skips {
		if i == 10 {
			fmt.Fprintf(out, "  … and %d more skipped\n", len(st.Skips)-10)
			break
		}
		fmt.Fprintf(out, "  skipped %s: %s\n", s.Path, s.Reason)
	}
}
