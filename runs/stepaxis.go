package runs

import "math"

// StepCurve is one run's metric against its steps: Values[i] at step
// Steps[i], the steps growing (a history Series' bucket ends and values).
type StepCurve struct {
	Steps  []int
	Values []float64
}

// OnOneStepAxis lays curves of runs of different lengths on one step axis
// of cols columns, from step 0 to the last step of any of them: each
// column the mean of a curve's values whose step falls in it, carried
// across columns with none (its points sparser than the columns), NaN
// before a curve's first step and past its last (a shorter run ends where
// it ended). last is that last step.
func OnOneStepAxis(curves []StepCurve, cols int) (series [][]float64, last int) {
	for _, c := range curves {
		if len(c.Steps) > 0 {
			last = max(last, c.Steps[len(c.Steps)-1])
		}
	}
	cols = max(cols, 2)
	for _, c := range curves {
		s := make([]float64, cols)
		j := 0
		prev := math.NaN()
		for x := range s {
			end := float64(last) * float64(x+1) / float64(cols)
			var sum float64
			n := 0
			for ; j < len(c.Steps) && float64(c.Steps[j]) <= end; j++ {
				if !math.IsNaN(c.Values[j]) {
					sum += c.Values[j]
					n++
				}
			}
			switch {
			case n > 0:
				prev = sum / float64(n)
				s[x] = prev
			case len(c.Steps) > 0 && float64(c.Steps[len(c.Steps)-1]) > end:
				s[x] = prev // a column between two of the curve's points
			default:
				s[x] = math.NaN() // before its first or past its last step
			}
		}
		series = append(series, s)
	}
	return series, last
}

// ChartBuckets is how finely a run's step history is read for a chart of
// its curve (the runs view's overlay, compare): more than any terminal is
// wide.
const ChartBuckets = 1000

// TrainingLossCurve is a run's training loss from its history columns,
// read at buckets buckets (each bucket's last sample).
func TrainingLossCurve(runDir string, buckets int) (StepCurve, error) {
	h, err := ReadHistory(runDir, buckets)
	if err != nil {
		return StepCurve{}, err
	}
	s := h.Series["loss"]
	if s == nil {
		return StepCurve{}, nil
	}
	return StepCurve{Steps: s.Step, Values: s.Last}, nil
}
