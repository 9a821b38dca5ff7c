package sweep

import (
	"math"
	"strings"
	"testing"
)

func TestGridExpandsInOrder(t *testing.T) {
	g, err := ParseGrid("lr=0.001,0.0003; loss=ce,focal")
	if err != nil {
		t.Fatal(err)
	}
	trials, err := Space{Grid: g, Folds: 3}.Expand()
	if err != nil {
		t.Fatal(err)
	}
	if len(trials) != 12 {
		t.Fatalf("%d trials, want 2×2×3", len(trials))
	}
	if got := strings.Join(trials[0].Args(), " "); got != "--lr=0.001 --loss=ce --fold=1 --folds=3" {
		t.Errorf("first trial's flags: %s", got)
	}
	if got := trials[4].Label(); got != "lr=0.001 loss=focal fold=2/3" {
		t.Errorf("trial 4: %s", got)
	}
	if trials[11].RunID != "t011" {
		t.Errorf("last run id %s", trials[11].RunID)
	}
	folds := map[int]int{}
	for _, tr := range trials {
		folds[tr.Fold]++
	}
	if folds[1] != 4 || folds[2] != 4 || folds[3] != 4 {
		t.Errorf("folds %v", folds)
	}
}

func TestRandomDrawsStayInTheirRanges(t *testing.T) {
	r, err := ParseRandom("lr=log:1e-4..1e-2; dropout=0..0.5; batch=16,32; depth=1..3")
	if err != nil {
		t.Fatal(err)
	}
	trials, err := Space{Random: r, Draws: 200, Seeds: 2, Seed: 7}.Expand()
	if err != nil {
		t.Fatal(err)
	}
	if len(trials) != 400 {
		t.Fatalf("%d trials, want 200 draws × 2 seeds", len(trials))
	}
	lowLR, depths := 0, map[string]int{}
	for _, tr := range trials {
		v := map[string]string{}
		for _, kv := range tr.Params {
			v[kv.Name] = kv.Value
		}
		var lr, dr float64
		if _, err := fmtSscan(v["lr"], &lr); err != nil || lr < 1e-4 || lr > 1e-2 {
			t.Fatalf("lr %q outside log:1e-4..1e-2", v["lr"])
		}
		if lr < 1e-3 {
			lowLR++
		}
		if _, err := fmtSscan(v["dropout"], &dr); err != nil || dr < 0 || dr > 0.5 {
			t.Fatalf("dropout %q outside 0..0.5", v["dropout"])
		}
		if v["batch"] != "16" && v["batch"] != "32" {
			t.Fatalf("batch %q", v["batch"])
		}
		depths[v["depth"]]++
	}
	// Log-uniform: half the draws below the geometric middle (1e-3).
	if lowLR < 150 || lowLR > 250 {
		t.Errorf("%d of 400 lr draws below 1e-3, want about half", lowLR)
	}
	if len(depths) != 3 || depths["1"] == 0 || depths["3"] == 0 {
		t.Errorf("whole-number range 1..3 drew %v", depths)
	}
}

func TestBadSpacesAreOneSentence(t *testing.T) {
	for _, c := range []struct{ grid, random, want string }{
		{"lr", "", `"lr" is not name=values`},
		{"lr=", "", "lr has no values"},
		{"", "lr=log:0..1", "must be above 0"},
		{"", "lr=2..1", "is empty"},
		{"", "lr=log:1,2", "wants a range"},
		{"lr=1,2", "lr=1..2", "in both --grid and --random"},
	} {
		g, err := ParseGrid(c.grid)
		if err == nil {
			var r []Dist
			r, err = ParseRandom(c.random)
			if err == nil {
				_, err = Space{Grid: g, Random: r}.Expand()
			}
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("grid %q random %q: %v, want %q", c.grid, c.random, err, c.want)
		}
	}
}

func TestASHAKeepsTheTopOfEachRung(t *testing.T) {
	others := [][]float64{{0.5, 0.6, 0.7}, {0.4, 0.5}, {0.3}}
	// Rung epochs with minE 1, η 2: 1, 2, 4.
	if stop, _ := ASHA(3, 0.0, others, 1, 2); stop {
		t.Error("epoch 3 is no rung, but the trial was stopped")
	}
	if stop, _ := ASHA(1, 0.55, others, 1, 2); stop {
		t.Error("best of 4 at rung 1 stopped")
	}
	if stop, _ := ASHA(1, 0.35, others, 1, 2); !stop {
		t.Error("3rd of 4 at rung 1 (top 2 go on) went on")
	}
	stop, why := ASHA(2, 0.45, others, 1, 2) // 3 at rung 2: top 1 goes on
	if !stop || !strings.Contains(why, "ranks 3 of 3") {
		t.Errorf("rung 2: %v %q", stop, why)
	}
	if stop, _ := ASHA(1, 0.1, nil, 1, 3); stop {
		t.Error("alone at a rung (fewer than η trials) stopped")
	}
}

func TestMedianRule(t *testing.T) {
	others := [][]float64{{0.2, 0.6}, {0.5, 0.5}, {0.1, 0.3}}
	// Bests by epoch 2: 0.6, 0.5, 0.3: median 0.5.
	if stop, _ := Median(2, 0.55, others, 1); stop {
		t.Error("above the median, stopped")
	}
	if stop, why := Median(2, 0.4, others, 1); !stop || !strings.Contains(why, "median 0.5000 of 3") {
		t.Errorf("below the median: %v %q", stop, why)
	}
	if stop, _ := Median(1, 0.0, others, 2); stop {
		t.Error("stopped within the grace epochs")
	}
	if stop, _ := Median(3, 0.0, others, 1); stop {
		t.Error("no other trial reached epoch 3, yet stopped")
	}
	if !math.IsInf(bestUpTo(nil, 1), -1) {
		t.Error("best of nothing")
	}
}

func TestArrayListsReadBack(t *testing.T) {
	v := []int{0, 1, 2, 3, 5, 7, 8}
	if s := intsArg(v); s != "0-3,5,7-8" {
		t.Errorf("intsArg = %q", s)
	}
	if got := ParseInts(intsArg(v)); len(got) != len(v) || got[6] != 8 {
		t.Errorf("read back %v", got)
	}
}
