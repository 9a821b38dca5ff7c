package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/training"
)

// TestEnsemblePickedRuns: E with two picked runs votes with their best
// checkpoints on their data's eval set, writes the predictions under
// <runs>/ensembles/ and says the vote's macro F1 beside each run's; with
// fewer than two picked it says what to do.
// twoRuns trains two tiny runs, a and b, on a synthetic set with 14
// labelled eval images, and returns their runs folder.
func twoRuns(t *testing.T) string {
	data, rd := t.TempDir(), t.TempDir()
	if err := dataset.Synthesize(context.Background(), dataset.SynthConfig{Out: data, Profiles: 12, W: 24, H: 32, Eval: 14, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		cfg := training.Config{Data: data, Runs: rd, Model: "cnn-s", Batch: 8, W: 16, H: 16, Epochs: 1, Name: name, Seed: uint64(len(name) + int(name[0])), StepEvery: time.Hour}
		if err := training.NewManager(cfg, training.NewHub()).Run(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return rd
}

func TestEnsemblePickedRuns(t *testing.T) {
	rd := twoRuns(t)
	m := runsViewModel(t, rd, 120, 40)
	m = feed(t, m, "E")
	if v := m.View(); !strings.Contains(v, "pick two runs or more") {
		t.Errorf("E with nothing picked:\n%s", v)
	}
	m, _ = press(m, "enter", "down", "enter")
	m, cmds := press(m, "E")
	if v := m.View(); !strings.Contains(v, "voting with 2 runs") {
		t.Errorf("E does not say it is voting:\n%s", v)
	}
	m2, _ := press(m, "E")
	if v := m2.View(); !strings.Contains(v, "a vote is running") {
		t.Errorf("a second E while voting:\n%s", v)
	}
	// esc stops a vote; nothing is written, and E works again after.
	m3, _ := press(m, "esc")
	if v := m3.View(); !strings.Contains(v, "stopping the vote") {
		t.Errorf("esc during a vote:\n%s", v)
	}
	if m4, _ := press(m3, "E"); !strings.Contains(m4.View(), "a vote is running") {
		t.Errorf("E while the stopped vote winds down:\n%s", m4.View())
	}
	m3 = voted(t, m3, cmds[0])
	checkStopped(t, m3, rd, "a vote stopped with esc")
	m, cmds = press(m3, "E")
	v := voted(t, m, cmds[0]).View()
	if !strings.Contains(v, "ensemble of 2 runs: 14 predictions") || !strings.Contains(v, "macro F1") {
		t.Fatalf("after the vote:\n%s", v)
	}
	files, _ := filepath.Glob(filepath.Join(rd, EnsemblesDir, "*-2runs.csv"))
	if len(files) != 1 {
		t.Fatalf("ensemble files: %v", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil || !strings.HasPrefix(string(b), "ImageID,ans\n") || strings.Count(string(b), "\n") != 15 {
		t.Errorf("%s: %v\n%s", files[0], err, b)
	}
}

// msgsOf runs a command, and the commands of a batch it returns, and
// returns their messages.
func msgsOf(c tea.Cmd) []tea.Msg {
	if c == nil {
		return nil
	}
	msg := c()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, sub := range b {
			out = append(out, msgsOf(sub)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// TestEnsembleStopsWithTheSession: a vote started from a session (an
// operator over SSH) stops when the session ends (Options.Context), and
// writes nothing.
func TestEnsembleStopsWithTheSession(t *testing.T) {
	rd := twoRuns(t)
	ctx, end := context.WithCancel(context.Background())
	m := runsViewOf(t, New(Options{Snapshot: script(), Ctrl: &fakeCtrl{}, Renderer: asciiRenderer(), RunsDir: rd, Context: ctx}), 120, 40)
	m, _ = press(m, "enter", "down", "enter")
	m, cmds := press(m, "E")
	end()
	checkStopped(t, voted(t, m, cmds[0]), rd, "a vote whose session ended")
}

// voted runs a vote's command (waited for: settle gives a command 50 ms,
// and under -race a vote takes longer) and hands its messages to m.
func voted(t *testing.T, m Model, vote tea.Cmd) Model {
	t.Helper()
	done := make(chan []tea.Msg, 1)
	go func() { done <- msgsOf(vote) }()
	select {
	case msgs := <-done:
		for _, msg := range msgs {
			nm, _ := m.Update(msg)
			m = nm.(Model)
		}
	case <-time.After(5 * time.Minute):
		t.Fatal("the vote took over five minutes")
	}
	return m
}

// checkStopped: the view says the vote stopped, and nothing is in the
// runs folder's ensembles/.
func checkStopped(t *testing.T, m Model, rd, what string) {
	t.Helper()
	if v := m.View(); !strings.Contains(v, "ensemble: stopped; nothing was written") {
		t.Errorf("after %s:\n%s", what, v)
	}
	if files, _ := filepath.Glob(filepath.Join(rd, EnsemblesDir, "*")); len(files) != 0 {
		t.Errorf("%s wrote %v", what, files)
	}
}
