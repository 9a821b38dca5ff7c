package sweep

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
)

// State is a trial's state as a sweep sees it.
type State string

// Trial states.
const (
	StatePending   State = "pending"    // waiting for the backend
	StateRunning   State = "running"    // training
	StateDone      State = "done"       // all its epochs
	StateStopped   State = "stopped"    // by a rule or a person; keeps its checkpoint
	StateFailed    State = "failed"     // training ended with an error
	StateCrashed   State = "crashed"    // its process died (killed, cancelled, preempted) and nothing runs it
	StateNotQueued State = "not queued" // never started, and the backend holds it no more
)

// Ended reports whether a trial in this state will not train again by
// itself.
func (s State) Ended() bool {
	return s == StateDone || s == StateStopped || s == StateFailed || s == StateCrashed || s == StateNotQueued
}

// Resumable reports whether requeueing the trial makes sense: it died or
// never ran (not finished, not stopped on purpose).
func (s State) Resumable() bool {
	return s == StateFailed || s == StateCrashed || s == StateNotQueued
}

// Queued is what a backend says of a trial it holds.
type Queued struct {
	State State // pending or running
	Node  string
}

// TrialStatus is one trial as the sweep's status shows it.
type TrialStatus struct {
	Trial
	State State
	Why   string // why it stopped or failed
	// Repeats says the trial failed with the same error it failed with
	// before its last requeue: it is not requeued by itself again.
	Repeats    bool
	Node       string
	BestF1     float64 // NaN before the first epoch
	BestEpoch  int
	EpochsDone int
	Epochs     int
	F1         []float64   // validation macro F1 per epoch
	EpochAt    []time.Time // when each epoch ended
}

// Status reads every trial's run folder and merges what the backend
// holds (nil: nothing).
func (sw *Sweep) Status(queued map[int]Queued) []TrialStatus { return sw.status(queued, true) }

// States is Status without the per-epoch curves (run.json only): what a
// watcher that looks often needs.
func (sw *Sweep) States(queued map[int]Queued) []TrialStatus { return sw.status(queued, false) }

func (sw *Sweep) status(queued map[int]Queued, curves bool) []TrialStatus {
	out := make([]TrialStatus, len(sw.Trials))
	for i, t := range sw.Trials {
		ts := TrialStatus{Trial: t, BestF1: math.NaN()}
		q, inQueue := queued[i]
		ts.Node = q.Node
		// Held by the backend and not yet ended in this submission: its
		// process may still be finishing (ended.go).
		held := inQueue && !sw.endedNow(i)
		dir := sw.RunDir(i)
		info, err := runs.ReadInfo(dir)
		_, serr := os.Stat(dir)
		switch {
		case os.IsNotExist(serr):
			ts.State = StateNotQueued
			if held {
				ts.State = q.State
			} else if why := sw.startError(i); why != "" {
				// It ran and stopped before its run began (a data
				// folder that is not there): say why, as for a run.
				ts.State, ts.Why = StateFailed, why
			}
		case err != nil:
			ts.State, ts.Why = StateFailed, err.Error()
		default:
			ts.EpochsDone, ts.Epochs = info.EpochsDone, info.Epochs
			if info.Best.Epoch > 0 {
				ts.BestF1, ts.BestEpoch = info.Best.MacroF1, info.Best.Epoch
			}
			switch info.Status {
			case runs.StatusRunning:
				ts.State = StateRunning
			case runs.StatusDone:
				ts.State = StateDone
			case runs.StatusStopped:
				ts.State, ts.Why = StateStopped, stopReason(dir)
				if interrupted(dir) {
					ts.State, ts.Why = StateCrashed, "interrupted by a signal (scancel, preemption or Ctrl-C)"
				}
			case runs.StatusFailed:
				ts.State, ts.Why = StateFailed, info.Error
			default: // crashed
				ts.State, ts.Why = StateCrashed, "its process died"
			}
			if ts.Why == "" && training.Troubled(info.Alerts) {
				// A trial that ran its course dead or diverging: say so
				// beside its F1.
				ts.Why = "alerts: " + strings.Join(info.Alerts, ", ")
			}
			if held && ts.State != StateRunning && ts.State != StateDone && ts.State != StateStopped {
				ts.State = q.State // requeued: it will resume
			}
		}
		if ts.State == StateFailed && t.Failed != "" && ts.Why == t.Failed {
			ts.Repeats = true
			ts.Why = strings.TrimSuffix(ts.Why, ".") + fmt.Sprintf("; the same failure as submission %d's, so not requeued again ('maskdash sweep resume' tries once more)", t.Submits-1)
		}
		if curves {
			ts.F1, ts.EpochAt = epochCurve(dir)
		}
		if ts.Node == "" {
			if b, err := os.ReadFile(sw.nodeFile(i)); err == nil {
				ts.Node = strings.TrimSpace(string(b))
			}
		}
		out[i] = ts
	}
	return out
}

