package ui

import (
	"math"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
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

// TestStepSamplesStayBounded: a dashboard watching a long run keeps at
// most MaxStepSamples step samples; the newest half whole, the first
// kept, and every series thinned alike (each sample's loss and figures
// still beside its step).
func TestStepSamplesStayBounded(t *testing.T) {
	var s RunState
	n := 2*MaxStepSamples + MaxStepSamples/3
	for i := range n {
		s.Apply(training.Event{Kind: training.KindStep, Step: i, Loss: float64(i), LR: float64(2 * i),
			IPS: float64(3 * i), SysStats: training.SysStats{CPU: float64(4 * i)}})
	}
	if len(s.Steps) > MaxStepSamples || len(s.Steps) < MaxStepSamples/2 {
		t.Fatalf("%d samples kept", len(s.Steps))
	}
	if s.Steps[0] != 0 || s.Steps[len(s.Steps)-1] != n-1 {
		t.Errorf("the first or last sample is gone: %d … %d", s.Steps[0], s.Steps[len(s.Steps)-1])
	}
	tail := s.Steps[len(s.Steps)-MaxStepSamples/2:]
	for i, st := range tail {
		if want := n - MaxStepSamples/2 + i; st != want {
			t.Fatalf("the newest half is not whole: step %d where %d was", st, want)
		}
	}
	for _, series := range [][]float64{s.Train, s.LRs, s.Sys.IPS, s.Sys.CPU} {
		if len(series) != len(s.Steps) {
			t.Fatalf("a series has %d samples, the steps %d", len(series), len(s.Steps))
		}
	}
	for i, st := range s.Steps {
		if s.Train[i] != float64(st) || s.LRs[i] != float64(2*st) || s.Sys.IPS[i] != float64(3*st) || s.Sys.CPU[i] != float64(4*st) {
			t.Fatalf("sample %d (step %d) has another step's figures: loss %v lr %v", i, st, s.Train[i], s.LRs[i])
		}
	}
}
