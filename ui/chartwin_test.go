package ui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestReadingTheStepCharts: X changes the x labels, Y the y scale, the
// cursor reads every series at one step (the same on both step charts),
// z and Z zoom, the wheel zooms and a click moves the cursor.
func TestReadingTheStepCharts(t *testing.T) {
	m := newTestModel(&fakeCtrl{}, 120, 40)
	v := m.View()
	if !strings.Contains(v, "└┬") || !strings.Contains(v, "80") {
		t.Fatalf("no step axis on the loss chart:\n%s", v)
	}
	m, _ = press(m, "X")
	if v := m.View(); !strings.Contains(v, "x: epoch") || !strings.Contains(v, "ep 2.0") {
		t.Errorf("X: no epoch labels:\n%s", v)
	}
	m, _ = press(m, "X")
	if v := m.View(); !strings.Contains(v, "x: wall time") || !strings.Contains(v, "1m20s") {
		t.Errorf("X X: no wall-time labels:\n%s", v)
	}
	m, _ = press(m, "X", "Y")
	if v := m.View(); !strings.Contains(v, "log y") {
		t.Errorf("Y: no log scale:\n%s", v)
	}
	m, _ = press(m, "Y", ",")
	v = m.View()
	lines := strings.Split(v, "\n")
	if !strings.HasPrefix(lines[3], "▲ step 80 · epoch 2.00") || !strings.Contains(lines[3], "val F1 0.6667 (epoch 2)") || !strings.Contains(lines[3], "lr 0.001") {
		t.Errorf("cursor readout: %q", lines[3])
	}
	if n := strings.Count(v, "▲"); n < 3 { // the readout and a marker under each step chart
		t.Errorf("%d cursor marks, want the readout's and one under each step chart:\n%s", n, v)
	}
	golden(t, v)
	m, _ = press(m, ",", ",")
	if l := strings.Split(m.View(), "\n")[3]; !strings.HasPrefix(l, "▲ step 78") {
		t.Errorf("two steps left: %q", l)
	}
	m, _ = press(m, "z")
	if v := m.View(); !strings.Contains(v, "loss, steps") {
		t.Errorf("z did not zoom:\n%s", v)
	}
	m, _ = press(m, "Z", "Z", "Z")
	if v := m.View(); strings.Contains(v, "loss, steps") {
		t.Errorf("Z did not zoom back out:\n%s", v)
	}
	m, _ = press(m, "esc")
	if v := m.View(); strings.Contains(v, "\n▲ step") {
		t.Errorf("esc left the cursor on:\n%s", v)
	}
	// The mouse: the wheel zooms, a click puts the cursor under it.
	nm, _ := m.Update(tea.MouseMsg{X: 30, Y: 12, Button: tea.MouseButtonWheelUp, Action: tea.MouseActionPress})
	m = nm.(Model)
	if v := m.View(); !strings.Contains(v, "loss, steps") {
		t.Errorf("the wheel did not zoom:\n%s", v)
	}
	nm, _ = m.Update(tea.MouseMsg{X: 30, Y: 12, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	m = nm.(Model)
	if v := m.View(); !strings.Contains(v, "\n▲ step") {
		t.Errorf("a click did not set the cursor:\n%s", v)
	}
}

// BenchmarkRedraw draws the overview of a long run at 160×50: 20,000
// step samples (the hub's cap for late viewers) and 100 epochs, with the
// cursor on (the goal: a redraw ≤ 5 ms).
func BenchmarkRedraw(b *testing.B) {
	evs := script()
	step, epoch := evs[3], evs[len(evs)-3] // a step event and an epoch event
	for i := 0; i < 20000; i++ {
		e := step
		e.Step, e.Loss = 100+i, 1/float64(1+i%977)
		evs = append(evs, e)
		if i%200 == 199 {
			ep := epoch
			ep.Step, ep.Epoch = e.Step, 3+i/200
			evs = append(evs, ep)
		}
	}
	m := New(Options{Snapshot: evs, Ctrl: &fakeCtrl{}, Renderer: asciiRenderer(), RunsDir: b.TempDir()})
	m, _ = m.Resize(160, 50)
	m, _ = press(m, ",")
	b.ResetTimer()
	for b.Loop() {
		_ = m.View()
	}
}
