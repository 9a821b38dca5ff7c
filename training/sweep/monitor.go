package sweep

import (
	"context"
	"fmt"
	"io"
	"time"
)

// MaxSubmits is how many times a trial is handed to the backend in all:
// a trial that dies (a crash, scancel, preemption) is requeued and
// resumes from its checkpoint until it has been submitted this often.
const MaxSubmits = 4

// Requeue hands the backend every trial that died or never ran and is
// not held by it, unless the sweep was cancelled or the trial was
// submitted MaxSubmits times. It returns the trials it requeued.
func Requeue(ctx context.Context, sw *Sweep, be Backend, st []TrialStatus, q map[int]Queued) ([]int, error) {
	if sw.Cancelled {
		return nil, nil
	}
	var again []int
	for _, t := range st {
		if _, held := q[t.Index]; held || !t.State.Resumable() || t.Submits >= MaxSubmits {
			continue
		}
		again = append(again, t.Index)
	}
	if len(again) == 0 {
		return nil, nil
	}
	return again, be.Submit(ctx, sw, again)
}

// ProposeAndSubmit adds an adaptive search's next settings (Propose) and
// submits their trials, saying so on w; the new trials' indexes.
func ProposeAndSubmit(ctx context.Context, sw *Sweep, be Backend, st []TrialStatus, w io.Writer) ([]int, error) {
	added, err := sw.Propose(st)
	if err != nil || len(added) == 0 {
		return nil, err
	}
	if err := be.Submit(ctx, sw, added); err != nil {
		return nil, fmt.Errorf("submit %s's new trials: %w", sw.ID, err)
	}
	for _, i := range added {
		t := sw.Trials[i]
		how := "proposed by TPE from the finished trials"
		if t.Proposed == TrialDrawn {
			how = "drawn at random (TPE waits for two finished settings)"
		}
		fmt.Fprintf(w, "%s %s: %s: %s\n", time.Now().Format("15:04:05"), t.RunID, how, t.Label())
	}
	return added, nil
}

// Wait watches the sweep until every trial has ended for good, requeueing
// trials that died and adding an adaptive search's next trials as
// earlier ones end, and writes a line to w for each change of a trial's
// state. every is how often it looks.
func Wait(ctx context.Context, sw *Sweep, be Backend, w io.Writer, every time.Duration) ([]TrialStatus, error) {
	last := map[int]State{}
	for {
		q, err := be.Queued(ctx, sw)
		if err != nil {
			return nil, err
		}
		st := sw.States(q)
		for _, t := range st {
			if last[t.Index] != t.State {
				last[t.Index] = t.State
				line := fmt.Sprintf("%s %s: %s", time.Now().Format("15:04:05"), t.RunID, t.State)
				if t.Why != "" && t.State != StateRunning && t.State != StatePending {
					line += " (" + t.Why + ")"
				}
				fmt.Fprintln(w, line)
			}
		}
		again, err := Requeue(ctx, sw, be, st, q)
		if err != nil {
			return st, err
		}
		for _, i := range again {
			fmt.Fprintf(w, "%s %s: requeued (submission %d of at most %d); it resumes from its last checkpoint\n",
				time.Now().Format("15:04:05"), sw.Trials[i].RunID, sw.Trials[i].Submits, MaxSubmits)
			last[i] = StatePending
		}
		added, err := ProposeAndSubmit(ctx, sw, be, st, w)
		if err != nil {
			return st, err
		}
		for _, i := range added {
			last[i] = StatePending
		}
		ended := len(again) == 0 && len(added) == 0
		for _, t := range st {
			if _, held := q[t.Index]; held || !t.State.Ended() {
				ended = false
			}
		}
		if ended {
			return sw.Status(q), nil
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(every):
		}
	}
}
