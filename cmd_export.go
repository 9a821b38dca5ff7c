package main

import (
	"fmt"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/runs/export"
	"github.com/spf13/cobra"
)

func (a *app) exportCmd() *cobra.Command {
	var runsDir, format, out string
	cmd := &cobra.Command{
		Use:   "export RUN [RUN…]",
		Short: "write runs' figures for other tools: csv, or TensorBoard event files",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("export needs at least one run id; see '%s --help'", cmd.CommandPath())
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&runsDir, "runs", runs.DefaultDir, "runs folder")
	f.StringVar(&format, "format", "csv", "csv or tensorboard (png, svg and html are not built yet)")
	f.StringVar(&out, "out", "maskdash-export", "folder to write into")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		if format != "csv" && format != "tensorboard" {
			return fmt.Errorf("format %q is not built yet: csv and tensorboard are", format)
		}
		store := runs.NewStore(runsDir)
		for _, ref := range args {
			dir, err := store.Resolve(ref)
			if err != nil {
				return err
			}
			var paths []string
			if format == "csv" {
				paths, err = export.CSV(dir, out)
			} else {
				var p string
				p, err = export.TensorBoard(dir, out)
				paths = []string{p}
			}
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
