package training

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"

	"github.com/maskdash/maskdash/runs"
)

// LayerSummary is a run's parameter measures, from its log: each tensor's
// last measure and its update ratio over the run.
type LayerSummary struct {
	Measures            int
	FirstStep, LastStep int
	Tensors             []TensorRecord
	// Alert is the layers alert's message if the run raised it.
	Alert string
}

// TensorRecord is one tensor's last measure, its verdict, and the median,
// least and most of its update ratio over the measures after the run's
// first (the first step's update is Adam's lr·sign(g), or a bias leaving
// zero: it says little of the run). The ratios are NaN with one measure.
type TensorRecord struct {
	LayerStat
	Ratio               float64 // the last measure's
	Verdict             LayerHealth
	Median, Least, Most float64
}

// SummarizeLayers reads the step events' measures (a step measured twice,
// redone after a resume, counts once: its later measure).
func SummarizeLayers(evs []Event) LayerSummary {
	var s LayerSummary
	var measured [][]LayerStat
	var steps []int
	at := map[int]int{} // step → its index in measured
	for _, e := range evs {
		switch {
		case e.Kind == KindStep && len(e.Layers) > 0:
			if i, ok := at[e.Step]; ok {
				measured[i] = e.Layers
				continue
			}
			at[e.Step] = len(steps)
			steps = append(steps, e.Step)
			measured = append(measured, e.Layers)
		case e.Kind == KindAlert && e.Alert == AlertLayers:
			s.Alert = e.Msg
		case e.Kind == KindRewound:
			measured, steps, s.Alert = nil, nil, ""
			clear(at)
		}
	}
	if len(measured) == 0 {
		return s
	}
	s.Measures, s.FirstStep, s.LastStep = len(measured), slices.Min(steps), slices.Max(steps)
	last := measured[len(measured)-1]
	for i, st := range last {
		var rs []float64
		for _, m := range measured[1:] {
			if i < len(m) && m[i].Name == st.Name && m[i].Weight > 0 {
				rs = append(rs, m[i].Ratio())
			}
		}
		r := TensorRecord{LayerStat: st, Ratio: st.Ratio(), Verdict: st.Health(s.LastStep), Median: math.NaN(), Least: math.NaN(), Most: math.NaN()}
		if len(rs) > 0 {
			slices.Sort(rs)
			r.Median, r.Least, r.Most = median(rs), rs[0], rs[len(rs)-1]
		}
		s.Tensors = append(s.Tensors, r)
	}
	return s
}

// median of sorted values.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// ReadLayerSummary is SummarizeLayers of the run's log in runDir, read
// for what it needs only: the step events that carry measures (one every
// 5 s of a run's four a second), the alerts and the rewinds. The others
// are passed over unparsed: `maskdash layers` of a run with 300,000 step
// events held them all (430 MB, 3.3 s).
func ReadLayerSummary(runDir string) (LayerSummary, error) {
	kinds := runs.OfKinds(string(KindStep), string(KindAlert), string(KindRewound))
	step, measured := []byte(`{"kind":"`+string(KindStep)+`"`), []byte(`"layers":`)
	var evs []Event
	err := runs.ReadLogWhere(runDir, func(line []byte) bool {
		return kinds(line) && (!bytes.HasPrefix(line, step) || bytes.Contains(line, measured))
	}, func(line []byte) error {
		var e Event
		if json.Unmarshal(line, &e) == nil {
			evs = append(evs, e)
		}
		return nil
	})
	return SummarizeLayers(evs), err
}
