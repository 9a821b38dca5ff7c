// The trainer between steps: the commands it takes (pause, checkpoint,
// predict, rate and loss changes) and the stall that retries a failed
// write.

package training

import (
	"context"
	"fmt"
	"time"
)

// pending takes the commands that were queued but not applied when Run
// returned.
func (t *Trainer) pending() []Command {
	var out []Command
	for {
		select {
		case c := <-t.cmds:
			out = append(out, c)
		default:
			return out
		}
	}
}

// Send queues a command without blocking.
func (t *Trainer) Send(c Command) error {
	select {
	case t.cmds <- c:
		return nil
	default:
		return ErrBusy
	}
}

// between runs between two steps: it applies queued commands (waiting for
// one while paused), stalls while the run folder cannot be written, and
// says whether to stop (with a final checkpoint written).
func (t *Trainer) between(ctx context.Context) (stop bool, err error) {
	if t.writeErr != nil {
		if stop, err := t.stall(ctx); err != nil || stop {
			return true, err
		}
	}
	stop, err = t.handleCommands(ctx)
	if err == nil && (stop || ctx.Err() != nil) {
		return true, t.finalCheckpoint()
	}
	return stop, err
}

// stall pauses training while the run folder cannot be written: it says
// so once, then tries again on a resume command or every StallRetry, and
// carries on when what was kept (events, a checkpoint) is written. Stop
// ends the run without a new checkpoint; the last one on disk is kept.
func (t *Trainer) stall(ctx context.Context) (stop bool, err error) {
	msg := fmt.Sprintf("cannot write the run folder %s: %v. Training is paused and nothing is lost; free space, then resume (the dashboard's space key) — it also retries every %s by itself", t.dir, t.writeErr, t.cfg.StallRetry)
	prev := t.state
	t.alert(AlertStalled, msg)
	t.state = StateStalled
	t.hub.Publish(Event{Kind: KindState, Run: t.id, State: StateStalled, Epoch: t.epoch, Step: t.step, Msg: msg, Time: time.Now()})
	tick := time.NewTicker(t.cfg.StallRetry)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return true, nil
		case <-tick.C:
		case c := <-t.cmds:
			switch c.Kind {
			case CmdStop, CmdFork:
				return true, nil
			case CmdResume, CmdToggle:
			default:
				t.hub.Publish(Event{Kind: KindNotice, Run: t.id, Who: c.Who, Time: time.Now(), Msg: "training is stalled on a full or read-only disk: free space and resume first"})
				continue
			}
		}
		if err := t.retryWrites(); err != nil {
			t.writeErr = err
			continue
		}
		t.setState(prev, "the run folder takes writes again")
		return false, nil
	}
}

// retryWrites writes what a full disk held back: the kept events, then a
// checkpoint that could not be saved.
func (t *Trainer) retryWrites() error {
	t.writeErr = nil
	if err := t.sink.Flush(); err != nil {
		return err
	}
	if t.ckptDue != nil {
		due := *t.ckptDue
		t.ckptDue = nil
		t.saveCheckpoint(due.m, due.best)
		if t.writeErr != nil {
			return t.writeErr
		}
	}
	return t.sink.Sync()
}

// handleCommands applies queued commands; while paused it waits for one.
func (t *Trainer) handleCommands(ctx context.Context) (stop bool, err error) {
	for {
		var c Command
		if t.state == StatePaused {
			select {
			case c = <-t.cmds:
			case <-ctx.Done():
				return true, nil
			}
		} else {
			select {
			case c = <-t.cmds:
			default:
				return false, nil
			}
		}
		if stop, err := t.apply(c); stop || err != nil {
			return stop, err
		}
	}
}
