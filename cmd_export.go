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
		Short: "write runs' figures for other tools (csv: every step and every epoch)",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("export needs at least one run id; see '%s --help'", cmd.CommandPath())
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&runsDir, "runs", runs.DefaultDir, "runs folder")
	f.StringVar(&format, "format", "csv", "csv (png, svg, html and tensorboard are not built yet)")
	f.StringVar(&out, "out", "maskdash-export", "folder to write into")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		if format != "csv" {
			return fmt.Errorf("format %q is not built yet: only csv is", format)
		}
		store := runs.NewStore(runsDir)
		for _, ref := range args {
			dir, err := store.Resolve(ref)
			if err != nil {
				return err
			}
			paths, err := export.CSV(dir, out)
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
