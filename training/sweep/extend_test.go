package sweep

import (
	"slices"
	"strconv"
	"testing"
)

// randomSweep is a --random search of draws draws with 2 seeds each,
// its draws seeded with seed, in a folder of its own.
func randomSweep(t *testing.T, draws int, seed uint64) *Sweep {
	t.Helper()
	const space = "lr=log:1e-4..1e-2;loss=ce,focal"
	sp := Space{Draws: draws, Seeds: 2, Seed: seed}
	var err error
	if sp.Random, err = ParseRandom(space); err != nil {
		t.Fatal(err)
	}
	trials, err := sp.Expand()
	if err != nil {
		t.Fatal(err)
	}
	sw := &Sweep{Space: []string{"--random=" + space, "--trials=" + strconv.Itoa(draws), "--seeds=2"}, Trials: trials, DrawSeed: seed}
	if err := Create(t.TempDir(), "", sw); err != nil {
		t.Fatal(err)
	}
	return sw
}

// TestExtendGoesOnWithTheSameDraws: a random search of 3 draws extended
// by 2, then by 1, has the settings, seeds and run ids of a search of 6
// draws from the same seed, and its space counts 6.
func TestExtendGoesOnWithTheSameDraws(t *testing.T) {
	sw := randomSweep(t, 3, 42)
	for _, n := range []int{2, 1} {
		if _, err := sw.Extend(n, ""); err != nil {
			t.Fatal(err)
		}
	}
	whole := randomSweep(t, 6, 42)
	if len(sw.Trials) != len(whole.Trials) {
		t.Fatalf("%d trials after extending, want %d", len(sw.Trials), len(whole.Trials))
	}
	for i, tr := range sw.Trials {
		w := whole.Trials[i]
		if !slices.Equal(tr.Params, w.Params) || tr.Seed != w.Seed || tr.RunID != w.RunID || tr.Index != i {
			t.Errorf("trial %d: %+v, want %+v", i, tr, w)
		}
	}
	if !slices.Contains(sw.Space, "--trials=6") {
		t.Errorf("the space after extending: %v", sw.Space)
	}
	// A sweep written before the seed was kept draws anew: new settings,
	// still with the sweep's seeds.
	old := randomSweep(t, 3, 42)
	old.DrawSeed = 0
	added, err := old.Extend(2, "")
	if err != nil || len(added) != 4 {
		t.Fatalf("extend of a sweep without its seed: %v %v", added, err)
	}
	if slices.Equal(old.Trials[6].Params, whole.Trials[6].Params) || old.Trials[6].Seed != 1 || old.Trials[7].Seed != 2 {
		t.Errorf("a sweep without its seed: %+v", old.Trials[6:])
	}
}
