package ui

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/training/sweep"
)

// makeSweep writes a sweep of n trials (a grid of lr × loss) with their
// runs: each trains `epochs` epochs whose F1 rises with a trial-dependent
// ceiling; every fourth is stopped, every seventh still running.
func makeSweep(tb testing.TB, n, epochs int) string {
	tb.Helper()
	rd := tb.TempDir()
	losses := []string{"ce", "focal"}
	sw := &sweep.Sweep{Created: t0, Backend: "local", Parallel: 4, Binary: "/bin/true"}
	for i := range n {
		sw.Trials = append(sw.Trials, sweep.Trial{Index: i, RunID: fmt.Sprintf("t%03d", i),
			Params: []sweep.KV{{Name: "lr", Value: fmt.Sprintf("%.2g", 1e-4*math.Pow(2, float64(i%12)))}, {Name: "loss", Value: losses[i%2]}}})
	}
	if err := sweep.Create(rd, "golden", sw); err != nil {
		tb.Fatal(err)
	}
	for i, tr := range sw.Trials {
		r, err := runs.NewStore(sw.Dir).Create(runs.Info{ID: tr.RunID, Start: t0, Model: "cnn-s", Loss: losses[i%2], Epochs: epochs})
		if err != nil {
			tb.Fatal(err)
		}
		ceil := 0.3 + 0.5*float64((i*37)%n)/float64(n)
		best := 0.0
		for ep := 1; ep <= epochs; ep++ {
			f1 := ceil * (1 - math.Exp(-float64(ep)/3))
			m := training.Metrics{MacroF1: f1, Accuracy: f1 + 0.1, Loss: 1 - f1}
			if err := r.Append(training.Event{Kind: training.KindEpoch, Time: t0.Add(time.Duration(i*epochs+ep) * time.Second), Epoch: ep, Step: 10 * ep, Val: &m}); err != nil {
				tb.Fatal(err)
			}
			if f1 > best {
				best = f1
				r.Info.Best = runs.Best{MacroF1: f1, Epoch: ep}
			}
			r.Info.EpochsDone = ep
		}
		status := runs.StatusDone
		switch {
		case i%7 == 3:
			r.Abandon() // its writer died: crashed
			continue
		case i%4 == 1:
			status = runs.StatusStopped
		}
		if err := r.Close(status, nil); err != nil {
			tb.Fatal(err)
		}
	}
	return sw.Dir
}

func sweepViewAt(tb testing.TB, dir string, w, h int) SweepView {
	v := NewSweepView(dir, asciiRenderer()).Resize(w, h)
	sw, st, err := LoadSweep(dir, false)
	nv, _ := v.Update(sweepLoadedMsg{sw, st, err})
	return nv.(SweepView)
}

func TestSweepViewGolden(t *testing.T) {
	dir := makeSweep(t, 12, 6)
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			v := sweepViewAt(t, dir, size[0], size[1])
			out := v.View()
			checkScreen(t, out, size[0], size[1])
			for _, want := range []string{"sweep-20261126-183000-golden", "t011", "lr (log)", "macro F1", "· ε² lr 0."} {
				if !strings.Contains(out, want) {
					t.Errorf("the view lacks %q:\n%s", want, out)
				}
			}
			golden(t, out)
		})
	}
	// s sorts by best F1: the first row is the best trial.
	v := sweepViewAt(t, dir, 120, 40)
	nv, _ := v.Update(keyRunes("s"))
	v = nv.(SweepView)
	best := sweep.Best(v.st)[0].RunID
	lines := strings.Split(v.View(), "\n")
	if !strings.Contains(lines[3], "> "+best) {
		t.Errorf("sorted by F1, the first row is %q, want %s", lines[3], best)
	}
	if _, err := os.Stat(filepath.Join(dir, "sweep.json")); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkSweepView100 opens a 100-trial sweep of 20 epochs each: read
// every trial's folder and draw the view (the goal: ≤ 0.5 s).
func BenchmarkSweepView100(b *testing.B) {
	dir := makeSweep(b, 100, 20)
	b.ResetTimer()
	for b.Loop() {
		v := NewSweepView(dir, asciiRenderer()).Resize(160, 50)
		sw, st, err := LoadSweep(dir, true)
		if err != nil {
			b.Fatal(err)
		}
		nv, _ := v.Update(sweepLoadedMsg{sw, st, nil})
		_ = nv.View()
	}
}

