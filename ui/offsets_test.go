package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
)

// offsetsRun trains a tiny run of two epochs and returns a dashboard of
// it (its log replayed, as watch shows a run), ctrl nil for a viewer's.
func offsetsRun(t *testing.T, ctrl Controller) (Model, string) {
	t.Helper()
	data, rd := t.TempDir(), t.TempDir()
	if err := dataset.Synthesize(context.Background(), dataset.SynthConfig{Out: data, Profiles: 40, W: 24, H: 32, Eval: -1, Seed: 6}); err != nil {
		t.Fatal(err)
	}
	cfg := training.Config{Data: data, Runs: rd, Model: "cnn-s", Batch: 8, W: 16, H: 16, Epochs: 2, Name: "o", StepEvery: time.Hour}
	if err := training.NewManager(cfg, training.NewHub()).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(rd)
	if err != nil || len(ents) != 1 {
		t.Fatalf("runs folder: %v %v", ents, err)
	}
	dir := filepath.Join(rd, ents[0].Name())
	evs, err := training.ReplayLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := New(Options{Snapshot: evs, Ctrl: ctrl, Renderer: asciiRenderer(), RunsDir: rd})
	m, _ = m.Resize(130, 45)
	return m, dir
}

// TestClassOffsetsInTheConfusionView: C fits the class offsets of the
// best checkpoint in a command, then shows that epoch's matrix with them
// (its title's macro F1 is the matrix's), says in the flash line what the
// held-out halves say and whether they were kept (the file exists exactly
// when it says so); C again shows the plain matrix, and e (the cells'
// images, of the plain predictions) turns them off too. A viewer's
// dashboard fits but never writes.
func TestClassOffsetsInTheConfusionView(t *testing.T) {
	m, dir := offsetsRun(t, &fakeCtrl{})
	m, cmds := press(m, "C")
	if m.view != viewConfusion || !strings.Contains(m.View(), "fitting on the best checkpoint's validation predictions") || len(cmds) != 1 || cmds[0] == nil {
		t.Fatalf("C did not start a fit:\n%s", m.View())
	}
	m = run(t, m, cmds[0])
	f := m.offsets.fit
	if f == nil || !m.offsets.shown {
		t.Fatalf("no fit shown:\n%s", m.View())
	}
	v := m.View()
	checkScreen(t, v, 130, 45)
	want := fmt.Sprintf("macro F1 %.4f → %.4f where fitted", f.before.MacroF1(), f.after.MacroF1())
	if !strings.Contains(v, "with class offsets (C: without)") || !strings.Contains(v, want) || !strings.Contains(v, "on held-out halves") {
		t.Errorf("the view lacks %q:\n%s", want, v)
	}
	_, err := os.Stat(filepath.Join(dir, runs.OffsetsFile))
	kept := strings.Contains(v, "kept for predict --offsets")
	if kept != (err == nil) || kept != f.cal.Worth() {
		t.Errorf("the flash says kept=%v, the file: %v, worth %v:\n%s", kept, err, f.cal.Worth(), v)
	}
	if off, _ := press(m, "C"); off.offsets.shown || strings.Contains(off.View(), "with class offsets") {
		t.Errorf("C again still shows the offsets:\n%s", off.View())
	}
	if picked, _ := press(m, "e"); picked.offsets.shown {
		t.Error("e (a cell's images) left the offsets on")
	}

	viewer, dir := offsetsRun(t, nil)
	viewer, cmds = press(viewer, "C")
	viewer = run(t, viewer, cmds[0])
	if _, err := os.Stat(filepath.Join(dir, runs.OffsetsFile)); err == nil || viewer.offsets.fit == nil {
		t.Errorf("a viewer's dashboard wrote the offsets (or fitted none):\n%s", viewer.View())
	}
}
