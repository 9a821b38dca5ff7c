package ui

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/maskdash/maskdash/training"
)

// lrMark records a change of the learning rate made by someone.
type lrMark struct {
	Step int
	LR   float64
	Who  string
}

// lossMark is a change of the loss at a step: the curves jump there, as
// the new loss has a scale of its own.
type lossMark struct {
	Step int
	Loss string
	Who  string
}

// logLine is one line of the events panel.
type logLine struct {
	T    time.Time
	Text string
	Bad  bool
}

// RunState folds the trainer's events into what the views draw. It is a
// plain value owned by one Model; nothing else touches it.
type RunState struct {
	Header   training.RunHeader
	State    training.State
	StateMsg string
	Epochs   int
	Epoch    int // epochs completed
	Step     int
	Progress float64
	IPS      float64
	LR       float64 // the base learning rate (what +, - and L change); LRs has the scheduled rate per step
	Loss     string
	// CutMix is CutMix's setting now ("0.3 half"); "" when it is off.
	CutMix string
	// Mixup is Mixup's setting now ("0.2 alpha=0.2"); "" when it is off.
	Mixup string
	// GPUMem and GPUTotal are the GPU's memory in use and in all (MiB)
	// from the last step event of a cuda run; 0 otherwise.
	GPUMem, GPUTotal float64

	Steps []int       // per step event
	Times []time.Time // when each step sample was taken
	Train []float64   // training loss
	LRs   []float64
	Marks []lrMark
	// LossMarks are the loss changes made while training, oldest first.
	LossMarks []lossMark
	// Sys holds the machine's figures per step event (the system view).
	Sys sysSeries
	// Layers are the measured steps' parameter norms (the layers view),
	// at most MaxLayerSamples.
	Layers []layerSample

	EpochN   []int
	EpochAt  []int // the step each epoch ended at
	TrainAcc []float64
	ValLoss  []float64
	ValAcc   []float64
	ValF1    []float64
	// ValOwnF1 is, with --ema, each epoch's macro F1 of the training
	// weights themselves (ValF1 is their average's); NaN without.
	ValOwnF1 []float64
	// ValSeen marks the epochs whose validation images the run trained
	// on (--val-train): no held-out measure.
	ValSeen []bool
	Confs   []*training.Confusion
	Metrics []*training.Metrics

	Started  time.Time // when the run started (its run event)
	Finished time.Time // when it ended (its final state event)

	Log      []logLine
	Dropped  int
	Runs     []string // run ids seen in this session, in order
	LastPred string
	LastCkpt string
}

const maxLog = 200

// LastLayers is the newest measure's stats, a tensor each (nil before
// the first).
func (s *RunState) LastLayers() []training.LayerStat {
	if len(s.Layers) == 0 {
		return nil
	}
	return s.Layers[len(s.Layers)-1].Stats
}

// MaxStepSamples bounds the step samples a RunState keeps (about 45 MB
// with the system figures, some 35 hours at four a second): past it,
// every other sample but the newest half is dropped, as the hub does for
// late viewers, so that a dashboard watching a run of days stays bounded
// while its recent steps keep full detail (the run's history columns,
// which H reads, keep every sample).
const MaxStepSamples = 400_000

// thinSteps drops every other step sample older than the newest
// MaxStepSamples/2, from every per-sample series alike.
func (s *RunState) thinSteps() {
	older := len(s.Steps) - MaxStepSamples/2
	s.Steps, s.Times, s.Train, s.LRs = thinOlder(s.Steps, older), thinOlder(s.Times, older), thinOlder(s.Train, older), thinOlder(s.LRs, older)
	y := &s.Sys
	for _, v := range []*[]float64{&y.IPS, &y.CPU, &y.RSS, &y.Queue, &y.Wait, &y.GPUUtil, &y.GPUMem} {
		*v = thinOlder(*v, older)
	}
}

// thinOlder drops every other one of v's first older values (keeping the
// first), in place.
func thinOlder[T any](v []T, older int) []T {
	older = min(older, len(v))
	out := v[:0]
	for i, x := range v {
		if i < older && i%2 == 1 {
			continue
		}
		out = append(out, x)
	}
	clear(v[len(out):])
	return v[:len(out)]
}

func (s *RunState) say(t time.Time, bad bool, format string, a ...any) {
	s.Log = append(s.Log, logLine{T: t, Text: fmt.Sprintf(format, a...), Bad: bad})
	if len(s.Log) > maxLog {
		s.Log = s.Log[len(s.Log)-maxLog:]
	}
}

