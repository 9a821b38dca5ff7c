package sweep

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/maskdash/maskdash/internal/pyref"
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
	if lr.Share < 0.5 || lr.Groups != MaxValueGroups || lr.Trials != 30 {
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

// TestValueGroupsKeepEqualValuesTogether: a number setting with many
// values is cut into groups of about equal size by rank, never between
// two equal values, each labelled by its range.
func TestValueGroupsKeepEqualValuesTogether(t *testing.T) {
	values := []string{"5", "1", "2", "2", "2", "3", "4", "6", "7", "8", "9", "10"}
	groups, labels := valueGroups(values)
	if want := []string{"1–2", "3–4", "5–7", "8–10"}; !slices.Equal(labels, want) {
		t.Errorf("labels %q, want %q", labels, want)
	}
	for i, v := range values {
		n, _ := strconv.Atoi(v)
		var lo, hi int
		if _, err := fmt.Sscanf(labels[groups[i]], "%d–%d", &lo, &hi); err != nil || n < lo || n > hi {
			t.Errorf("%s in group %q", v, labels[groups[i]])
		}
	}
	groups, labels = valueGroups([]string{"0.001", "0.0001", "0.001", "0.01"})
	if !slices.Equal(labels, []string{"0.0001", "0.001", "0.01"}) || !slices.Equal(groups, []int{1, 0, 1, 2}) {
		t.Errorf("a grid's values: %v %q", groups, labels)
	}
}

// TestImportanceMatchesSciPy: ε² from SciPy's one-way ANOVA F (ε² =
// (k−1)(F−1)/((k−1)F + N−k)) and Spearman's ρ from scipy.stats, on
// random trials: the same grouping, the same figures.
func TestImportanceMatchesSciPy(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	type setting struct {
		Values []float64 `json:"values"`
		Groups []int     `json:"groups"`
	}
	var in struct {
		Score    []float64 `json:"score"`
		Settings []setting `json:"settings"`
	}
	var st []TrialStatus
	for i := range 23 {
		dropout := float64(rng.IntN(9)) / 20 // ties
		wd := math.Pow(10, -6+4*rng.Float64())
		batch := []string{"16", "32", "64"}[rng.IntN(3)]
		f1 := 0.3 + 0.2*dropout + 0.05*rng.NormFloat64()
		st = append(st, scored(i, f1, KV{"dropout", strconv.FormatFloat(dropout, 'g', -1, 64)}, KV{"wd", strconv.FormatFloat(wd, 'g', -1, 64)}, KV{"batch", batch}))
		in.Score = append(in.Score, f1)
	}
	imp := Importances(st)
	for _, name := range []string{"dropout", "wd", "batch"} {
		var values []string
		for _, t := range st {
			for _, kv := range t.Params {
				if kv.Name == name {
					values = append(values, kv.Value)
				}
			}
		}
		nums, _ := numbers(values)
		groups, _ := valueGroups(values)
		in.Settings = append(in.Settings, setting{nums, groups})
	}
	var ref []struct {
		Eps float64 `json:"eps"`
		Rho float64 `json:"rho"`
	}
	pyref.Run(t, "scipy.stats", "python3-scipy", `
import json, sys
from scipy import stats
d = json.load(sys.stdin)
out = []
for s in d["settings"]:
    k = max(s["groups"]) + 1
    by = [[y for y, g in zip(d["score"], s["groups"]) if g == i] for i in range(k)]
    f = stats.f_oneway(*by).statistic
    n = len(d["score"])
    out.append({"eps": (k - 1) * (f - 1) / ((k - 1) * f + n - k),
                "rho": stats.spearmanr(s["values"], d["score"]).correlation})
print(json.dumps(out))
`, in, &ref)
	for i, name := range []string{"dropout", "wd", "batch"} {
		k := slices.IndexFunc(imp, func(m Importance) bool { return m.Setting == name })
		if k < 0 {
			t.Fatalf("no importance for %s: %+v", name, imp)
		}
		if got := imp[k]; math.Abs(got.Share-ref[i].Eps) > 1e-9 || math.Abs(got.Rank-ref[i].Rho) > 1e-9 {
			t.Errorf("%s: ε² %.12f ρ %.12f, SciPy %.12f %.12f", name, got.Share, got.Rank, ref[i].Eps, ref[i].Rho)
		}
	}
}
