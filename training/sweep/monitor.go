package sweep

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"
)

// MaxSubmits is how many times a trial is handed to the backend in all:
// a trial that dies (a crash, scancel, preemption) is requeued and
// resumes from its checkpoint until it has been submitted this often.
const MaxSubmits = 4

// Requeue hands the backend every trial that died or never ran and is
// not held by it, unless the sweep was cancelled, the trial was
// submitted MaxSubmits times or it failed with the same error as before
// its last requeue (TrialStatus.Repeats). It returns the trials it
// requeued.
func Requeue(ctx context.Context, sw *Sweep, be Backend, st []TrialStatus, q map[int]Queued) ([]int, error) {
	if sw.Cancelled {
		return nil, nil
	}
	var again []int
	for _, t := range st {
		if _, held := q[t.Index]; held || !t.State.Resumable() || t.Submits >= MaxSubmits || t.Repeats {
			continue
		}
		if t.State == StateFailed {
			sw.Trials[t.Index].Failed = t.Why
		}
		again = append(again, t.Index)
	}
	if len(again) == 0 {
		return nil, nil
	}
	return again, be.Submit(ctx, sw, again)
}

// ProposeAndSubmit adds an adaptive search's next settings (Propose) for
// the trials' state now and submits their trials, all under the sweep's
// lock (Update: the trials that end propose too, each in its own
// process, once MarkEnded has recorded their end); the new trials'
// indexes.
func ProposeAndSubmit(ctx context.Context, sw *Sweep, be Backend) ([]int, error) {
	if sw.Search == nil {
		return nil, nil
	}
	var added []int
	err := sw.Update(func() error {
		q, err := be.Queued(ctx, sw)
		if err != nil {
			return err
		}
		if added, err = sw.Propose(sw.States(q)); err != nil || len(added) == 0 {
			return err
		}
		if err := be.Submit(ctx, sw, added); err != nil {
			return fmt.Errorf("submit %s's new trials: %w", sw.ID, err)
		}
		return nil
	})
	return added, err
}

// Proposal says how a trial added while its sweep ran got its settings:
// "proposed by TPE from the finished trials: lr=0.002 loss=focal".
func Proposal(t Trial) string {
	how := "proposed by TPE from the finished trials"
	if t.Proposed == TrialDrawn {
		how = "drawn at random (TPE waits for two finished settings)"
	}
	return how + ": " + t.Label()
}

// Wait watches the sweep until every trial has ended for good, requeueing
// trials that died and adding an adaptive search's next trials as
// earlier ones end (as the trials do themselves), and writes a line to w
// for each new trial and each change of a trial's state. every is how
// often it looks.
func Wait(ctx context.Context, sw *Sweep, be Backend, w io.Writer, every time.Duration) ([]TrialStatus, error) {
	last := map[int]State{}
	for i := range sw.Trials {
		last[i] = "" // the trials the sweep started with: not new
	}
	for {
		var again []int
		var st []TrialStatus
		var q map[int]Queued
		err := sw.Update(func() error {
			var err error
			if q, err = be.Queued(ctx, sw); err != nil {
				return err
			}
			st = sw.States(q)
			if again, err = Requeue(ctx, sw, be, st, q); err != nil {
				return err
			}
			// The search counts a trial queued again as training, not
			// by the score it failed with.
			now := slices.Clone(st)
			for _, i := range again {
				now[i].State = StatePending
			}
			added, err := sw.Propose(now)
			if err != nil || len(added) == 0 {
				return err
			}
			return be.Submit(ctx, sw, added)
		})
		if err != nil {
			return st, err
		}
		if len(sw.Trials) > len(st) {
			st = sw.States(q) // with the trials just added
		}
		for _, t := range st {
			prev, seen := last[t.Index]
			if !seen && t.Proposed != "" {
				fmt.Fprintf(w, "%s %s: %s\n", time.Now().Format("15:04:05"), t.RunID, Proposal(t.Trial))
			}
			if prev != t.State {
				last[t.Index] = t.State
				line := fmt.Sprintf("%s %s: %s", time.Now().Format("15:04:05"), t.RunID, t.State)
				if t.Why != "" && t.State != StateRunning && t.State != StatePending {
					line += " (" + t.Why + ")"
				}
				fmt.Fprintln(w, line)
			}
		}
		for _, i := range again {
			fmt.Fprintf(w, "%s %s: requeued (submission %d of at most %d); it resumes from its last checkpoint\n",
				time.Now().Format("15:04:05"), sw.Trials[i].RunID, sw.Trials[i].Submits, MaxSubmits)
			last[i] = StatePending
		}
		ended := len(again) == 0
		for _, t := range st {
			if _, held := q[t.Index]; held || !t.State.Ended() {
				ended = false // a trial just proposed is not queued yet, or pending
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
