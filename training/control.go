package training

import (
	"fmt"
	"math"
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
		l, err := ParseLoss(c.Text)
		if err != nil {
			t.refuse(c, err.Error())
			return false, nil
		}
		t.loss = l
		t.control(c, SettingLoss, l.Spec)
	case CmdPredict:
		t.control(c, SettingPredict, "")
		t.predict(c)
	case CmdStop:
		t.control(c, SettingStop, "")
		t.setState(StateStopping, "")
		return true, nil
	case CmdFork:
		t.control(c, SettingFork, fmt.Sprintf("loss=%s lr=%g", c.Text, c.Value))
		t.setState(StateStopping, "starting a new run from this one")
		cc := c
		t.fork = &cc
		return true, nil
	}
	return false, nil
}

// predict writes predictions with the current weights and reports where.
func (t *Trainer) predict(c Command) {
	path, err := t.predictNow()
	if err != nil {
		t.refuse(c, "predict: "+err.Error())
		return
	}
	t.emit(Event{Kind: KindPrediction, Path: path, Who: c.Who, Msg: "prediction written to " + path})
}
