package training

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/maskdash/maskdash/runs"
)

// EpochCurve reads one validation metric per epoch (one of
// EpochMetrics) from a run's log; a missing epoch is NaN. When an epoch appears
// twice (a resumed run re-did it) the later value wins.
func EpochCurve(runDir, metric string) ([]float64, error) {
	if !slices.Contains(EpochMetrics, metric) {
		return nil, fmt.Errorf("metric %q is unknown; use %s", metric, strings.Join(EpochMetrics, ", "))
	}
	return epochValues(runDir, func(e Event) float64 {
		switch metric {
		case "f1":
			return e.Val.MacroF1
		case "acc":
			return e.Val.Accuracy
		case "loss":
			return e.Val.Loss
		}
		// A task's macro F1 (mask layout runs; NaN for others).
		if t, ok := e.Val.Tasks[strings.TrimSuffix(metric, "-f1")]; ok {
			return t.MacroF1
		}
		return math.NaN()
	})
}

// EpochMetrics are EpochCurve's metrics: validation macro F1, accuracy,
// loss, and the mask, gender and age tasks' macro F1 (the competition's
// score hides which task holds a run back; age, with its rare 60+ class,
// usually does).
var EpochMetrics = []string{"f1", "acc", "loss", "mask-f1", "gender-f1", "age-f1"}

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
	err := runs.ReadLogKinds(runDir, []string{string(KindEpoch)}, func(line []byte) error {
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
