package runs

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/maskdash/maskdash/internal/pyref"
)

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
	// A search's few draws, each alone with its value: two ranges, so
	// that a share can be had.
	if _, labels := valueGroups([]string{"0.003", "0.0001", "0.01", "0.0005", "0.002"}); !slices.Equal(labels, []string{"0.0001–0.0005", "0.002–0.01"}) {
		t.Errorf("five draws: %q", labels)
	}
	// A grid's three rates, two seeds each: a group a rate.
	if _, labels := valueGroups([]string{"0.01", "0.001", "0.0001", "0.01", "0.001", "0.0001"}); !slices.Equal(labels, []string{"0.0001", "0.001", "0.01"}) {
		t.Errorf("a grid of three rates × two seeds: %q", labels)
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
	var pts []Scored
	for range 23 {
		dropout := float64(rng.IntN(9)) / 20 // ties
		wd := math.Pow(10, -6+4*rng.Float64())
		batch := []string{"16", "32", "64"}[rng.IntN(3)]
		f1 := 0.3 + 0.2*dropout + 0.05*rng.NormFloat64()
		pts = append(pts, Scored{map[string]string{"dropout": strconv.FormatFloat(dropout, 'g', -1, 64), "wd": strconv.FormatFloat(wd, 'g', -1, 64), "batch": batch}, f1})
		in.Score = append(in.Score, f1)
	}
	names := []string{"dropout", "wd", "batch"}
	imp := Importances(names, pts)
	for _, name := range names {
		var values []string
		for _, p := range pts {
			values = append(values, p.Settings[name])
		}
		nums, _ := SettingNumbers(values)
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
	for i, name := range names {
		k := slices.IndexFunc(imp, func(m Importance) bool { return m.Setting == name })
		if k < 0 {
			t.Fatalf("no importance for %s: %+v", name, imp)
		}
		if got := imp[k]; math.Abs(got.Share-ref[i].Eps) > 1e-9 || math.Abs(got.Rank-ref[i].Rho) > 1e-9 {
			t.Errorf("%s: ε² %.12f ρ %.12f, SciPy %.12f %.12f", name, got.Share, got.Rank, ref[i].Eps, ref[i].Rho)
		}
	}
}

// TestShareOfGroups: ε² of scores already in groups (the runs table's
// g), SciPy's figures for two groupings of six runs (f_oneway's F, as
// in TestImportanceMatchesSciPy); an empty group does not count, and
// one score a group leaves no share.
func TestShareOfGroups(t *testing.T) {
	for _, c := range []struct {
		groups [][]float64
		want   float64
	}{
		{[][]float64{{0.61, 0.58, 0.70}, {0.64, 0.73}, {0.52}}, 0.3416666666666667},
		{[][]float64{{0.61, 0.64, 0.58}, {}, {0.70, 0.73, 0.52}}, -0.15},
	} {
		if got := Share(c.groups); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Share(%v) = %v, want %v", c.groups, got, c.want)
		}
	}
	if got := Share([][]float64{{0.5}, {0.6}}); !math.IsNaN(got) {
		t.Errorf("one score a group: %v", got)
	}
}
