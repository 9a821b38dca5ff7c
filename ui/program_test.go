package ui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/maskdash/maskdash/training"
)

// TestProgramFollowsHub runs a real program fed by a hub: events published
// while it runs reach the screen, keys reach the controller, and the
// program ends when the hub closes after q.
func TestProgramFollowsHub(t *testing.T) {
	hub := training.NewHub()
	evs := script()
	for _, e := range evs[:10] {
		hub.Publish(e)
	}
	sub, snap := hub.Subscribe(0)
	ctrl := &fakeCtrl{}
	m := New(Options{Sub: sub, Snapshot: snap, Ctrl: ctrl, Renderer: asciiRenderer(), QuitStops: true, MinFrame: 10 * time.Millisecond})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	for _, e := range evs[10:] {
		hub.Publish(e)
	}
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("checkpoint saved"))
	}, teatest.WithDuration(5*time.Second))
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("c")})
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	time.Sleep(100 * time.Millisecond)
	hub.Close() // the trainer finishing after the stop
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if k := ctrl.kinds(); len(k) != 2 || k[training.CmdCheckpoint] != 1 || k[training.CmdStop] != 1 {
		t.Errorf("commands %+v", k)
	}
	st := final.State()
	if st.Step != 80 || len(st.ValF1) != 2 || len(st.Marks) != 1 {
		t.Errorf("state: step %d, %d epochs, %d marks", st.Step, len(st.ValF1), len(st.Marks))
	}
	if v := final.View(); !strings.Contains(v, "finished") {
		t.Errorf("final view does not say finished:\n%s", v)
	}
}
