package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
)

// TestProjectorPane: the confusion view's P computes, in a command, the
// run's best checkpoint's embeddings of its validation images (what
// maskdash embed prints) and draws them, marked by class; P again marks
// them by each task's labels, then closes the pane; esc closes it too.
func TestProjectorPane(t *testing.T) {
	rd := twoRunsSeeded(t, true)
	dir, err := runs.NewStore(rd).Resolve("a")
	if err != nil {
		t.Fatal(err)
	}
	evs, err := training.ReplayLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := New(Options{Snapshot: evs, Ctrl: &fakeCtrl{}, Renderer: asciiRenderer(), RunsDir: rd})
	m, _ = m.Resize(120, 40)
	m, cmds := press(m, "2", "P")
	if v := m.View(); !strings.Contains(v, "projector: the best checkpoint over every validation image") {
		t.Fatalf("P does not say it is computing:\n%s", v)
	}
	m = run(t, m, cmds[len(cmds)-1])
	pr, err := training.OpenRunPredictor(runs.NewStore(rd), "a", "best")
	if err != nil {
		t.Fatal(err)
	}
	want, err := training.EmbedRun(context.Background(), pr)
	if err != nil {
		t.Fatal(err)
	}
	v := m.View()
	checkScreen(t, v, 120, 40)
	for _, s := range []string{
		fmt.Sprintf("projector · best checkpoint, epoch %d · marked by class (P: next)", want.Epoch),
		fmt.Sprintf("silhouette by class %.3f · mask %.3f", want.Sets[0].Silhouette, want.Sets[1].Silhouette),
		"0 wear·M·<30",
	} {
		if !strings.Contains(v, s) {
			t.Errorf("the projector lacks %q:\n%s", s, v)
		}
	}
	for _, by := range []string{"mask", "gender", "age"} {
		m, _ = press(m, "P")
		if v := m.View(); !strings.Contains(v, "marked by "+by) {
			t.Errorf("P: not marked by %s:\n%s", by, v)
		}
	}
	m, _ = press(m, "P")
	if v := m.View(); strings.Contains(v, "projector") || !strings.Contains(v, "F1") {
		t.Errorf("P after the last labels does not close the pane:\n%s", v)
	}
	// From another view P opens it in the confusion view.
	m, cmds = press(m, "1", "P")
	if m.view != viewConfusion || !m.projector.on {
		t.Fatalf("P from the overview: view %d, projector %v", m.view, m.projector.on)
	}
	m = run(t, m, cmds[len(cmds)-1])
	m, _ = press(m, "esc")
	if v := m.View(); strings.Contains(v, "projector") {
		t.Errorf("esc does not close the pane:\n%s", v)
	}
}
