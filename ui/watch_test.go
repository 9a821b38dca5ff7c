package ui

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
)

// TestWatchAnotherRun: w in the runs view puts a run that trains
// elsewhere on screen from its log, and the operator keys write to its
// control/ folder; w on nothing else comes back home.
func TestWatchAnotherRun(t *testing.T) {
	rd := t.TempDir()
	r, err := runs.NewStore(rd).Create(runs.Info{ID: "elsewhere", Model: "vgg-s"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []training.Event{
		{Kind: training.KindRun, Settings: &training.RunHeader{ID: "elsewhere", Model: "vgg-s", Loss: "focal"}, Epochs: 9},
		{Kind: training.KindState, State: training.StateRunning},
	} {
		if err := r.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	defer r.Close(runs.StatusStopped, nil)
	m := New(Options{Snapshot: script(), Ctrl: &fakeCtrl{}, Renderer: asciiRenderer(), RunsDir: rd, Who: "alice"})
	m, _ = m.Resize(120, 40)
	nm, cmd := m.Update(watchMsg{dir: r.Dir})
	nm, _ = nm.(Model).Update(cmd()) // the log read to its end, and followed on
	m = nm.(Model)                   // its events are on screen at once (training.FollowLog)
	if m.state.Header.ID != "elsewhere" || !strings.Contains(m.View(), "from its folder") {
		t.Fatalf("watching: header %q\n%s", m.state.Header.ID, m.View())
	}
	m, cmds := press(m, " ")
	if msg := cmds[0](); msg.(sentMsg).err != nil {
		t.Fatalf("pause: %v", msg.(sentMsg).err)
	}
	reqs, bad, err := runs.TakeControl(r.Dir)
	if err != nil || len(bad) > 0 || len(reqs) != 1 || reqs[0].Kind != "toggle" || reqs[0].Who != "alice" {
		b, _ := json.Marshal(reqs)
		t.Fatalf("control files: %s %v %v", b, bad, err)
	}
	nm, _ = m.Update(watchMsg{dir: ""})
	m = nm.(Model)
	if m.away != nil || m.state.Header.ID != script()[0].Settings.ID {
		t.Errorf("w back home shows %q", m.state.Header.ID)
	}
	if _, err := os.Stat(r.Dir); err != nil {
		t.Fatal(err)
	}
}

// TestRewoundLogRedrawsTheCurves: a watched run's log read again after a
// rewind (training.KindRewound) draws each epoch once, with the redone
// epoch's figures, and says so in the log pane.
func TestRewoundLogRedrawsTheCurves(t *testing.T) {
	epoch := func(n int, f1 float64) training.Event {
		return training.Event{Kind: training.KindEpoch, Epoch: n, Step: 10 * n, Val: &training.Metrics{MacroF1: f1}}
	}
	run := training.Event{Kind: training.KindRun, Settings: &training.RunHeader{ID: "r", Model: "cnn-s"}}
	var s RunState
	for _, e := range []training.Event{run, epoch(1, 0.1), epoch(2, 0.2),
		{Kind: training.KindRewound, Msg: "the run's log was cut back"}, run, epoch(1, 0.1), epoch(2, 0.25), epoch(3, 0.3)} {
		s.Apply(e)
	}
	if len(s.EpochN) != 3 || s.EpochN[2] != 3 || s.ValF1[1] != 0.25 {
		t.Fatalf("epochs %v, F1 %v; want 1 2 3 with the redone epoch 2's 0.25", s.EpochN, s.ValF1)
	}
	found := false
	for _, l := range s.Log {
		found = found || strings.Contains(l.Text, "cut back")
	}
	if !found {
		t.Errorf("the log pane does not say the log was read again: %+v", s.Log)
	}
}

// TestWatchVoteKeepsTheEvalImages: the dashboard of a run watched from
// its folder (maskdash watch) votes in its runs view as a local one does,
// reading and keeping the prepared eval images in the store it is given.
func TestWatchVoteKeepsTheEvalImages(t *testing.T) {
	rd, prep := twoRuns(t), t.TempDir()
	dirs, err := filepath.Glob(filepath.Join(rd, "*", "run.json"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no runs in %s: %v", rd, err)
	}
	w := Watch{Dir: filepath.Dir(dirs[0]), Who: "alice", Prepared: dataset.PreparedStore{Dir: prep}}
	o := w.options(nil, script())
	o.Renderer = asciiRenderer()
	m := runsViewOf(t, New(o), 120, 40)
	m, _ = press(m, "enter", "down", "enter")
	m, cmds := press(m, "E")
	m = voted(t, m, cmds[0])
	if !strings.Contains(m.runs.answer, "predictions →") {
		t.Fatalf("the vote: %s\n%s", m.runs.answer, m.View())
	}
	if packs, _ := filepath.Glob(filepath.Join(prep, "*.pack")); len(packs) == 0 {
		t.Error("the watching dashboard's vote kept no prepared images")
	}
}