// TestSweepViewSaysTheSearch: a TPE search's view says how many of its
// settings it has tried.
func TestSweepViewSaysTheSearch(t *testing.T) {
	dir := makeSweep(t, 6, 3)
	sw, err := sweep.Open(dir, dir)
	if err != nil {
		t.Fatal(err)
	}
	sw.Search = &sweep.Search{Method: sweep.MethodTPE, Space: "lr=log:1e-4..1e-1;loss=ce,focal", Points: 20, Startup: 4}
	if err := sw.Save(); err != nil {
		t.Fatal(err)
	}
	if out := sweepViewAt(t, dir, 120, 40).View(); !strings.Contains(out, "local, 4 at a time · TPE, 6 of 20 settings · ") {
		t.Errorf("the view does not say the search's progress:\n%s", out)
	}
}

func keyRunes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

// TestSweepViewTrialNotStarted: enter on a trial whose folder does not
// exist yet says so (the folder is looked for in a command, not in
// Update) and starts no watch.
func TestSweepViewTrialNotStarted(t *testing.T) {
	dir := makeSweep(t, 4, 2)
	v := sweepViewAt(t, dir, 120, 40)
	if err := os.RemoveAll(v.sw.RunDir(v.rows()[0].Index)); err != nil {
		t.Fatal(err)
	}
	nv, cmd := v.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if cmd == nil {
		t.Fatal("enter gave no command")
	}
	msg := cmd()
	if _, ok := msg.(trialWatchMsg); !ok {
		t.Fatalf("enter's command gave %T", msg)
	}
	nv, cmd = nv.Update(msg)
	if cmd != nil || !strings.Contains(nv.View(), "has not started yet") {
		t.Errorf("a trial without a folder: command %v, view:\n%s", cmd != nil, nv.View())
	}
}

// TestSweepViewSlices: ←/→ turn the right-hand chart from the parallel
// coordinates to each setting's slice, titled with what the setting
// accounts for, and back.
func TestSweepViewSlices(t *testing.T) {
	v := sweepViewAt(t, makeSweep(t, 12, 6), 120, 40)
	press := func(k tea.KeyType) string {
		nv, _ := v.Update(tea.KeyMsg{Type: k})
		v = nv.(SweepView)
		out := v.View()
		checkScreen(t, out, 120, 40)
		return out
	}
	if out := press(tea.KeyRight); !strings.Contains(out, "lr → best macro F1 · ε² ") || !strings.Contains(out, "lr (log) → best macro F1") || strings.Contains(out, "settings → best macro F1") {
		t.Errorf("→: the rate's slice:\n%s", out)
	}
	if out := press(tea.KeyRight); !strings.Contains(out, "loss → best macro F1 · ε² ") || !regexp.MustCompile(`(?m)ce +focal\s*$`).MatchString(out) {
		t.Errorf("→ →: the loss's slice, each loss under its place:\n%s", out)
	}
	if out := press(tea.KeyRight); !strings.Contains(out, "settings → best macro F1") {
		t.Errorf("→ → →: back to the parallel coordinates:\n%s", out)
	}
	if out := press(tea.KeyLeft); !strings.Contains(out, "loss → best macro F1") {
		t.Errorf("←: the last setting's slice:\n%s", out)
	}
}

// TestSweepViewNamesTheBestSettingByItsMean: the view of a sweep of
// settings over folds names the best setting by its mean over its folds
// beside the best trial, as sweep status does.
func TestSweepViewNamesTheBestSettingByItsMean(t *testing.T) {
	dir := makeSweep(t, 6, 3)
	sw, err := sweep.Open(dir, dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range sw.Trials { // two rates, three folds each
		sw.Trials[i].Params = []sweep.KV{{Name: "lr", Value: []string{"0.1", "0.01"}[i/3]}}
		sw.Trials[i].Fold, sw.Trials[i].Folds = i%3+1, 3
	}
	if err := sw.Save(); err != nil {
		t.Fatal(err)
	}
	_, st, err := LoadSweep(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	p := sweep.Points(st)[0]
	want := fmt.Sprintf("best setting by its mean: %s, %.4f over %d of 3 folds", p.Label(), p.Mean, len(p.Trials))
	if out := sweepViewAt(t, dir, 160, 40).View(); !strings.Contains(out, want) {
		t.Errorf("the view lacks %q:\n%s", want, out)
	}
}