// Apply folds one event into the state.
func (s *RunState) Apply(e training.Event) {
	switch e.Kind {
	case training.KindRun:
		if e.Settings != nil {
			if s.Header.ID != "" && s.Header.ID != e.Settings.ID {
				// A new run (a fork): its curves start afresh.
				*s = RunState{Log: s.Log, Runs: s.Runs, Dropped: s.Dropped}
			}
			s.Header = *e.Settings
			s.Started, s.Finished = e.Time, time.Time{}
			s.Runs = append(s.Runs, e.Settings.ID)
			s.Loss = e.Settings.Loss
			s.CutMix, s.Mixup = e.Settings.CutMix, e.Settings.Mixup
			s.say(e.Time, false, "run %s started (%s, %s, lr %g)", e.Settings.ID, e.Settings.Model, e.Settings.Loss, e.Settings.LR)
		}
		s.Epochs, s.Epoch, s.Step, s.LR = e.Epochs, e.Epoch, e.Step, e.BaseLR
	case training.KindStep:
		s.Step, s.Epoch, s.Progress, s.IPS, s.Epochs = e.Step, e.Epoch, e.Progress, e.IPS, e.Epochs
		if e.GPUTotal > 0 {
			s.GPUMem, s.GPUTotal = e.GPUMem, e.GPUTotal
		}
		s.Steps = append(s.Steps, e.Step)
		s.Times = append(s.Times, e.Time)
		s.Train = append(s.Train, e.Loss)
		s.LRs = append(s.LRs, e.LR)
		s.Sys.add(e)
		if len(s.Steps) > MaxStepSamples {
			s.thinSteps()
		}
		if len(e.Layers) > 0 {
			s.Layers = append(s.Layers, layerSample{Step: e.Step, Time: e.Time, Stats: e.Layers})
			if len(s.Layers) > MaxLayerSamples {
				s.Layers = thinOlder(s.Layers, len(s.Layers)-MaxLayerSamples/2)
			}
		}
	case training.KindEpoch:
		s.Epoch, s.Step, s.Progress = e.Epoch, e.Step, 0
		if e.Val != nil {
			s.EpochN = append(s.EpochN, e.Epoch)
			s.EpochAt = append(s.EpochAt, e.Step)
			s.TrainAcc = append(s.TrainAcc, e.TrainAcc)
			s.ValLoss = append(s.ValLoss, e.Val.Loss)
			s.ValAcc = append(s.ValAcc, e.Val.Accuracy)
			s.ValF1 = append(s.ValF1, e.Val.MacroF1)
			own, ownSaid := math.NaN(), ""
			if f := e.TrainWeightsF1; f != nil {
				own, ownSaid = *f, fmt.Sprintf(" (training weights %.4f)", *f)
			}
			s.ValOwnF1 = append(s.ValOwnF1, own)
			s.ValSeen = append(s.ValSeen, e.ValSeen)
			s.Confs = append(s.Confs, e.Conf)
			m := *e.Val
			s.Metrics = append(s.Metrics, &m)
			seen := ""
			if e.ValSeen {
				seen = " (seen in training: --val-train)"
			}
			s.say(e.Time, false, "epoch %d: val acc %.3f, macro F1 %.4f%s, loss %.4f%s", e.Epoch, e.Val.Accuracy, e.Val.MacroF1, ownSaid, e.Val.Loss, seen)
		}
	case training.KindCheckpoint:
		s.LastCkpt = e.Path
		s.say(e.Time, false, "%s: %s", e.Msg, inRun(e.Path, e.Run))
	case training.KindPrediction:
		s.LastPred = e.Path
		s.say(e.Time, false, "%s", strings.Replace(e.Msg, e.Path, inRun(e.Path, e.Run), 1))
	case training.KindState:
		s.State, s.StateMsg = e.State, e.Msg
		if e.State.Ended() {
			s.Finished = e.Time
		}
		if e.Msg != "" {
			s.say(e.Time, false, "%s: %s", e.State, e.Msg)
		}
	case training.KindControl:
		who := e.Who
		if who == "" {
			who = "local"
		}
		switch e.Setting {
		case training.SettingLR:
			s.Marks = append(s.Marks, lrMark{Step: e.Step, LR: e.BaseLR, Who: who})
			s.LR = e.BaseLR
			s.say(e.Time, false, "%s set the learning rate to %s at step %d", who, e.Value, e.Step)
		case training.SettingLoss:
			s.Loss = e.Value
			s.LossMarks = append(s.LossMarks, lossMark{Step: e.Step, Loss: e.Value, Who: who})
			s.say(e.Time, false, "%s set the loss to %s at step %d", who, e.Value, e.Step)
		case training.SettingCutMix:
			s.CutMix = e.Value
			if e.Value == training.MixOff {
				s.CutMix = ""
			}
			s.say(e.Time, false, "%s set CutMix to %s at step %d", who, e.Value, e.Step)
		case training.SettingMixup:
			s.Mixup = e.Value
			if e.Value == training.MixOff {
				s.Mixup = ""
			}
			s.say(e.Time, false, "%s set Mixup to %s at step %d", who, e.Value, e.Step)
		default:
			s.say(e.Time, false, "%s: %s %s", who, e.Setting, e.Value)
		}
	case training.KindError:
		s.say(e.Time, true, "%s", e.Msg)
	case training.KindNotice:
		s.say(e.Time, false, "%s", e.Msg)
	case training.KindAlert:
		s.say(e.Time, true, "alert: %s", e.Msg)
	case training.KindRewound:
		// The watched run's log is read again from its start: every
		// curve is drawn anew from what follows.
		*s = RunState{Log: s.Log, Dropped: s.Dropped}
		s.say(e.Time, false, "%s", e.Msg)
	}
}

