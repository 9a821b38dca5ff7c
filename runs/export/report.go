package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/maskdash/maskdash/runs"
)

// report is what the figures and the HTML page show of a run, read from
// its folder: run.json, the log's run header, epochs (with their
// confusion matrices), notable events, and the step history.
type report struct {
	Info    runs.Info
	Classes []string
	Epochs  []epochFigures
	Events  []eventLine
	Steps   []int     // history steps (bucketed)
	Loss    []float64 // training loss at Steps
}

type epochFigures struct {
	Epoch    int
	Step     int
	TrainAcc float64
	Loss     float64
	Accuracy float64
	MacroF1  float64
	// Own is, with --ema, the training weights' own macro F1 (MacroF1 is
	// their moving average's); nil otherwise.
	Own *float64
	// Tasks are the mask, gender and age macro F1 of a masked run; nil
	// otherwise.
	Tasks map[string]float64
	Conf  [][]int
}

// eventLine is one event of the log shown in the report: a checkpoint,
// prediction, alert, live change, state change or error.
type eventLine struct {
	T    time.Time
	Step int
	Kind string
	Text string
}

// readReport reads a run folder. Unknown runs and folders without a
// run.json fail with a sentence; a run with no epoch yet reads empty.
func readReport(runDir string) (*report, error) {
	info, err := runs.ReadInfo(runDir)
	if err != nil {
		return nil, err
	}
	r := &report{Info: info}
	// every kind the report shows: not the step events, most of a log
	kinds := []string{"run", "epoch", "control", "state", "alert", "checkpoint", "prediction", "error", "notice"}
	err = runs.ReadLogKinds(runDir, kinds, func(line []byte) error {
		var e struct {
			Kind     string    `json:"kind"`
			T        time.Time `json:"t"`
			Epoch    int       `json:"epoch"`
			Step     int       `json:"step"`
			TrainAcc float64   `json:"train_acc"`
			Own      *float64  `json:"train_weights_f1"`
			Val      *struct {
				Loss     float64 `json:"loss"`
				Accuracy float64 `json:"accuracy"`
				MacroF1  float64 `json:"macro_f1"`
				Tasks    map[string]struct {
					MacroF1 float64 `json:"macro_f1"`
				} `json:"tasks"`
			} `json:"val"`
			Conf *struct {
				M [][]int `json:"m"`
			} `json:"confusion"`
			Settings *struct {
				Classes []string `json:"classes"`
			} `json:"settings"`
			State   string `json:"state"`
			Msg     string `json:"msg"`
			Path    string `json:"path"`
			Setting string `json:"setting"`
			Value   string `json:"value"`
			Who     string `json:"who"`
			Alert   string `json:"alert"`
		}
		if json.Unmarshal(line, &e) != nil {
			return nil
		}
		text := e.Msg
		switch e.Kind {
		case "run":
			if e.Settings != nil {
				r.Classes = e.Settings.Classes
			}
			return nil
		case "epoch":
			if e.Val == nil {
				return nil
			}
			ef := epochFigures{Epoch: e.Epoch, Step: e.Step, TrainAcc: e.TrainAcc, Loss: e.Val.Loss, Accuracy: e.Val.Accuracy, MacroF1: e.Val.MacroF1, Own: e.Own}
			if len(e.Val.Tasks) > 0 {
				ef.Tasks = map[string]float64{}
				for k, v := range e.Val.Tasks {
					ef.Tasks[k] = v.MacroF1
				}
			}
			if e.Conf != nil {
				ef.Conf = e.Conf.M
			}
			// A resumed run logs an epoch again: the last one counts.
			r.Epochs = append(r.Epochs, ef)
			return nil
		case "control":
			if e.Setting == "lr" || e.Setting == "loss" || e.Setting == "cutmix" || e.Setting == "mixup" {
				text = fmt.Sprintf("%s set %s to %s", who(e.Who), e.Setting, e.Value)
			} else if text == "" {
				text = fmt.Sprintf("%s: %s %s", who(e.Who), e.Setting, e.Value)
			}
		case "state":
			text = e.State
			if e.Msg != "" {
				text += ": " + e.Msg
			}
		case "alert":
			text = e.Alert + ": " + e.Msg
		case "checkpoint", "prediction", "error", "notice":
		default:
			return nil
		}
		r.Events = append(r.Events, eventLine{T: e.T, Step: e.Step, Kind: e.Kind, Text: text})
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	r.Epochs = lastPerEpoch(r.Epochs)
	h, err := runs.ReadHistory(runDir, 2000)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if h != nil {
		if s, ok := h.Series["loss"]; ok {
			r.Steps, r.Loss = s.Step, s.Last
		}
	}
	return r, nil
}

func who(s string) string {
	if s == "" {
		return "local"
	}
	return s
}

func lastPerEpoch(es []epochFigures) []epochFigures {
	by := map[int]epochFigures{}
	for _, e := range es {
		by[e.Epoch] = e
	}
	out := make([]epochFigures, 0, len(by))
	for _, e := range by {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Epoch < out[j].Epoch })
	return out
}

// best is the epoch with the best macro F1 (the first of equals), or nil.
func (r *report) best() *epochFigures {
	var b *epochFigures
	for i := range r.Epochs {
		if b == nil || r.Epochs[i].MacroF1 > b.MacroF1 {
			b = &r.Epochs[i]
		}
	}
	return b
}

// name is the run's id and, when it has one, its name.
func (r *report) name() string {
	if r.Info.Name != "" && r.Info.Name != r.Info.ID {
		return r.Info.Name + " (" + r.Info.ID + ")"
	}
	return r.Info.ID
}

// hasOwn says the run's epochs give the training weights' own F1 (--ema).
func (r *report) hasOwn() bool {
	for _, e := range r.Epochs {
		if e.Own != nil {
			return true
		}
	}
	return false
}

// needEpochs refuses a run with nothing to draw.
func (r *report) needEpochs() error {
	if len(r.Epochs) == 0 {
		return fmt.Errorf("run %s has no finished epoch to draw yet", filepath.Base(r.Info.Dir))
	}
	return nil
}
