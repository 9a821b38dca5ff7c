package ui

import (
	"math"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/maskdash/maskdash/runs"
)

func TestEMAIsDebiasedAndKeepsGaps(t *testing.T) {
	flat := ema([]float64{2, 2, 2, 2}, 0.9)
	for i, v := range flat {
		if math.Abs(v-2) > 1e-12 {
			t.Errorf("a flat series smoothed to %v at %d", v, i)
		}
	}
	st := ema([]float64{0, 0, 1, 1, math.NaN(), 1}, 0.6)
	if !(st[2] > 0 && st[2] < 1 && st[3] > st[2]) || !math.IsNaN(st[4]) || st[5] <= st[3] {
		t.Errorf("step smoothed to %v", st)
	}
	if raw := ema([]float64{1, 5}, 0); raw[1] != 5 {
		t.Errorf("weight 0 changed the series: %v", raw)
	}
}

// TestWholeHistoryReadsEveryStep: H draws the run's history columns (every
// sample), not the hub's few events, and its title counts the steps they
// cover, not their rows; s smooths the recent curve.
func TestWholeHistoryReadsEveryStep(t *testing.T) {
	dir := t.TempDir()
	store := runs.NewStore(dir)
	run, err := store.Create(runs.Info{Model: "cnn-s", Loss: "ce"})
	if err != nil {
		t.Fatal(err)
	}
	// A row per step event, every tenth step (as StepEvery samples).
	for i := 1; i <= 5000; i++ {
		if err := run.AppendHistory(10*i, map[string]float64{"loss": 3 - float64(i)/2000, "lr": 1e-3}); err != nil {
			t.Fatal(err)
		}
	}
	if err := run.Close(runs.StatusDone, nil); err != nil {
		t.Fatal(err)
	}
	evs := script()
	evs[0].Settings.ID = run.ID()
	m := New(Options{Snapshot: evs, Ctrl: &fakeCtrl{}, Renderer: asciiRenderer(), RunsDir: dir})
	m, _ = m.Resize(120, 40)
	m, cmds := press(m, "H")
	cmd := cmds[0]
	if cmd == nil {
		t.Fatal("H did not ask for the history")
	}
	// tea.Batch(load, tick): run the load and feed back its message.
	msg, ok := cmd().(tea.BatchMsg)[0]().(historyMsg)
	if !ok {
		t.Fatal("the first command of H is not the history load")
	}
	nm, _ := m.Update(msg)
	m = nm.(Model)
	v := m.View()
	if !strings.Contains(v, "all 50,000 steps") {
		t.Errorf("whole history does not come from the columns:\n%s", v)
	}
	m, _ = press(m, "H", "s")
	if v := m.View(); !strings.Contains(v, "EMA 0.6") {
		t.Errorf("s does not smooth:\n%s", v)
	}
}
