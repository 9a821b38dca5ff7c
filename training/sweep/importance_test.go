package sweep

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// scored is a finished trial with these settings and score.
func scored(i int, f1 float64, kv ...KV) TrialStatus {
	return TrialStatus{Trial: Trial{Index: i, RunID: fmt.Sprintf("t%03d", i), Params: kv}, State: StateDone, BestF1: f1}
}

// TestImportanceFindsWhatMatters: in trials whose score is the learning
// rate's (the best near 1e-3) plus noise, the rate comes first with most
// of the spread, the best range holds 1e-3 and a loss that does nothing
// and a seed get little; a pending trial (no score) counts for nothing.
func TestImportanceFindsWhatMatters(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var st []TrialStatus
	for i := range 30 {
		lr := math.Pow(10, -5+3*rng.Float64())
		loss := []string{"ce", "focal", "smooth"}[i%3]
		f1 := 0.6 - 0.1*math.Abs(math.Log10(lr)+3) + 0.01*rng.NormFloat64()
		t := scored(i, f1, KV{"lr", strconv.FormatFloat(lr, 'g', 4, 64)}, KV{"loss", loss})
		t.Seed = uint64(1 + i%2)
		st = append(st, t)
	}
	st = append(st, TrialStatus{Trial: Trial{Index: 30, Params: []KV{{"lr", "1"}, {"loss", "f1"}}}, State: StatePending, BestF1: math.NaN()})
	imp := Importances(st)
	if len(imp) != 3 || imp[0].Setting != "lr" {
		t.Fatalf("importances: %+v", imp)
	}
	lr := imp[0]
	if lr.Share < 0.5 || lr.Groups != runs.MaxValueGroups || lr.Runs != 30 {
		t.Errorf("lr: %+v", lr)
	}
	var lo, hi float64
	if _, err := fmt.Sscanf(lr.Best, "%g–%g", &lo, &hi); err != nil || lo > 1e-3 || hi < 1e-3 {
		t.Errorf("lr's best range %q (%v) does not hold 1e-3", lr.Best, err)
	}
	for _, o := range imp[1:] {
		if o.Share > 0.1 || !slices.Contains([]string{"loss", "seed"}, o.Setting) {
			t.Errorf("%s accounts for %.3f of a score it has no part in", o.Setting, o.Share)
		}
		if (o.Setting == "loss" && o.Groups != 3) || !math.IsNaN(o.Rank) {
			t.Errorf("loss: %+v", o)
		}
	}
	// Of a rate searched over the lower half only, higher is better.
	var half []TrialStatus
	for _, t := range st[:30] {
		if v, _ := strconv.ParseFloat(t.Params[0].Value, 64); v < 1e-3 {
			half = append(half, t)
		}
	}
	if imp := Importances(half); imp[0].Setting != "lr" || imp[0].Rank < 0.8 {
		t.Errorf("below 1e-3 the rate's rank correlation is %+v", imp[0])
	}
}
