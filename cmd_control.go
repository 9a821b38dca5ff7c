package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/spf13/cobra"
)

func (a *app) controlCmd() *cobra.Command {
	var runsDir string
	cmd := &cobra.Command{
		Use:   "control RUN pause|resume|stop|checkpoint|predict|lr RATE|lr-scale F|loss SPEC|cutmix P [BOX]|mixup P [ALPHA]|cutmix off|mixup off",
		Short: "steer a run that trains in another process or on another machine (through its run folder)",
		Long: `control leaves a command in the run folder's control/, which the run's
trainer reads every second wherever it runs (a Slurm node, another
terminal), carries out and logs with who sent it (user@host).`,
		Args: cobra.RangeArgs(2, 4),
	}
	runsFlag(cmd.Flags(), &runsDir, "runs folder")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		req, err := controlRequest(args[1:])
		if err != nil {
			return err
		}
		info, err := runs.NewStore(runsDir).Info(args[0])
		if err != nil {
			return err
		}
		if info.Status.Ended() {
			return fmt.Errorf("run %s has %s: no trainer reads its commands", info.ID, info.Status)
		}
		req.Who = whoAmI()
		if err := runs.SendControl(info.Dir, req); err != nil {
			return err
		}
		fmt.Fprintf(a.out, "sent %s to %s; its log will show it within a few seconds\n", strings.Join(args[1:], " "), info.ID)
		return nil
	}
	return cmd
}

// controlRequest reads a command as typed: a word and maybe a value.
func controlRequest(args []string) (runs.ControlRequest, error) {
	word, val := args[0], strings.Join(args[1:], " ")
	simple := map[string]training.CommandKind{"pause": training.CmdPause, "resume": training.CmdResume, "stop": training.CmdStop,
		"checkpoint": training.CmdCheckpoint, "predict": training.CmdPredict}
	if k, ok := simple[word]; ok {
		if val != "" {
			return runs.ControlRequest{}, fmt.Errorf("%s takes no value", word)
		}
		return runs.ControlRequest{Kind: string(k)}, nil
	}
	switch word {
	case "lr", "lr-scale":
		f, err := strconv.ParseFloat(val, 64)
		if err != nil || !(f > 0) || f > 1e300 {
			return runs.ControlRequest{}, fmt.Errorf("%s wants a positive number, not %q", word, val)
		}
		k := training.CmdSetLR
		if word == "lr-scale" {
			k = training.CmdScaleLR
		}
		return runs.ControlRequest{Kind: string(k), Value: f}, nil
	case "loss":
		if _, err := training.ParseLoss(val); err != nil {
			return runs.ControlRequest{}, err
		}
		return runs.ControlRequest{Kind: string(training.CmdSetLoss), Text: val}, nil
	case "cutmix":
		if _, _, err := training.ParseCutMix(val, ""); err != nil {
			return runs.ControlRequest{}, err
		}
		return runs.ControlRequest{Kind: string(training.CmdSetCutMix), Text: val}, nil
	case "mixup":
		if _, _, err := training.ParseMixup(val, 0); err != nil {
			return runs.ControlRequest{}, err
		}
		return runs.ControlRequest{Kind: string(training.CmdSetMixup), Text: val}, nil
	}
	return runs.ControlRequest{}, fmt.Errorf("%q is not a command: pause, resume, stop, checkpoint, predict, lr RATE, lr-scale F, loss SPEC, cutmix P [BOX] or mixup P [ALPHA]", word)
}

// whoAmI names this user on this machine, for the run's log.
func whoAmI() string { return training.LocalUser() }
