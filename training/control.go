package training

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/maskdash/maskdash/runs"
)

// control logs a command that changed something, with who sent it.
func (t *Trainer) control(c Command, setting Setting, value string) {
	t.emit(Event{Kind: KindControl, Setting: setting, Value: value, Who: c.Who, BaseLR: t.baseLR})
}

// refuse answers a command that cannot apply, saying why.
func (t *Trainer) refuse(c Command, msg string) {
	t.emit(Event{Kind: KindError, Msg: msg, Who: c.Who})
}

// apply carries out one command between two steps.
func (t *Trainer) apply(c Command) (stop bool, err error) {
	switch c.Kind {
	case CmdPause, CmdResume, CmdToggle:
		pause := c.Kind == CmdPause || c.Kind == CmdToggle && t.state != StatePaused
		if pause && t.state != StatePaused {
			t.control(c, SettingState, string(StatePaused))
			t.setState(StatePaused, "")
		} else if !pause && t.state == StatePaused {
			t.control(c, SettingState, string(StateRunning))
			t.setState(StateRunning, "")
		}
	case CmdCheckpoint:
		t.control(c, SettingCheckpoint, "")
		t.saveCheckpoint(nil, false)
		if err := t.sink.Sync(); err != nil && t.writeErr == nil {
			t.writeErr = err
		}
	case CmdSetLR, CmdScaleLR:
		lr := c.Value
		if c.Kind == CmdScaleLR {
			lr = t.baseLR * c.Value
		}
		if !(lr > 0) || math.IsInf(lr, 0) {
			t.refuse(c, fmt.Sprintf("learning rate %v is not a positive number; kept %g", lr, t.baseLR))
			return false, nil
		}
		t.baseLR = lr
		t.opt.SetLR(lr)
		t.control(c, SettingLR, fmt.Sprintf("%g", lr))
	case CmdSetLoss:
		l, err := t.parseLoss(c.Text)
		if err != nil {
			t.refuse(c, err.Error())
			return false, nil
		}
		t.loss = l
		t.control(c, SettingLoss, l.Spec)
	case CmdSetCutMix:
		p, box, err := ParseCutMix(c.Text, t.mixer.box)
		if err == nil {
			err = t.setCutMix(p, box)
		}
		if err != nil {
			t.refuse(c, err.Error())
			return false, nil
		}
		t.control(c, SettingCutMix, offIfEmpty(t.mixer.cutMixShown()))
	case CmdSetMixup:
		p, alpha, err := ParseMixup(c.Text, t.mixer.alpha)
		if err == nil {
			err = t.setMixup(p, alpha)
		}
		if err != nil {
			t.refuse(c, err.Error())
			return false, nil
		}
		t.control(c, SettingMixup, offIfEmpty(t.mixer.mixupShown()))
	case CmdPredict:
		t.control(c, SettingPredict, "")
		t.predict(c)
	case CmdStop:
		t.control(c, SettingStop, c.Text)
		t.setState(StateStopping, c.Text)
		return true, nil
	case cmdBadControl:
		t.refuse(c, c.Text)
	case CmdFork:
		if _, err := forkConfig(t, c.Fork); err != nil {
			t.refuse(c, "new run: "+err.Error())
			return false, nil
		}
		t.control(c, SettingFork, c.Fork.String())
		t.setState(StateStopping, "starting a new run from this one")
		cc := c
		t.fork = &cc
		return true, nil
	}
	return false, nil
}

// predict writes predictions with the current weights and reports where.
func (t *Trainer) predict(c Command) {
	path, figure, guesses, err := t.predictNow()
	if err != nil {
		t.refuse(c, "predict: "+err.Error())
		return
	}
	t.emit(Event{Kind: KindPrediction, Path: path, Who: c.Who, Msg: "prediction written to " + path + guessed(guesses) + recorded(figure) + ", class probabilities beside it (-probs.csv)"})
}

// pollControl reads the run folder's control/ every ControlPoll and queues
// what it finds, so that any process that sees the folder (another
// dashboard, maskdash control, a sweep) can steer this run. It stops with
// ctx.
func (t *Trainer) pollControl(ctx context.Context) {
	tick := time.NewTicker(t.cfg.ControlPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		reqs, bad, err := runs.TakeControl(t.dir)
		// A full queue (ErrBusy) drops a report as it drops a command
		// (below): the log then has no event for it.
		for _, b := range bad {
			_ = t.Send(Command{Kind: cmdBadControl, Text: "control: skipped " + b})
		}
		if err != nil {
			_ = t.Send(Command{Kind: cmdBadControl, Text: err.Error()})
		}
		for _, r := range reqs {
			c := Command{Kind: CommandKind(r.Kind), Value: r.Value, Text: r.Text, Who: r.Who}
			if !remoteKinds[c.Kind] {
				c = Command{Kind: cmdBadControl, Who: r.Who, Text: fmt.Sprintf("control: %q is not a command another process may send (%s)", r.Kind, RemoteKinds())}
			}
			// A full queue (ErrBusy) drops the command: the sender sees no
			// control event in the log for it.
			_ = t.Send(c)
		}
	}
}

// remoteKinds are the commands a control file may carry. fork is not one:
// its child run starts in the process of the dashboard that asked.
var remoteKinds = map[CommandKind]bool{CmdPause: true, CmdResume: true, CmdToggle: true, CmdCheckpoint: true,
	CmdSetLR: true, CmdScaleLR: true, CmdSetLoss: true, CmdSetCutMix: true, CmdSetMixup: true, CmdPredict: true, CmdStop: true}

// RemoteKinds lists them, for help and errors.
func RemoteKinds() string {
	return "pause, resume, toggle, checkpoint, predict, set-lr, scale-lr, set-loss, set-cutmix, set-mixup, stop"
}

// recorded is what a prediction's message says of the validation figure
// its record among the runs folder's submissions has: " (validation macro
// F1 0.4123, validated now)".
// guessed is what a prediction's message says, right after its path (a
// narrow events pane cuts the end), of its n rows of images that could
// not be read.
func guessed(n int) string {
	switch {
	case n == 1:
		return " (1 row a guess: an image that could not be read)"
	case n > 1:
		return fmt.Sprintf(" (%d rows guesses: images that could not be read)", n)
	}
	return ""
}

func recorded(figure string) string {
	if figure == "" {
		return ""
	}
	return " (" + figure + ")"
}
