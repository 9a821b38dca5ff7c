package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/spf13/cobra"
)

// calibrateCmd fits class offsets for macro F1 on a run's validation
// predictions and keeps them when held-out halves say they help.
func (a *app) calibrateCmd() *cobra.Command {
	var runsDir, ckpt string
	var asJSON, tta bool
	cmd := &cobra.Command{
		Use:   "calibrate RUN",
		Short: "fit an offset per class that raises macro F1, on the run's validation predictions",
		Long: `calibrate fits one offset per class, added to the class's log-probability
before the argmax, that maximizes macro F1 on the validation predictions of
the run's checkpoint (the epoch it ended; the run keeps them each epoch,
so nothing is retrained). Macro F1 counts a rare class as much as a common
one, and a net trained on the usual losses under-predicts the rare ones:
the offsets move the borders between classes.

The macro F1 on the images the offsets were fitted on is optimistic, so
calibrate also fits them on one half of the validation images and scores
them on the other, both ways round, for 5 different halvings (each class
split evenly). The mean of those 10 gains is what to expect on new images.
The offsets are saved (RUN/class-offsets.json) only when that gain is
positive and at least two halves in three gained; predict and eval then
take --offsets (ensemble --offsets fits its own: on the vote's validation
predictions, or on the folds' out-of-fold predictions).

The fit: coordinate ascent, each offset in turn set exactly to its best
value with the others held, three rounds, averaged over 20 bootstrap
resamples of the images (one exact fit follows their noise). For the 18
mask classes each task value (a mask state, a gender, an age bin) gets an
offset too, shared by its classes (a class's offset is the sum of its own
and its task values'). Each fitted offset is at most 4 (a factor of 55 on
the probability).

The validation predictions the run kept were made without --tta: offsets
fitted on them are for plain predictions. --tta predicts the validation
images again with the checkpoint, each averaged with its mirror image, and
fits on those: offsets for predict --tta.`,
		Example: `  maskdash calibrate 20261205-101500-cnn-s
  maskdash predict 20261205-101500-cnn-s --offsets --out submission.csv`,
	}
	f := cmd.Flags()
	runsFlag(f, &runsDir, "runs folder")
	f.StringVar(&ckpt, "ckpt", "best", "best, latest or a checkpoint file taken at an epoch's end")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.BoolVar(&tta, "tta", false, "fit on the validation images predicted again with their mirror images (for predict --tta)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		dir, err := runFolderArg(cmd, runsDir, args)
		if err != nil {
			return err
		}
		cal, err := training.CalibrateRun(a.ctx, dir, ckpt, tta)
		if err != nil {
			return err
		}
		saved, err := cal.Keep(dir)
		if err != nil {
			return err
		}
		rows := calibrationRows(cal)
		if asJSON {
			enc := json.NewEncoder(a.out)
			enc.SetIndent("", "  ")
			return enc.Encode(struct {
				Run string `json:"run"`
				runs.ClassOffsets
				Saved    bool             `json:"saved"`
				PerClass []calibrationRow `json:"per_class"`
			}{filepath.Base(dir), cal.Record, saved, rows})
		}
		printCalibration(a.out, filepath.Base(dir), ckpt, cal, rows)
		if saved {
			flags := "--offsets"
			if tta {
				flags = "--tta --offsets"
			}
			if ckpt != "best" {
				flags = "--ckpt " + ckpt + " " + flags
			}
			fmt.Fprintf(a.out, "saved to %s: maskdash predict %s %s --out FILE uses them (so does eval)\n",
				filepath.Join(dir, runs.OffsetsFile), args[0], flags)
		} else {
			fmt.Fprintf(a.out, "not saved: the offsets did not raise macro F1 on two held-out halves in three, so the run's plain predictions are the better bet\n")
		}
		return nil
	}
	return cmd
}

// calibrationRow is one class's figures without and with the offsets.
type calibrationRow struct {
	Class       string  `json:"class"`
	Offset      float64 `json:"offset"`
	Images      int     `json:"images"`
	F1          float64 `json:"f1"`
	F1Offsets   float64 `json:"f1_with_offsets"`
	Predicted   int     `json:"predicted"`
	PredOffsets int     `json:"predicted_with_offsets"`
}

func calibrationRows(cal training.RunCalibration) []calibrationRow {
	before, after := cal.Confusions()
	pb, pa := before.PerClass(), after.PerClass()
	rows := make([]calibrationRow, before.N)
	for k := range rows {
		rows[k] = calibrationRow{Class: cal.Preds.Names[k], Offset: cal.Offsets[k], Images: pb[k].Support, F1: pb[k].F1, F1Offsets: pa[k].F1}
		for t := range before.N {
			rows[k].Predicted += before.M[t][k]
			rows[k].PredOffsets += after.M[t][k]
		}
	}
	return rows
}

func printCalibration(out io.Writer, id, ckpt string, cal training.RunCalibration, rows []calibrationRow) {
	r, h := cal.Record, cal.HeldOut
	with := ""
	if r.TTA {
		with = ", predicted again with their mirror images (--tta)"
	}
	fmt.Fprintf(out, "run %s, checkpoint %s (epoch %d, step %d): %d validation images%s\n", id, ckpt, r.Epoch, r.Step, r.Images, with)
	fmt.Fprintf(out, "macro F1 %.4f → %.4f with class offsets, on the images they were fitted on (optimistic)\n", cal.Before, cal.After)
	fmt.Fprintf(out, "on held-out halves: %+.4f ± %.4f, %d of %d halves gained: what to expect on new images\n", h.Gain, h.SD, h.Improved, h.Halves)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "CLASS\tOFFSET\tIMAGES\tF1\tWITH OFFSETS\tPREDICTED\tWITH OFFSETS\t")
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%+.2f\t%d\t%.3f\t%.3f\t%d\t%d\t\n", row.Class, row.Offset, row.Images, row.F1, row.F1Offsets, row.Predicted, row.PredOffsets)
	}
	_ = tw.Flush() // a closed pipe has no one to tell
}
