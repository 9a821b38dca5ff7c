package training

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/maskdash/maskdash/runs"
)

// EpochCurve reads one validation metric per epoch ("f1", "acc" or
// "loss") from a run's log; a missing epoch is NaN. When an epoch appears
// twice (a resumed run re-did it) the later value wins.
func EpochCurve(runDir, metric string) ([]float64, error) {
	if metric != "f1" && metric != "acc" && metric != "loss" {
		return nil, fmt.Errorf("metric %q is unknown; use f1, acc or loss", metric)
	}
	return epochValues(runDir, func(e Event) float64 {
		return map[string]float64{"f1": e.Val.MacroF1, "acc": e.Val.Accuracy, "loss": e.Val.Loss}[metric]
	})
}

// HeldOutF1 is EpochCurve's macro F1 with NaN for the epochs whose
// validation images were trained on (--val-train): what a sweep's early
// stopping compares trials by.
func HeldOutF1(runDir string) ([]float64, error) {
	return epochValues(runDir, func(e Event) float64 {
		if e.ValSeen {
			return math.NaN()
		}
		return e.Val.MacroF1
	})
}

// SeenFrom is the first epoch of a run whose validation images it had
// trained on (--val-train), from its log; 0 when none.
func SeenFrom(runDir string) (int, error) {
	seen, err := epochValues(runDir, func(e Event) float64 {
		if e.ValSeen {
			return 1
		}
		return 0
	})
	for i, v := range seen {
		if v == 1 {
			return i + 1, err
		}
	}
	return 0, err
}

// epochValues reads value of each epoch event of a run's log; a missing
// epoch is NaN, an epoch's later event wins.
func epochValues(runDir string, value func(Event) float64) ([]float64, error) {
	var ys []float64
	err := runs.ReadLog(runDir, func(line []byte) error {
		var e Event
		if json.Unmarshal(line, &e) != nil || e.Kind != KindEpoch || e.Val == nil || e.Epoch < 1 {
			return nil
		}
		v := value(e)
		for len(ys) < e.Epoch {
			ys = append(ys, math.NaN())
		}
		ys[e.Epoch-1] = v
		return nil
	})
	return ys, err
}

// ReplayLog reads every event of a run's log (for viewers that open a run
// from disk).
func ReplayLog(runDir string) ([]Event, error) {
	var out []Event
	err := runs.ReadLog(runDir, func(line []byte) error {
		var e Event
		if err := json.Unmarshal(line, &e); err == nil {
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
