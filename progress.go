package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/maskdash/maskdash/training"
)

// printProgress prints what a headless run reports: a progress line every
// few seconds, a summary per epoch, checkpoints, predictions, changes and
// warnings. Warnings (and a stalled run folder) go to errOut.
func printProgress(sub *training.Sub, out, errOut io.Writer) {
	var last time.Time
	for {
		evs, _, ok := sub.Next(context.Background())
		if !ok {
			return
		}
		for _, e := range evs {
			printEvent(e, out, errOut, &last)
		}
	}
}

func printEvent(e training.Event, out, errOut io.Writer, last *time.Time) {
	switch e.Kind {
	case training.KindRun:
		s := e.Settings
		extra := ""
		for _, t := range s.Tricks() {
			extra += ", " + t
		}
		fmt.Fprintf(out, "run %s: %s, loss %s, %s lr %g, batch %d, %s%s, %d train / %d val images, %s\n",
			s.ID, s.Model, s.Loss, s.Optim, s.LR, s.Batch, s.Img, extra, s.Train, s.Val, plural(s.Epochs, "epoch"))
	case training.KindStep:
		if time.Since(*last) >= 3*time.Second {
			*last = time.Now()
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
		if e.ValSeen {
			fmt.Fprint(out, "  (validation images seen in training: --val-train)")
		}
		if f := e.TrainWeightsF1; f != nil {
			fmt.Fprintf(out, "  (--ema's average; the training weights' F1 %.4f)", *f)
		}
		fmt.Fprintln(out)
	case training.KindCheckpoint, training.KindPrediction:
		fmt.Fprintf(out, "%s: %s\n", e.Msg, e.Path)
	case training.KindState:
		switch {
		case e.State == training.StateStalled:
			fmt.Fprintf(errOut, "stalled: %s\n", e.Msg)
		case e.Msg != "":
			fmt.Fprintf(out, "%s: %s\n", e.State, e.Msg)
		case e.State != training.StateRunning:
			fmt.Fprintf(out, "%s\n", e.State)
		}
	case training.KindControl:
		fmt.Fprintf(out, "%s set %s %s\n", e.Who, e.Setting, e.Value)
	case training.KindNotice, training.KindRewound:
		fmt.Fprintln(out, e.Msg)
	case training.KindAlert:
		fmt.Fprintf(errOut, "\aalert (%s): %s\n", e.Alert, e.Msg)
	case training.KindError:
		if e.Setting != training.SettingFatal { // main prints the fatal one
			fmt.Fprintf(errOut, "warning: %s\n", e.Msg)
		}
	}
}

// plural writes "1 epoch", "3 epochs".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