// epochCurve reads a run's validation macro F1 and the time of each
// epoch (a redone epoch's later value wins).
func epochCurve(dir string) ([]float64, []time.Time) {
	var f1 []float64
	var at []time.Time
	_ = runs.ReadLogKinds(dir, []string{string(training.KindEpoch)}, func(line []byte) error {
		var e struct {
			Kind  string    `json:"kind"`
			T     time.Time `json:"t"`
			Epoch int       `json:"epoch"`
			Val   *struct {
				MacroF1 float64 `json:"macro_f1"`
			} `json:"val"`
		}
		if json.Unmarshal(line, &e) != nil || e.Kind != "epoch" || e.Val == nil || e.Epoch < 1 || e.Epoch > 1<<20 {
			return nil
		}
		for len(f1) < e.Epoch {
			f1, at = append(f1, math.NaN()), append(at, time.Time{})
		}
		f1[e.Epoch-1], at[e.Epoch-1] = e.Val.MacroF1, e.T
		return nil
	})
	return f1, at
}

// BestSoFar is the sweep's best validation macro F1 after each epoch
// trained by any trial, in the order the epochs ended: how the search
// improves with the work spent.
func BestSoFar(st []TrialStatus) []float64 {
	type pt struct {
		t  time.Time
		f1 float64
	}
	var pts []pt
	for _, t := range st {
		for i, v := range t.F1 {
			if !math.IsNaN(v) && i < len(t.EpochAt) {
				pts = append(pts, pt{t.EpochAt[i], v})
			}
		}
	}
	sort.SliceStable(pts, func(a, b int) bool { return pts[a].t.Before(pts[b].t) })
	out := make([]float64, len(pts))
	best := math.Inf(-1)
	for i, p := range pts {
		best = max(best, p.f1)
		out[i] = best
	}
	return out
}

// stopReason finds why a stopped run stopped: the message of its last
// "stopping" state event (a rule's sentence, or the reason a person gave).
func stopReason(dir string) string {
	why := ""
	_ = runs.ReadLogKinds(dir, []string{string(training.KindState), string(training.KindControl)}, func(line []byte) error {
		var e struct {
			Kind    string `json:"kind"`
			State   string `json:"state"`
			Msg     string `json:"msg"`
			Who     string `json:"who"`
			Setting string `json:"setting"`
		}
		if json.Unmarshal(line, &e) != nil {
			return nil
		}
		switch {
		case e.Kind == "state" && e.State == string(training.StateStopping) && e.Msg != "":
			why = e.Msg
		case e.Kind == "control" && e.Setting == string(training.SettingStop):
			why = "stopped by " + e.Who
		}
		return nil
	})
	return why
}

// Best returns the trials with a finished epoch, best macro F1 first.
func Best(st []TrialStatus) []TrialStatus {
	var out []TrialStatus
	for _, t := range st {
		if !math.IsNaN(t.BestF1) {
			out = append(out, t)
		}
	}
	for a := 1; a < len(out); a++ {
		for b := a; b > 0 && out[b].BestF1 > out[b-1].BestF1; b-- {
			out[b], out[b-1] = out[b-1], out[b]
		}
	}
	return out
}

// nodeFile names the machine that last ran trial i.
func (sw *Sweep) nodeFile(i int) string {
	return filepath.Join(sw.Dir, "logs", sw.Trials[i].RunID+".node")
}

// RecordNode writes where trial i runs (Slurm's node name, else this
// machine's name).
func (sw *Sweep) RecordNode(i int) error {
	n := os.Getenv("SLURMD_NODENAME")
	if n == "" {
		n, _ = os.Hostname()
	}
	if _, err := sw.logDir(); err != nil {
		return err
	}
	return os.WriteFile(sw.nodeFile(i), []byte(n+"\n"), 0o644)
}

// Tally says how many trials are in each state, the live ones first:
// "1 running, 2 done, 1 failed".
func Tally(st []TrialStatus) string {
	counts := map[State]int{}
	for _, t := range st {
		counts[t.State]++
	}
	var parts []string
	for _, s := range []State{StateRunning, StatePending, StateDone, StateStopped, StateFailed, StateCrashed, StateNotQueued} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	return strings.Join(parts, ", ")
}
