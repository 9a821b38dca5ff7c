package sweep

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"testing"
)

// tpeSweepAt is a TPE search of points settings of one setting, its
// first two trials made, in a folder of its own.
func tpeSweepAt(t *testing.T, parallel, points, folds int) *Sweep {
	t.Helper()
	sw := &Sweep{Parallel: parallel, Search: &Search{Method: MethodTPE, Space: "lr=log:1e-4..1e-2;loss=ce,focal", Points: points, Startup: 2, Folds: folds, Seed: 7}}
	if err := Create(t.TempDir(), "", sw); err != nil {
		t.Fatal(err)
	}
	sw.addPoint([]KV{{"lr", "0.001"}, {"loss", "ce"}}, "")
	sw.addPoint([]KV{{"lr", "0.0002"}, {"loss", "focal"}}, "")
	return sw
}

// statusOf gives trial i state s and best F1 f1 (NaN: none).
func statusOf(sw *Sweep, states map[int]State, f1 map[int]float64) []TrialStatus {
	st := make([]TrialStatus, len(sw.Trials))
	for i, tr := range sw.Trials {
		st[i] = TrialStatus{Trial: tr, State: StateRunning, BestF1: math.NaN()}
		if s, ok := states[i]; ok {
			st[i].State = s
		}
		if v, ok := f1[i]; ok {
			st[i].BestF1 = v
		}
	}
	return st
}

// TestProposeFillsFreeSlots: a TPE search adds a setting when a slot
// frees, drawn at random while fewer than two settings have finished and
// by TPE after, stops at its number of settings and when cancelled, and
// proposes the same again from the same state (a resumed search goes on
// as it would have). A setting with folds takes as many slots.
func TestProposeFillsFreeSlots(t *testing.T) {
	sw := tpeSweepAt(t, 2, 4, 0)
	if added, err := sw.Propose(statusOf(sw, nil, nil)); err != nil || len(added) != 0 {
		t.Fatalf("both slots busy: added %v (%v)", added, err)
	}
	added, err := sw.Propose(statusOf(sw, map[int]State{0: StateDone}, map[int]float64{0: 0.3}))
	if err != nil || !slices.Equal(added, []int{2}) || sw.Trials[2].Proposed != TrialDrawn {
		t.Fatalf("one finished: added %v (%v), proposed %q", added, err, sw.Trials[2].Proposed)
	}
	st := statusOf(sw, map[int]State{0: StateDone, 1: StateStopped}, map[int]float64{0: 0.3, 1: 0.1})
	again := *sw
	again.Trials = slices.Clone(sw.Trials)
	added, err = sw.Propose(st)
	if err != nil || !slices.Equal(added, []int{3}) || sw.Trials[3].Proposed != TrialProposedTPE {
		t.Fatalf("two finished: added %v (%v), proposed %q", added, err, sw.Trials[3].Proposed)
	}
	if _, err := again.Propose(st); err != nil || !slices.Equal(again.Trials[3].Params, sw.Trials[3].Params) {
		t.Errorf("the same state proposed %v, then %v (%v)", sw.Trials[3].Params, again.Trials[3].Params, err)
	}
	reread, err := Open(sw.Dir, sw.Dir)
	if err != nil || len(reread.Trials) != 4 || reread.Trials[3].RunID != "t003" {
		t.Fatalf("sweep.json after proposing: %v, %+v", err, reread)
	}
	all := statusOf(sw, map[int]State{0: StateDone, 1: StateDone, 2: StateDone, 3: StateDone}, nil)
	if added, _ := sw.Propose(all); len(added) != 0 {
		t.Errorf("4 of 4 settings tried, and it added %v", added)
	}
	if got := sw.Search.Progress(sw); got != "independent TPE, 4 of 4 settings (3 drawn at random, 1 proposed by TPE)" {
		t.Errorf("progress %q", got)
	}
	c := tpeSweepAt(t, 2, 4, 0)
	c.Cancelled = true
	if added, _ := c.Propose(statusOf(c, map[int]State{0: StateDone, 1: StateDone}, nil)); len(added) != 0 {
		t.Errorf("a cancelled search added %v", added)
	}
	// Two folds a setting, three slots: the trials of the first two
	// settings are t000–t003; when t000 and t001 end one slot of three
	// is busy, so one more setting (two trials) fits.
	f := tpeSweepAt(t, 3, 5, 2)
	if len(f.Trials) != 4 || f.Trials[1].Fold != 2 {
		t.Fatalf("folds: %+v", f.Trials)
	}
	added, err = f.Propose(statusOf(f, map[int]State{0: StateDone, 1: StateDone, 2: StateDone}, map[int]float64{0: 0.2, 1: 0.4}))
	if err != nil || !slices.Equal(added, []int{4, 5}) || f.Trials[5].Fold != 2 || !slices.Equal(f.Trials[4].Params, f.Trials[5].Params) {
		t.Errorf("with folds: added %v (%v): %+v", added, err, f.Trials[4:])
	}
}

