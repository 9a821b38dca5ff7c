package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/ui"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func (a *app) trainCmd(use, short string) *cobra.Command {
	var cfg training.Config
	var headless bool
	cmd := &cobra.Command{Use: use, Short: short, Args: noArgs}
	finish := trainFlags(cmd.Flags(), &cfg)
	notify := notifyFlags(cmd.Flags())
	cmd.Flags().BoolVar(&headless, "headless", false, "no dashboard: print progress lines")
	cmd.RunE = func(*cobra.Command, []string) error {
		if err := finish(); err != nil {
			return err
		}
		return a.train(cfg, headless, notify)
	}
	return cmd
}

func (a *app) resumeCmd() *cobra.Command {
	var runsDir string
	var headless bool
	var epochs int
	var data string
	cmd := &cobra.Command{
		Use:   "resume RUN",
		Short: "continue a run from its latest checkpoint",
		Args:  exactlyOne("a run id"),
	}
	runsFlag(cmd.Flags(), &runsDir, "runs folder")
	cmd.Flags().BoolVar(&headless, "headless", false, "no dashboard: print progress lines")
	countInt(cmd.Flags(), &epochs, "epochs", 0, "train to this many epochs in total (default: the run's own)")
	cmd.Flags().StringVar(&data, "data", "", "the run's data folder where it is now, when it moved (the same images; run.json then records it)")
	notify := notifyFlags(cmd.Flags())
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		info, err := runs.NewStore(runsDir).Info(args[0])
		if err != nil {
			return err
		}
		if info.Status == runs.StatusDone && epochs <= info.EpochsDone {
			return fmt.Errorf("run %s has finished all its %s; to train on, resume it with --epochs N (more than %d), or start a child run with 'maskdash train --from %s'",
				info.ID, plural(info.EpochsDone, "epoch"), info.EpochsDone, info.ID)
		}
		return a.train(training.Config{Runs: runsDir, Resume: info.ID, Epochs: epochs, Data: data}, headless, notify)
	}
	return cmd
}

// crashCheckEvery is how often a dashboard looks for runs whose writer died.
const crashCheckEvery = 10 * time.Second

// exactlyOne wants one positional argument, named what.
func exactlyOne(what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) == 0:
			return fmt.Errorf("%s needs %s; see '%s --help'", cmd.Name(), what, cmd.CommandPath())
		case len(args) > 1:
			return fmt.Errorf("%s takes one %s, not %d: unexpected %q", cmd.Name(), what, len(args), args[1])
		}
		return nil
	}
}

// train runs training with the dashboard when stdout is a terminal (and
// --headless is not set), else with progress lines.
func (a *app) train(cfg training.Config, headless bool, notify *training.Notifier) error {
	preparedFromEnv(&cfg, os.Getenv)
	hub := training.NewHub()
	mgr := training.NewManager(cfg, hub)
	watchAlerts(hub, notify)
	if !headless && term.IsTerminal(int(os.Stdout.Fd())) && term.IsTerminal(int(os.Stdin.Fd())) {
		ctx, cancel := context.WithCancel(a.ctx)
		defer cancel()
		go training.WatchCrashes(ctx, mgr.RunsDir(), hub, crashCheckEvery)
		uc, err := ui.LoadConfig(ui.ConfigPath())
		if err != nil {
			return err
		}
		return ui.RunLocal(ctx, mgr.Linger(), uc)
	}
	sub, _ := hub.Subscribe(1 << 20)
	done := make(chan struct{})
	go func() {
		defer close(done)
		printProgress(sub, a.out, a.errOut)
	}()
	ctx, stop := stopOnBrokenPipe(a.ctx)
	defer stop()
	err := mgr.Run(ctx)
	<-done
	return err
}