// Took is how long the run trained, once it has ended (0 before, or when
// the start is not known).
func (s *RunState) Took() time.Duration {
	if s.Started.IsZero() || s.Finished.IsZero() {
		return 0
	}
	return s.Finished.Sub(s.Started).Round(time.Second)
}

// inRun shortens a path inside a run's folder to the part after it
// (checkpoints/001-0000040.safetensors): the run is on screen already.
func inRun(path, run string) string {
	if run == "" {
		return path
	}
	if _, rest, ok := strings.Cut(path, string(filepath.Separator)+run+string(filepath.Separator)); ok {
		return rest
	}
	return path
}

// ETA estimates the time left from the images/s and the work left.
func (s *RunState) ETA() time.Duration {
	if s.IPS <= 0 || s.Epochs == 0 || s.Header.Train == 0 {
		return 0
	}
	left := (float64(s.Epochs-s.Epoch) - s.Progress) * float64(s.Header.Train)
	if left < 0 {
		return 0
	}
	return time.Duration(left / s.IPS * float64(time.Second)).Round(time.Second)
}

// Overall is the share of all planned training done.
func (s *RunState) Overall() float64 {
	if s.Epochs == 0 {
		return 0
	}
	return min(1, (float64(s.Epoch)+s.Progress)/float64(s.Epochs))
}

// ValLossAtSteps returns, for each step event, the validation loss of the
// last epoch finished by then (NaN before the first): a staircase that
// sits on the training-loss chart's step axis.
func (s *RunState) ValLossAtSteps() []float64 {
	out := make([]float64, len(s.Steps))
	k := -1
	nan := math.NaN()
	for i, st := range s.Steps {
		for k+1 < len(s.EpochAt) && s.EpochAt[k+1] <= st {
			k++
		}
		if k < 0 {
			out[i] = nan
		} else {
			out[i] = s.ValLoss[k]
		}
	}
	return out
}

// sysSeries are the machine's figures of each step event.
type sysSeries struct {
	IPS, CPU, RSS, Queue, Wait, GPUUtil, GPUMem []float64
	Last                                        training.SysStats
	HasGPU                                      bool
}

func (s *sysSeries) add(e training.Event) {
	s.IPS = append(s.IPS, e.IPS)
	s.CPU = append(s.CPU, e.CPU)
	s.RSS = append(s.RSS, e.RSS)
	s.Queue = append(s.Queue, 100*e.Queue)
	s.Wait = append(s.Wait, 100*e.DataWait)
	s.GPUUtil = append(s.GPUUtil, e.GPUUtil)
	s.GPUMem = append(s.GPUMem, e.GPUMem)
	s.Last = e.SysStats
	s.HasGPU = s.HasGPU || e.GPUTotal > 0
}

// SeenFrom is the first epoch whose validation images the run had
// trained on (--val-train); 0 when none.
func (s *RunState) SeenFrom() int {
	for i, seen := range s.ValSeen {
		if seen {
			return s.EpochN[i]
		}
	}
	return 0
}

// BestHeldOut is the best validation macro F1 of the epochs that held
// their images out; -Inf before the first.
func (s *RunState) BestHeldOut() float64 {
	b := math.Inf(-1)
	for i, v := range s.ValF1 {
		if !math.IsNaN(v) && (i >= len(s.ValSeen) || !s.ValSeen[i]) {
			b = max(b, v)
		}
	}
	return b
}

// HasOwnF1 says the run validates a moving average of its weights
// (--ema) and its epochs carry the training weights' own F1 too.
func (s *RunState) HasOwnF1() bool {
	n := len(s.ValOwnF1)
	return n > 0 && !math.IsNaN(s.ValOwnF1[n-1])
}