// TestProposeCountsRepeats: a setting drawn or proposed again (a space of
// two values) counts as a try, so the search still ends after its number
// of settings.
func TestProposeCountsRepeats(t *testing.T) {
	sw := &Sweep{Parallel: 1, Search: &Search{Method: MethodTPE, Space: "loss=ce,focal", Points: 6, Startup: 2, Seed: 1}}
	if err := Create(t.TempDir(), "", sw); err != nil {
		t.Fatal(err)
	}
	sw.addPoint([]KV{{"loss", "ce"}}, "")
	sw.addPoint([]KV{{"loss", "ce"}}, "")
	for range 10 {
		done := map[int]State{}
		f1 := map[int]float64{}
		for i := range sw.Trials {
			done[i], f1[i] = StateDone, 0.1*float64(i%3)
		}
		if _, err := sw.Propose(statusOf(sw, done, f1)); err != nil {
			t.Fatal(err)
		}
	}
	if len(sw.Trials) != 6 || sw.Tried() != 6 {
		t.Errorf("%d trials, %d settings tried; want 6", len(sw.Trials), sw.Tried())
	}
}

// TestUpdateLosesNoChange: two processes' copies of a sweep (here two
// handles read at the same time) each add a trial through Update; the
// second reads the first's change before making its own, so sweep.json
// ends with both, where two plain Saves would keep only the last.
func TestUpdateLosesNoChange(t *testing.T) {
	sw := &Sweep{Parallel: 1}
	if err := Create(t.TempDir(), "", sw); err != nil {
		t.Fatal(err)
	}
	a, err := Open(sw.Dir, sw.Dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(sw.Dir, sw.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []*Sweep{a, b} {
		if err := h.Update(func() error {
			h.Trials = append(h.Trials, Trial{Index: len(h.Trials), RunID: fmt.Sprintf("t%03d", len(h.Trials))})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Open(sw.Dir, sw.Dir)
	if err != nil || len(got.Trials) != 2 || got.Trials[1].RunID != "t001" {
		t.Fatalf("after two updates: %v, %+v", err, got.Trials)
	}
}

// TestProposeGoesOnPastFailures: a trial that failed counts as its best
// F1 so far, or the worst there is, once no backend holds it (here after
// its first of MaxSubmits submissions), so a search with one slot whose
// trials failed proposes its next setting; a failed trial queued again
// shows as pending and holds its slot.
func TestProposeGoesOnPastFailures(t *testing.T) {
	sw := tpeSweepAt(t, 1, 4, 0)
	for i := range sw.Trials {
		sw.Trials[i].Submits = 1
	}
	added, err := sw.Propose(statusOf(sw, map[int]State{0: StateFailed, 1: StateNotQueued}, map[int]float64{0: 0.2}))
	if err != nil || !slices.Equal(added, []int{2}) || sw.Trials[2].Proposed != TrialProposedTPE {
		t.Fatalf("both failed once: added %v (%v), trials %+v", added, err, sw.Trials)
	}
	if added, err := sw.Propose(statusOf(sw, map[int]State{0: StateFailed, 1: StateNotQueued, 2: StatePending}, nil)); err != nil || len(added) != 0 {
		t.Errorf("t002 queued in the one slot: added %v (%v)", added, err)
	}
}

// TestJointSearchProposes: a joint search (every TPE search since
// Search.Joint) proposes by joint TPE through Propose, the same again
// from the same state, within the space; a search without the field (an
// older sweep.json) proposes independently, as it began.
func TestJointSearchProposes(t *testing.T) {
	var proposed [2][]KV
	for k, joint := range []bool{true, false} {
		sw := tpeSweepAt(t, 2, 4, 0)
		sw.Search.Joint = joint
		st := statusOf(sw, map[int]State{0: StateDone, 1: StateStopped}, map[int]float64{0: 0.3, 1: 0.1})
		again := *sw
		again.Trials = slices.Clone(sw.Trials)
		added, err := sw.Propose(st)
		if err != nil || !slices.Equal(added, []int{2, 3}) || sw.Trials[2].Proposed != TrialProposedTPE {
			t.Fatalf("joint %v: added %v (%v), trials %+v", joint, added, err, sw.Trials)
		}
		if _, err := again.Propose(st); err != nil || !slices.Equal(again.Trials[2].Params, sw.Trials[2].Params) {
			t.Errorf("joint %v: the same state proposed %v, then %v (%v)", joint, sw.Trials[2].Params, again.Trials[2].Params, err)
		}
		for _, kv := range sw.Trials[2].Params {
			if kv.Name == "loss" && kv.Value != "ce" && kv.Value != "focal" {
				t.Errorf("joint %v: loss %q is not on the list", joint, kv.Value)
			}
			if kv.Name == "lr" {
				if v, err := strconv.ParseFloat(kv.Value, 64); err != nil || v < 1e-4 || v > 1e-2 {
					t.Errorf("joint %v: lr %q outside 1e-4..1e-2", joint, kv.Value)
				}
			}
		}
		proposed[k] = sw.Trials[2].Params
	}
	if slices.Equal(proposed[0], proposed[1]) {
		t.Errorf("joint and independent TPE proposed the same %v from the same state and seed", proposed[0])
	}
}
