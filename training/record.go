package training

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/maskdash/maskdash/runs"
)

// Sink is what a trainer reports to: every event goes live to the hub at
// once, and to the run folder (log, history columns, run.json). The trainer
// knows nothing else of its observers, as gonum's optimize knows only its
// Recorder.
type Sink interface {
	// Record reports an event. The error is about the run folder only (a
	// full disk): the event is then kept and written by a later Flush, in
	// order, so nothing is lost while the disk is full.
	Record(Event) error
	// Flush writes what earlier Records could not.
	Flush() error
	// Sync makes what was written durable (at each epoch end).
	Sync() error
}

// runSink is the Sink of a run: the hub and the run's folder. It turns the
// events into run.json's figures, so the trainer never edits run.Info.
type runSink struct {
	lastIPS float64 // the last step sample's speed, for run.json
	hub     *Hub
	run     *runs.Run
	pending []pendingEvent
	indexed bool // val/index.tsv is written
}

type pendingEvent struct {
	e      Event
	logged bool // the log line is written; the history row or run.json is not
}

// Record implements Sink.
func (s *runSink) Record(e Event) error {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Run = s.run.ID()
	live := e
	live.Preds = nil // viewers read them from the run folder; the hub keeps its history small
	s.hub.Publish(live)
	s.pending = append(s.pending, pendingEvent{e: e})
	return s.Flush()
}

// Flush implements Sink.
func (s *runSink) Flush() error {
	for len(s.pending) > 0 {
		p := &s.pending[0]
		if !p.logged {
			err := s.run.Append(p.e)
			if errors.Is(err, runs.ErrUnencodable) {
				// A figure JSON cannot hold (NaN, an infinity): the log says
				// so in its place rather than the run stalling on it; viewers
				// had the event live.
				err = s.run.Append(Event{Kind: KindError, Time: p.e.Time, Run: p.e.Run, Epoch: p.e.Epoch, Step: p.e.Step,
					Msg: fmt.Sprintf("a %s event could not be logged: %v", p.e.Kind, err)})
			}
			if err != nil {
				return err
			}
			p.logged = true
		}
		if err := s.apply(p.e); err != nil {
			return err
		}
		s.pending[0] = pendingEvent{}
		s.pending = s.pending[1:]
	}
	return nil
}

// apply writes what an event changes beside the log: the history columns
// for a step, run.json for epochs, checkpoints and live changes.
func (s *runSink) apply(e Event) error {
	info := &s.run.Info
	switch e.Kind {
	case KindStep:
		s.lastIPS = e.IPS
		row := map[string]float64{"loss": e.Loss, "lr": e.LR, "ips": e.IPS, "cpu": e.CPU, "rss_mib": e.RSS, "queue": e.Queue, "data_wait": e.DataWait,
			"t": e.Time.Sub(s.run.Info.Start).Seconds()} // seconds since the run started, for a wall-time axis
		if e.GPUTotal > 0 {
			row["gpu_util"], row["gpu_mem_mib"] = e.GPUUtil, e.GPUMem
		}
		return s.run.AppendHistory(e.Step, row)
	case KindEpoch:
		if p := e.Preds; p != nil {
			if s.indexed {
				q := *p
				q.Items = nil
				p = &q
			}
			if err := s.run.WriteValPreds(p); err != nil {
				return err
			}
			s.indexed = true
		}
		info.EpochsDone, info.Steps = e.Epoch, e.Step
		if s.lastIPS > 0 {
			info.IPS = s.lastIPS
		}
		if e.Val != nil {
			info.LastF1 = e.Val.MacroF1
		}
		if e.Best && e.Val != nil {
			info.Best = runs.Best{MacroF1: e.Val.MacroF1, Accuracy: e.Val.Accuracy, Epoch: e.Epoch}
			if len(e.Val.Tasks) > 0 {
				info.Best.Tasks = map[string]float64{}
				for k, v := range e.Val.Tasks {
					info.Best.Tasks[k] = v.MacroF1
				}
			}
		}
		return s.run.SaveInfo()
	case KindCheckpoint:
		info.EpochsDone, info.Steps = e.Epoch, e.Step
		return s.run.SaveInfo()
	case KindAlert:
		if e.Alert != AlertFinished && !slices.Contains(info.Alerts, string(e.Alert)) {
			info.Alerts = append(info.Alerts, string(e.Alert))
			return s.run.SaveInfo()
		}
	case KindControl:
		if e.Setting.Changes() {
			info.Changes = append(info.Changes, runs.Change{Step: e.Step, Setting: string(e.Setting), Value: e.Value, Who: e.Who})
			return s.run.SaveInfo()
		}
	default:
		// The rest is in the log only.
	}
	return nil
}

// Sync implements Sink.
func (s *runSink) Sync() error {
	if err := s.Flush(); err != nil {
		return err
	}
	return s.run.Sync()
}

// finalState is the trainer state a run's final status reports.
var finalState = map[runs.Status]State{runs.StatusDone: StateDone, runs.StatusStopped: StateStopped, runs.StatusFailed: StateFailed}

// close reports the run's final state, records its status and releases
// the folder. What could not be written is reported with the error.
func (s *runSink) close(status runs.Status, runErr error) error {
	info := s.run.Info
	err := s.Record(Event{Kind: KindState, State: finalState[status], Epoch: info.EpochsDone, Step: info.Steps})
	return errors.Join(err, s.run.Close(status, runErr))
}
