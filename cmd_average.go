package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/spf13/cobra"
)

// averageCmd averages a run's last epochs' weights into a checkpoint of
// its own (stochastic weight averaging's average).
func (a *app) averageCmd() *cobra.Command {
	var runsDir string
	var last int
	cmd := &cobra.Command{
		Use:   "average RUN [--last K]",
		Short: "average the weights of a run's last K epochs into a checkpoint (SWA's average), and score it",
		Long: `average takes the run's last K epoch-end checkpoints (the run keeps
--keep-checkpoints of them, 3 by default), averages their weights, takes
BatchNorm's running statistics again from one pass over the training images
(the averaged weights need their own), scores the result on the validation
images and writes it as checkpoints/avg-EEE-K beside the run's own, without
changing best or latest: eval, predict, cam and embed take it as --ckpt
avg-EEE-K, and calibrate with --tta (which predicts its validation images
again: the run keeps no predictions of the average). Averaging the weights of a run's last epochs, where the
rate is low and the weights wander around a minimum, often generalises better
than any one of them (Izmailov et al., 2018).`,
	}
	f := cmd.Flags()
	runsFlag(f, &runsDir, "runs folder")
	f.IntVar(&last, "last", 3, "how many of the last epochs to average (2 or more)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		dir, info, err := runInfoArg(cmd, runsDir, args)
		if err != nil {
			return err
		}
		if info.Status == runs.StatusRunning {
			return fmt.Errorf("run %s is still training: average its epochs once it has ended", info.ID)
		}
		av, err := training.AverageCheckpoints(a.ctx, dir, last)
		if err != nil {
			return err
		}
		ep := make([]string, len(av.Epochs))
		for i, e := range av.Epochs {
			ep[i] = fmt.Sprint(e)
		}
		fmt.Fprintf(a.out, "run %s: the weights of epochs %s averaged", info.ID, strings.Join(ep, ", "))
		if av.BNFrom > 0 {
			fmt.Fprintf(a.out, ", BatchNorm's statistics taken again from %d training images", av.BNFrom)
		}
		fmt.Fprintf(a.out, "\nvalidation macro F1 %.4f, accuracy %.4f (the run's best epoch alone, %d: %.4f)\n",
			av.Metrics.MacroF1, av.Metrics.Accuracy, info.Best.Epoch, info.Best.MacroF1)
		fmt.Fprintf(a.out, "written to %s: eval, predict and ensemble take it as --ckpt %s\n", filepath.Join(filepath.Base(dir), "checkpoints", filepath.Base(av.Path)), av.Name)
		return nil
	}
	return cmd
}
