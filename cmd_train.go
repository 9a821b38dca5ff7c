package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/ui"
	"golang.org/x/term"
)

func cmdTrain(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	var cfg training.Config
	finish := trainFlags(fs, &cfg)
	headless := fs.Bool("headless", false, "no dashboard: print progress lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := finish(); err != nil {
		return err
	}
	return train(ctx, cfg, *headless, out)
}

func cmdResume(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("resume", flag.ContinueOnError)
	runsDir := fs.String("runs", "maskdash-runs", "runs folder")
	headless := fs.Bool("headless", false, "no dashboard: print progress lines")
	epochs := fs.Int("epochs", 0, "train to this many epochs in total (default: the run's own)")
	if err := fs.Parse(reorder(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("resume needs one run id")
	}
	cfg := training.Config{Runs: *runsDir, Resume: fs.Arg(0), Epochs: *epochs}
	return train(ctx, cfg, *headless, out)
}

// reorder moves flags before positional arguments so that
// `maskdash resume RUN --headless` parses like `--headless RUN`.
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) > 1 && a[0] == '-' {
			flags = append(flags, a)
			if !containsEq(a) && i+1 < len(args) && !isBoolFlag(a) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func containsEq(s string) bool {
	for _, r := range s {
		if r == '=' {
			return true
		}
	}
	return false
}

func isBoolFlag(a string) bool {
	switch a {
	case "-headless", "--headless", "-json", "--json", "-tta", "--tta":
		return true
	}
	return false
}

// train runs training with the dashboard when stdout is a terminal (and
// --headless is not set), else with progress lines.
func train(ctx context.Context, cfg training.Config, headless bool, out io.Writer) error {
	hub := training.NewHub()
	mgr := training.NewManager(cfg, hub)
	if !headless && term.IsTerminal(int(os.Stdout.Fd())) && term.IsTerminal(int(os.Stdin.Fd())) {
		return ui.RunLocal(ctx, mgr)
	}
	sub, _ := hub.Subscribe(1 << 20)
	done := make(chan struct{})
	go func() {
		defer close(done)
		printProgress(ctx, sub, out)
	}()
	err := mgr.Run(ctx)
	<-done
	return err
}

// printProgress prints a progress line every few seconds and a summary
// per epoch.
func printProgress(ctx context.Context, sub *training.Sub, out io.Writer) {
	var last time.Time
	for {
		evs, _, ok := sub.Next(context.Background())
		if !ok {
			return
		}
		for _, e := range evs {
			switch e.Kind {
			case training.KindRun:
				s := e.Settings
				fmt.Fprintf(out, "run %s: %s, loss %s, %s lr %g, batch %d, %s, %d train / %d val images, %d epochs\n",
					s.ID, s.Model, s.Loss, s.Optim, s.LR, s.Batch, s.Img, s.Train, s.Val, s.Epochs)
			case training.KindStep:
				if time.Since(last) >= 3*time.Second {
					last = time.Now()
					fmt.Fprintf(out, "epoch %d/%d %3.0f%%  step %d  loss %.4f  lr %.3g  %.0f img/s\n",
						e.Epoch+1, e.Epochs, 100*e.Progress, e.Step, e.Loss, e.LR, e.IPS)
				}
			case training.KindEpoch:
				m := e.Val
				fmt.Fprintf(out, "epoch %d/%d done  train acc %.3f  val loss %.4f  val acc %.3f  val macro F1 %.4f",
					e.Epoch, e.Epochs, e.TrainAcc, m.Loss, m.Accuracy, m.MacroF1)
				if t, ok := m.Tasks["mask"]; ok {
					fmt.Fprintf(out, "  (F1 mask %.3f gender %.3f age %.3f)", t.MacroF1, m.Tasks["gender"].MacroF1, m.Tasks["age"].MacroF1)
				}
				fmt.Fprintln(out)
			case training.KindCheckpoint, training.KindPrediction:
				fmt.Fprintf(out, "%s: %s\n", e.Msg, e.Path)
			case training.KindState:
				if e.Msg != "" {
					fmt.Fprintf(out, "%s: %s\n", e.State, e.Msg)
				} else if e.State != training.StateRunning {
					fmt.Fprintf(out, "%s\n", e.State)
				}
			case training.KindControl:
				fmt.Fprintf(out, "%s set %s %s\n", e.Who, e.Setting, e.Value)
			case training.KindError:
				if e.Setting != training.FatalSetting { // main prints the fatal one
					fmt.Fprintf(out, "warning: %s\n", e.Msg)
				}
			}
		}
		_ = ctx
	}
}
