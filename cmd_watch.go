package main

import (
	"fmt"
	"os"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/ui"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func (a *app) watchCmd() *cobra.Command {
	var runsDir string
	var readOnly bool
	cmd := &cobra.Command{
		Use:   "watch RUN",
		Short: "the dashboard of a run that trains elsewhere (another terminal, a Slurm node), steered through its folder",
		Args:  exactlyOne("a run id or folder (a sweep's trial: its folder, or --runs SWEEP-FOLDER)"),
	}
	runsFlag(cmd.Flags(), &runsDir, "runs folder")
	cmd.Flags().BoolVar(&readOnly, "read-only", false, "watch without the operator keys")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		dir, err := runs.NewStore(runsDir).Resolve(args[0])
		if err != nil {
			return err
		}
		if !term.IsTerminal(int(os.Stdout.Fd())) {
			return fmt.Errorf("watch draws a dashboard and needs a terminal")
		}
		uc, err := ui.LoadConfig(ui.ConfigPath())
		if err != nil {
			return err
		}
		return ui.RunWatch(a.ctx, ui.Watch{Dir: dir, Who: whoAmI(), ReadOnly: readOnly, Config: uc, Prepared: training.PreparedStoreAt(os.Getenv("MASKDASH_PREPARED"))})
	}
	return cmd
}
