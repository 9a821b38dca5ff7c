package sweep

import (
	"math"
	"testing"
)

// TestPoints: trials group by their searched values, fold and seed set
// aside; a setting's mean is over its trials with a finished epoch, and
// the best mean comes first (not the setting of the single best trial);
// a setting with no finished trial is left out.
func TestPoints(t *testing.T) {
	trial := func(lr string, fold int, f1 float64) TrialStatus {
		return TrialStatus{Trial: Trial{Params: []KV{{"lr", lr}}, Fold: fold, Folds: 3, RunID: lr + "/" + string(rune('0'+fold))}, BestF1: f1}
	}
	st := []TrialStatus{
		trial("0.1", 1, 0.90), trial("0.1", 2, 0.10), trial("0.1", 3, 0.20), // the best trial, a poor mean
		trial("0.01", 1, 0.50), trial("0.01", 2, 0.60), trial("0.01", 3, math.NaN()),
		trial("0.001", 1, math.NaN()),
	}
	p := Points(st)
	if len(p) != 2 || p[0].Label() != "lr=0.01" || p[0].Of != 3 || len(p[0].Trials) != 2 || math.Abs(p[0].Mean-0.55) > 1e-12 ||
		p[1].Label() != "lr=0.1" || math.Abs(p[1].Mean-0.4) > 1e-12 || p[1].Trials[0].BestF1 != 0.9 {
		t.Fatalf("points: %+v", p)
	}
	if got := p[0].Says("folds"); got != "mean macro F1 0.5500 over 2 of 3 folds (0.01/2 0.6000, 0.01/1 0.5000)" {
		t.Errorf("says %q", got)
	}
	if d := Points([]TrialStatus{{Trial: Trial{Fold: 1, Folds: 2}, BestF1: 0.3}}); len(d) != 1 || d[0].Label() != "(defaults)" {
		t.Errorf("a sweep of folds alone: %+v", d)
	}
}
