package ui

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
)

// tableRuns writes six finished runs: two models, two losses, seeds 1–3,
// a child run with a live lr change, each with three epochs of a
// confusion matrix and run.json's figures.
func tableRuns(t *testing.T) string {
	t.Helper()
	rd := t.TempDir()
	type spec struct {
		id, model, loss, parent string
		lr                      float64
		seed                    int
		f1                      float64
		status                  runs.Status
	}
	specs := []spec{
		{"a-cnn-ce-s1", "cnn-s", "ce", "", 1e-3, 1, 0.61, runs.StatusDone},
		{"b-cnn-ce-s2", "cnn-s", "ce", "", 1e-3, 2, 0.64, runs.StatusDone},
		{"c-cnn-focal-s1", "cnn-s", "focal", "", 5e-4, 1, 0.58, runs.StatusStopped},
		{"d-vgg-focal-s1", "vgg-s", "focal", "", 5e-4, 1, 0.70, runs.StatusDone},
		{"e-vgg-focal-s2", "vgg-s", "focal", "d-vgg-focal-s1", 2.5e-4, 2, 0.73, runs.StatusDone},
		{"f-vgg-ce-s3", "vgg-s", "ce", "", 1e-3, 3, 0.52, runs.StatusFailed},
	}
	start := time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)
	for k, s := range specs {
		dir := filepath.Join(rd, s.id)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		info := runs.Info{ID: s.id, Status: s.status, Model: s.model, Loss: s.loss, Optim: "adam", LR: s.lr, Epochs: 3, EpochsDone: 3, Parent: s.parent,
			Start: start, End: start.Add(time.Duration(90*(k+1)) * time.Second), IPS: float64(300 + 10*k), LastF1: s.f1 - 0.01,
			Best:   runs.Best{MacroF1: s.f1, Epoch: 2, Tasks: map[string]float64{"mask": 0.9, "gender": 0.8, "age": s.f1}},
			Config: map[string]any{"model": s.model, "loss": s.loss, "lr": s.lr, "seed": s.seed, "batch": 32}}
		if s.parent != "" {
			info.Changes = []runs.Change{{Step: 1840, Setting: "lr", Value: "0.000125", Who: "alice"}}
		}
		b, _ := json.MarshalIndent(info, "", "  ")
		if err := os.WriteFile(filepath.Join(dir, "run.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		var log strings.Builder
		hdr := training.Event{Kind: training.KindRun, Settings: &training.RunHeader{ID: s.id, Classes: []string{"cat", "dog", "fox"}}}
		hb, _ := json.Marshal(hdr)
		log.Write(append(hb, '\n'))
		for ep := 1; ep <= 3; ep++ {
			c := training.NewConfusion(3)
			for i := 0; i < 3; i++ {
				for n := 0; n < 8; n++ {
					p := i
					if n < (ep+k+i)%4 {
						p = (i + 1) % 3
					}
					c.Add(i, p)
				}
			}
			m := training.Summarize(c, 1, false)
			m.MacroF1 = s.f1 - 0.05*float64(3-ep)
			eb, _ := json.Marshal(training.Event{Kind: training.KindEpoch, Epoch: ep, Step: 10 * ep, Val: &m, Conf: c})
			log.Write(append(eb, '\n'))
		}
		if err := os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(log.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return rd
}

func runsViewModel(t *testing.T, rd string, w, h int) Model {
	t.Helper()
	return runsViewOf(t, New(Options{Snapshot: script(), Ctrl: &fakeCtrl{}, Renderer: asciiRenderer(), RunsDir: rd}), w, h)
}

// runsViewOf is m, sized, on its runs view with the listing read.
func runsViewOf(t *testing.T, m Model, w, h int) Model {
	t.Helper()
	m, _ = m.Resize(w, h)
	nm, cmd := m.Update(keyRunes("3"))
	// The listing, then the curve of the run under the cursor.
	nm, cmd = nm.(Model).Update(cmd())
	return settle(nm.(Model), cmd, 2)
}

// feed runs a key's command and feeds its message back (for keys whose
// work is a command).
func feed(t *testing.T, m Model, keys ...string) Model {
	t.Helper()
	for _, k := range keys {
		var cmds []tea.Cmd
		m, cmds = press(m, k)
		for _, c := range cmds {
			m = settle(m, c, 2)
		}
	}
	return m
}

// settle runs a command, feeds its message back and follows the commands
// that answer it, depth levels deep; a command that waits (a tick) is
// left alone.
func settle(m Model, c tea.Cmd, depth int) Model {
	if c == nil || depth == 0 {
		return m
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- c() }()
	var msg tea.Msg
	select {
	case msg = <-ch:
	case <-time.After(50 * time.Millisecond):
		return m
	}
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, bc := range b {
			m = settle(m, bc, depth)
		}
		return m
	}
	if msg == nil {
		return m
	}
	nm, next := m.Update(msg)
	return settle(nm.(Model), next, depth-1)
}

func TestRunsTable(t *testing.T) {
	rd := tableRuns(t)
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, h := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			m := runsViewModel(t, rd, w, h)
			v := m.View()
			checkScreen(t, v, w, h)
			golden(t, strings.ReplaceAll(v, rd, "$RUNS"))
			// o sorts by the next column; pressing it until "best F1"
			// sorts high first: the best run comes first.
			for i := 0; i < 6; i++ {
				m = feed(t, m, "o")
			}
			if v := m.View(); !strings.Contains(v, "sorted by best F1") || strings.Index(v, "e-vgg-focal-s2") > strings.Index(v, "d-vgg-focal-s1") {
				t.Errorf("sorted by best F1:\n%s", v)
			}
		})
	}
	m := runsViewModel(t, rd, 120, 40)
	// A filter by setting and by text.
	m = feed(t, m, "/")
	for _, r := range "loss=focal vgg" {
		m = feed(t, m, string(r))
	}
	m = feed(t, m, "enter")
	v := m.View()
	if strings.Contains(v, "c-cnn-focal-s1") || !strings.Contains(v, "d-vgg-focal-s1") || !strings.Contains(v, "e-vgg-focal-s2") || strings.Contains(v, "f-vgg-ce") {
		t.Errorf("filter loss=focal vgg:\n%s", v)
	}
	m = feed(t, m, "esc")
	// A comparison by a figure and one by a setting (e's rate was cut
	// to 0.000125 while training); a comparison that does not parse
	// says why beside the filter, and no run shows.
	m = feed(t, m, "/")
	for _, r := range "f1>=0.64 lr<5e-4" {
		m = feed(t, m, string(r))
	}
	if v := m.View(); !strings.Contains(v, "e-vgg-focal-s2") || strings.Contains(v, "b-cnn-ce-s2") || strings.Contains(v, "d-vgg-focal-s1") {
		t.Errorf("filter f1>=0.64 lr<5e-4:\n%s", v)
	}
	for _, r := range "x" {
		m = feed(t, m, string(r))
	}
	if v := m.View(); !strings.Contains(v, `compares lr with "5e-4x", which is not a number`) || strings.Contains(v, "e-vgg-focal-s2") {
		t.Errorf("filter f1>=0.64 lr<5e-4x:\n%s", v)
	}
	m = feed(t, m, "esc")
	if m.runs.filter.Value() != "" {
		m = feed(t, m, "esc")
	}
	// * picks every run the filter shows, and again drops them; runs
	// picked before stay picked.
	m = feed(t, m, "enter") // the run under the cursor: f-vgg-ce-s3, newest first
	m = feed(t, m, "/")
	for _, r := range "model=vgg-s" {
		m = feed(t, m, string(r))
	}
	m = feed(t, m, "enter", "*")
	if v := m.View(); !slices.Equal(m.runs.selected, []string{"f-vgg-ce-s3", "e-vgg-focal-s2", "d-vgg-focal-s1"}) || !strings.Contains(v, "picked the 3 runs shown (3 picked in all; * again drops them)") {
		t.Errorf("* after model=vgg-s: %v\n%s", m.runs.selected, v)
	}
	m = feed(t, m, "esc", "/")
	for _, r := range "cnn" {
		m = feed(t, m, string(r))
	}
	m = feed(t, m, "enter", "*", "*")
	if v := m.View(); len(m.runs.selected) != 3 || !strings.Contains(v, "dropped the 3 runs shown (3 still picked)") {
		t.Errorf("* twice after cnn: %v\n%s", m.runs.selected, v)
	}
	m = feed(t, m, "esc", "/", "z", "enter", "*")
	if v := m.View(); !strings.Contains(v, "no run shown to pick") {
		t.Errorf("* with no run shown:\n%s", v)
	}
	m = feed(t, m, "esc", "/", "v", "g", "g", "enter", "*", "esc")
	if len(m.runs.selected) != 0 {
		t.Fatalf("the picked runs are not all dropped: %v", m.runs.selected)
	}
	// Grouped by seed: mean ± sd of best F1 (seed 1: 0.61, 0.58, 0.70),
	// and the title gives the seeds' share of the spread, ε² 0.3417 (by
	// SciPy's f_oneway of the three seeds' groups).
	m = feed(t, m, "g")
	if v := m.View(); !strings.Contains(v, "grouped by seed (ε² 0.34 of best F1)") || !strings.Contains(v, "0.6300 ± 0.0624") {
		t.Errorf("grouped by seed:\n%s", v)
	}
	// enter on a group row picks its runs (seed 1's three, the third
	// group), marked ●, and overlays their mean, grouped as the table is
	// (best F1 0.61, 0.58 and 0.70 at their last epochs: 0.63 ± 0.06);
	// enter again drops them.
	m = feed(t, m, "j", "j", "enter")
	if v := m.View(); len(m.runs.selected) != 3 || !strings.Contains(v, "● 1 ") || !strings.Contains(v, "picked runs' mean by seed") ||
		!strings.Contains(v, "seed=1 (─): 3 runs, last ") {
		t.Errorf("a group picked: %v\n%s", m.runs.selected, v)
	}
	m = feed(t, m, "enter")
	if v := m.View(); len(m.runs.selected) != 0 || strings.Contains(v, "● 1 ") {
		t.Errorf("a group dropped: %v\n%s", m.runs.selected, v)
	}
	m = feed(t, m, "k", "k")
	m = feed(t, m, "esc", "t")
	lines := strings.Split(m.View(), "\n")
	for i, l := range lines {
		if strings.Contains(l, "d-vgg-focal-s1") && (i+1 >= len(lines) || !strings.Contains(lines[i+1], "└ e-vgg-focal-s2")) {
			t.Errorf("the child run is not under its parent:\n%s", strings.Join(lines, "\n"))
		}
	}
	// The child under the cursor: the chart's title below the table says
	// what it set otherwise than its parent, whatever the width.
	moved := 0
	for ; moved < 6; moved++ {
		if l := m.runs.current(); l != nil && l.Info.ID == "e-vgg-focal-s2" {
			break
		}
		m = feed(t, m, "j")
	}
	if v := m.View(); !strings.Contains(v, "changed from its parent: lr=0.00025 seed=2\n") {
		t.Errorf("the chart of the child under the cursor does not say what it changed:\n%s", v)
	}
	for range moved {
		m = feed(t, m, "k")
	}
	// Wide enough for the parent column: in the tree it says what the
	// child set otherwise than its parent.
	wide, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	if v := wide.(Model).View(); !strings.Contains(v, "lr=0.00025 seed=2") {
		t.Errorf("the lineage tree does not say what the child changed:\n%s", v)
	}
	m = feed(t, m, "t")
	t.Run("picked", func(t *testing.T) {
		// Pick the first two rows (newest id first): f-… and the child
		// run e-…, then b-…; the child's live change is listed.
		m := feed(t, m, "enter", "j", "enter")
		for i := 0; i < 3; i++ {
			m = feed(t, m, "j")
		}
		m = feed(t, m, "enter")
		v := m.View()
		checkScreen(t, v, 120, 40)
		if !strings.Contains(v, "lr ×0.5 at step 1,840") || !strings.Contains(v, "(─) f-vgg-ce-s3") || !strings.Contains(v, "(═) e-vgg-focal-s2") || !strings.Contains(v, "(━) b-cnn-ce-s2") || !strings.Contains(v, "╔═") || !strings.Contains(v, "┏━") {
			t.Errorf("picked runs:\n%s", v)
		}
		golden(t, strings.ReplaceAll(v, rd, "$RUNS"))
		// Dropping the first keeps the others' colours (here, without
		// colour, their lines: ═ and ━, in the list and in the chart).
		m = feed(t, m, "k", "k", "k", "k", "enter")
		if v := m.View(); strings.Contains(v, "f-vgg-ce-s3  best") || !strings.Contains(v, "(═) e-vgg-focal-s2") || !strings.Contains(v, "(━) b-cnn-ce-s2") || !strings.Contains(v, "┏━") {
			t.Errorf("colours moved when a run was dropped:\n%s", v)
		}
	})
}

func TestSideBySide(t *testing.T) {
	rd := tableRuns(t)
	m := runsViewModel(t, rd, 120, 40)
	m = feed(t, m, "v")
	if v := m.View(); !strings.Contains(v, "pick two runs") {
		t.Errorf("v without two picked runs:\n%s", v)
	}
	m = feed(t, m, "enter", "j", "enter", "v")
	v := m.View()
	checkScreen(t, v, 120, 40)
	for _, want := range []string{"side by side: A f-vgg-ce-s3 · B e-vgg-focal-s2", "class F1", "B−A", "confusion B − A", "gained:", "lost:",
		"settings A → B: loss ce → focal · lr 0.001 → 0.00025 · seed 3 → 2", "B lr ×0.5 at step", "1,840"} {
		if !strings.Contains(v, want) {
			t.Errorf("side by side lacks %q:\n%s", want, v)
		}
	}
	golden(t, strings.ReplaceAll(v, rd, "$RUNS"))
	m = feed(t, m, "esc")
	if strings.Contains(m.View(), "side by side: A") {
		t.Error("esc did not leave the side by side")
	}
}

func TestArchiveDeleteUndo(t *testing.T) {
	rd := tableRuns(t)
	m := runsViewModel(t, rd, 120, 40)
	m = feed(t, m, "a")
	if _, err := os.Stat(filepath.Join(rd, ".archive", "f-vgg-ce-s3", "run.json")); err != nil {
		t.Fatalf("archive: %v\n%s", err, m.View())
	}
	if strings.Contains(m.View(), "f-vgg-ce-s3     ") {
		t.Errorf("the archived run still lists:\n%s", m.View())
	}
	m = feed(t, m, "D")
	if _, err := os.Stat(filepath.Join(rd, ".trash", "e-vgg-focal-s2", "run.json")); err != nil {
		t.Fatalf("delete: %v", err)
	}
	m = feed(t, m, "u", "u")
	for _, id := range []string{"f-vgg-ce-s3", "e-vgg-focal-s2"} {
		if _, err := os.Stat(filepath.Join(rd, id, "run.json")); err != nil {
			t.Errorf("undo did not bring %s back: %v", id, err)
		}
	}
	if v := m.View(); !strings.Contains(v, "f-vgg-ce-s3 is back") {
		t.Errorf("after undo:\n%s", v)
	}
	m = feed(t, m, "u")
	if v := m.View(); !strings.Contains(v, "nothing to undo") {
		t.Errorf("a third undo:\n%s", v)
	}
}

// TestViewerCannotMoveRuns: a read-only session (an SSH viewer, watch
// --read-only) cannot archive, delete or undo in the runs folder (the
// keys once worked for viewers: a viewer could move any run to .trash).
func TestViewerCannotMoveRuns(t *testing.T) {
	rd := tableRuns(t)
	m := runsViewOf(t, New(Options{Snapshot: script(), Renderer: asciiRenderer(), RunsDir: rd}), 120, 40)
	for _, k := range []string{"a", "D", "u", "N"} {
		m = feed(t, m, k)
		if v := m.View(); !strings.Contains(v, "read-only: this session may watch") {
			t.Errorf("%s by a viewer does not say it is read-only:\n%s", k, v)
		}
	}
	for _, sub := range []string{".archive", ".trash"} {
		if _, err := os.Stat(filepath.Join(rd, sub)); err == nil {
			t.Errorf("a viewer moved a run to %s", sub)
		}
	}
}

// TestNoteInRunsView: N on a run opens its note's first line for
// editing, enter saves it (the lines after the first stay), the table
// of a wide screen shows it and the filter finds it; esc leaves the note
// as it was.
func TestNoteInRunsView(t *testing.T) {
	rd := tableRuns(t)
	dir := filepath.Join(rd, "f-vgg-ce-s3")
	if err := runs.WriteNote(dir, "first try\nthe loader was the bottleneck"); err != nil {
		t.Fatal(err)
	}
	m := runsViewModel(t, rd, 220, 40)
	if v := m.View(); !strings.Contains(v, "note") || !strings.Contains(v, "first try") {
		t.Errorf("the wide table has no note column:\n%s", v)
	}
	m = feed(t, m, "N")
	if v := m.View(); !strings.Contains(v, "note: first try") {
		t.Fatalf("N does not offer the note's first line:\n%s", v)
	}
	m = feed(t, m, "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "again, with q and 1 typed", "enter")
	got, err := runs.ReadNote(dir)
	if err != nil || got != "again, with q and 1 typed\nthe loader was the bottleneck" {
		t.Errorf("the saved note: %q, %v", got, err)
	}
	if v := m.View(); !strings.Contains(v, "note saved") || !strings.Contains(v, "again, with q") {
		t.Errorf("after saving:\n%s", v)
	}
	m = feed(t, m, "N", "x", "esc")
	if got2, _ := runs.ReadNote(dir); got2 != got {
		t.Errorf("esc changed the note: %q", got2)
	}
	m = feed(t, m, "/", "bottleneck", "enter")
	if v := m.View(); !strings.Contains(v, "f-vgg-ce-s3") || strings.Contains(v, "a-cnn-ce-s1") {
		t.Errorf("the filter does not search notes:\n%s", v)
	}
	// Side by side (v) gives each run's note with its curve.
	m = feed(t, m, "esc", "enter", "down", "enter", "v")
	if v := m.View(); !strings.Contains(v, "side by side") || !strings.Contains(v, "“again, with q") {
		t.Errorf("side by side lacks the note:\n%s", v)
	}
}

// writeRunJSON writes a finished run's run.json alone into runs folder rd.
func writeRunJSON(t *testing.T, rd string, info runs.Info) {
	t.Helper()
	b, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(rd, info.ID), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rd, info.ID, "run.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRunsTableUsesTheWidth: a run id longer than its column gets the
// width the other columns leave unused (at 120 columns such an id was cut
// to "…-0.6fo…" beside empty space), and the table still fits.
func TestRunsTableUsesTheWidth(t *testing.T) {
	rd := t.TempDir()
	start := time.Date(2026, 12, 5, 2, 16, 14, 0, time.UTC)
	for _, id := range []string{"20261205-021614-cnn-s-0.6focal+0.4f1", "20261205-021609-vgg-s-ce"} {
		writeRunJSON(t, rd, runs.Info{ID: id, Status: runs.StatusDone, Model: "cnn-s", Loss: "0.6focal+0.4f1", Optim: "adam", LR: 1e-3, Epochs: 2, EpochsDone: 2,
			Start: start, End: start.Add(time.Minute), Config: map[string]any{"model": "cnn-s"}})
	}
	for _, w := range []int{100, 120, 160} {
		m := runsViewModel(t, rd, w, 30)
		v := m.View()
		checkScreen(t, v, w, 30)
		whole := false
		for _, l := range strings.Split(v, "\n") {
			if strings.Contains(l, "done") && strings.Contains(l, "20261205-021614-cnn-s-0.6focal+0.4f1 ") {
				whole = true
			}
		}
		if !whole {
			t.Errorf("%d columns: the run id is cut in its row:\n%s", w, v)
		}
	}
}

// TestClickARun: a click on a row of the runs table moves the cursor to it.
func TestClickARun(t *testing.T) {
	m := runsViewModel(t, tableRuns(t), 120, 40)
	lines := strings.Split(m.View(), "\n")
	y := -1
	for i, l := range lines {
		if strings.Contains(l, "c-cnn-focal-s1") {
			y = i
		}
	}
	nm, _ := m.Update(tea.MouseMsg{X: 20, Y: y, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	m = nm.(Model)
	if l := m.runs.current(); l == nil || l.Info.ID != "c-cnn-focal-s1" {
		t.Errorf("a click on c-cnn-focal-s1's row selected %v", l)
	}
}

// TestLongRunsTableScrolls: with more runs than the table's rows (a
// sweep's trials), moving the cursor down keeps its run on screen (the
// table once showed the rows above the cursor and not the cursor's own),
// it scrolls only when the cursor leaves it, and a click on a row of the
// scrolled table selects that row's run.
func TestLongRunsTableScrolls(t *testing.T) {
	rd := t.TempDir()
	start := time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)
	for i := range 40 {
		id := fmt.Sprintf("run-%02d", i)
		writeRunJSON(t, rd, runs.Info{ID: id, Status: runs.StatusDone, Model: "cnn-s", Loss: "ce", Optim: "adam", LR: 1e-3, Epochs: 1, EpochsDone: 1,
			Start: start, End: start.Add(time.Minute), Config: map[string]any{"model": "cnn-s"}})
	}
	m := runsViewModel(t, rd, 120, 24)
	for i := 1; i <= 39; i++ {
		m = feed(t, m, "j")
		cur := m.runs.current()
		if cur == nil {
			t.Fatalf("after %d downs no run is under the cursor", i)
		}
		v := m.View()
		checkScreen(t, v, 120, 24)
		if !strings.Contains(v, "> done") || !strings.Contains(v, cur.Info.ID) {
			t.Fatalf("after %d downs the cursor's run %s is not on screen:\n%s", i, cur.Info.ID, v)
		}
	}
	// One up from the bottom does not scroll: the table moves only when
	// the cursor leaves it.
	firstRow := func(v string) string {
		for _, l := range strings.Split(v, "\n") {
			if j := strings.Index(l, "run-"); j >= 0 && !strings.Contains(l, "runs in") {
				return l[j : j+6]
			}
		}
		return ""
	}
	before := firstRow(m.View())
	m = feed(t, m, "k")
	if after := firstRow(m.View()); after != before {
		t.Errorf("one up from the bottom scrolled the table from %s to %s", before, after)
	}
	// Click the first run row on screen: that run is selected.
	lines := strings.Split(m.View(), "\n")
	y, id := -1, ""
	for i, l := range lines {
		if j := strings.Index(l, "run-"); j >= 0 && !strings.Contains(l, "runs in") {
			y, id = i, l[j:j+6]
			break
		}
	}
	if y < 0 {
		t.Fatalf("no run row on screen:\n%s", strings.Join(lines, "\n"))
	}
	nm, _ := m.Update(tea.MouseMsg{X: 20, Y: y, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	m = nm.(Model)
	if l := m.runs.current(); l == nil || l.Info.ID != id {
		t.Errorf("a click on %s's row of the scrolled table selected %v", id, l)
	}
}

// TestStatusCellMarksTroubledRuns: the runs view's status cell has "!"
// for a run that raised the layers or non-finite alert, and not for one
// that only hit a rule it was given.
func TestStatusCellMarksTroubledRuns(t *testing.T) {
	for _, c := range runCols {
		if c.title != "status" {
			continue
		}
		if got := c.cell(runs.Info{Status: runs.StatusDone, Alerts: []string{"layers"}}); got != "done!" {
			t.Errorf("a run with a dead layer: %q", got)
		}
		if got := c.cell(runs.Info{Status: runs.StatusStopped, Alerts: []string{"no-gain", "early-stop"}}); got != "stopped" {
			t.Errorf("an early-stopped run: %q", got)
		}
		return
	}
	t.Fatal("no status column")
}

// TestF1CellsTellZeroFromNone: a run's F1 cells say "-" before it has
// validated, and 0.0000 for a validated F1 of 0 (the picked runs' list
// and compare print that figure), not "-" as if it had none.
func TestF1CellsTellZeroFromNone(t *testing.T) {
	seen := 0
	for _, c := range runCols {
		if c.title != "best F1" && c.title != "last F1" {
			continue
		}
		seen++
		if got := c.cell(runs.Info{Status: runs.StatusRunning}); got != "-" {
			t.Errorf("%s of a run not yet validated: %q, want -", c.title, got)
		}
		if got := c.cell(runs.Info{Status: runs.StatusDone, EpochsDone: 1, Best: runs.Best{Epoch: 1}}); got != "0.0000" {
			t.Errorf("%s of a run that validated to F1 0: %q, want 0.0000", c.title, got)
		}
		if got := c.cell(runs.Info{Status: runs.StatusDone, EpochsDone: 2, Best: runs.Best{Epoch: 2, MacroF1: 0.25}, LastF1: 0.25}); got != "0.2500" {
			t.Errorf("%s of 0.25: %q", c.title, got)
		}
	}
	if seen != 2 {
		t.Fatalf("found %d of the two F1 columns", seen)
	}
}

// TestRunsPreviewSaysClassOffsets: the preview of a run with class
// offsets kept by calibrate says so, with their held-out gain.
func TestRunsPreviewSaysClassOffsets(t *testing.T) {
	rd := tableRuns(t)
	off := runs.ClassOffsets{Epoch: 2, Step: 90, Classes: []string{"a", "b"}, Offsets: []float64{0, 1}, HeldOutGain: 0.0312}
	if err := runs.WriteClassOffsets(filepath.Join(rd, "f-vgg-ce-s3"), off); err != nil {
		t.Fatal(err)
	}
	m := runsViewModel(t, rd, 220, 40) // the newest run, f-vgg-ce-s3, is under the cursor
	if v := m.View(); !strings.Contains(v, "class offsets for epoch 2: +0.0312 macro F1 on held-out halves") {
		t.Errorf("the preview does not mention the class offsets:\n%s", v)
	}
	m = feed(t, m, "down")
	if v := m.View(); strings.Contains(v, "class offsets for epoch") {
		t.Errorf("a run without offsets mentions them:\n%s", v)
	}
}

// TestTricksInRunsView: a wide runs table has a tricks column with each
// run's settings in its header's words, empty for a plain run.
func TestTricksInRunsView(t *testing.T) {
	rd := tableRuns(t)
	p := filepath.Join(rd, "d-vgg-focal-s1", "run.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var info runs.Info
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	info.Config["cutmix"], info.Config["erase"] = 0.3, 0.5
	b, _ = json.Marshal(info)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	m := runsViewModel(t, rd, 240, 40)
	v := m.View()
	if !strings.Contains(v, "tricks") || !strings.Contains(v, "cutmix 0.3 half · erasing 0.5") {
		t.Errorf("the wide table does not show the run's tricks:\n%s", v)
	}
}

// TestRunsViewImportance: i shows, below the table, what each setting
// that varies among the shown runs accounted for in their best F1 (the
// seeds' share as SciPy gives it for these runs, 0.3417), the filter
// choosing the runs; i again brings the run's curve back.
func TestRunsViewImportance(t *testing.T) {
	m := runsViewModel(t, tableRuns(t), 120, 40)
	m = feed(t, m, "i")
	v := m.View()
	checkScreen(t, v, 120, 40)
	for _, want := range []string{"what each setting accounts for in best macro F1, 6 shown runs with a score", "\nseed   0.34  best 2 (mean 0.6850 over 2)", "\nlr     ", "\nloss   ", "\nmodel  "} {
		if !strings.Contains(v, want) {
			t.Errorf("the importance panel lacks %q:\n%s", want, v)
		}
	}
	m = feed(t, m, "/")
	for _, r := range "loss=ce" {
		m = feed(t, m, string(r))
	}
	m = feed(t, m, "enter")
	if v := m.View(); !strings.Contains(v, "3 shown runs with a score") || strings.Contains(v, "\nloss   ") {
		t.Errorf("filtered to the ce runs (the loss no longer varies):\n%s", v)
	}
	m = feed(t, m, "i")
	if v := m.View(); strings.Contains(v, "what each setting accounts for") {
		t.Errorf("i again still shows the panel:\n%s", v)
	}
}

// TestGroupedByARateGivesItsShare: runs that each have a rate of their
// own (a random search's) are grouped a rate a row, which leaves ε²
// nothing to measure; the title gives the rate's share as `i` and `runs
// --importance` do, its values in ranges, and says so.
func TestGroupedByARateGivesItsShare(t *testing.T) {
	rd := t.TempDir()
	start := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	var infos []runs.Info
	for k := range 9 {
		lr := 1e-4 * float64(k+1)
		info := runs.Info{ID: fmt.Sprintf("r%d", k), Status: runs.StatusDone, Model: "cnn-s", Loss: "ce", Optim: "adam", LR: lr, Epochs: 2, EpochsDone: 2,
			Start: start, End: start.Add(time.Minute), Best: runs.Best{MacroF1: 0.3 + 0.02*float64(k) + 0.01*float64(k%2), Epoch: 2},
			Config: map[string]any{"model": "cnn-s", "lr": lr}}
		writeRunJSON(t, rd, info)
		infos = append(infos, info)
	}
	imp, _ := runs.RunImportances(infos)
	if len(imp) != 1 || imp[0].Setting != "lr" || imp[0].Groups != 3 {
		t.Fatalf("the runs' importances: %+v", imp)
	}
	want := fmt.Sprintf("grouped by lr (ε² %.2f of best F1, its values in 3 ranges)", imp[0].Share)
	m := runsViewModel(t, rd, 160, 40)
	for range len(groupKeys) {
		if strings.Contains(m.View(), "grouped by lr") {
			break
		}
		m = feed(t, m, "g")
	}
	if v := m.View(); !strings.Contains(v, want) {
		t.Errorf("want %q in the title:\n%s", want, v)
	}
}

// TestRunsTableShowsLeaderboardScores: the public column appears once a
// run has a leaderboard score for a submission of its own, with the
// best; a vote's score is no run's.
func TestRunsTableShowsLeaderboardScores(t *testing.T) {
	rd := tableRuns(t)
	if v := runsViewModel(t, rd, 160, 40).View(); strings.Contains(v, "public") {
		t.Errorf("a public column without scores:\n%s", v)
	}
	work := t.TempDir()
	for i, sc := range []struct {
		runs []string
		f1   float64
	}{{[]string{"d-vgg-focal-s1"}, 0.6123}, {[]string{"d-vgg-focal-s1"}, 0.7123}, {[]string{"a-cnn-ce-s1", "b-cnn-ce-s2"}, 0.9}} {
		p := filepath.Join(work, fmt.Sprintf("s%d.csv", i))
		if err := os.WriteFile(p, fmt.Appendf(nil, "ImageID,ans\nx.jpg,%d\n", i), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := runs.RecordSubmission(rd, p, runs.Submission{Runs: sc.runs}); err != nil {
			t.Fatal(err)
		}
		if _, err := runs.ScoreSubmission(rd, p, false, runs.LeaderboardScore{MacroF1: sc.f1}); err != nil {
			t.Fatal(err)
		}
	}
	v := runsViewModel(t, rd, 160, 40).View()
	var row string
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "d-vgg-focal-s1") {
			row = l
		}
	}
	if !strings.Contains(v, "public") || !strings.Contains(row, "0.7123") || strings.Contains(v, "0.9000") {
		t.Errorf("the public column (want d-vgg-focal-s1's best, 0.7123, and no vote's score):\n%s", v)
	}
}

// TestManyPickedRunsKeepTheChart: with every run picked (*) on a small
// screen, the list of picked runs gives way (its last line counts the
// rest) and the overlaid chart keeps its rows.
func TestManyPickedRunsKeepTheChart(t *testing.T) {
	m := runsViewModel(t, tableRuns(t), 80, 24)
	m = feed(t, m, "*")
	v := m.View()
	checkScreen(t, v, 80, 24)
	if len(m.runs.selected) != 6 || !regexp.MustCompile(`… and \d more picked`).MatchString(v) || !strings.Contains(v, "picked runs overlaid") {
		t.Errorf("six runs picked at 80×24: %v\n%s", m.runs.selected, v)
	}
	at := strings.Index(v, "picked runs overlaid")
	if at < 0 {
		t.Fatalf("no chart:\n%s", v)
	}
	chart := strings.Split(v[at:], "\n")
	if rows := strings.Count(strings.Join(chart, "\n"), "┤") + strings.Count(strings.Join(chart, "\n"), "┼"); rows < 4 {
		t.Errorf("the chart has %d rows:\n%s", rows, v)
	}
}

// TestUnreadableRunInTheTable: a run whose run.json cannot be read shows
// "error" as its status and why after its id, with no figures: its row
// showed lr 0, epochs 0/0 and best epoch 0, an empty status.
func TestUnreadableRunInTheTable(t *testing.T) {
	rd := tableRuns(t)
	if err := os.WriteFile(filepath.Join(rd, "c-cnn-focal-s1", "run.json"), []byte(`{"id": bad`), 0o644); err != nil {
		t.Fatal(err)
	}
	m := runsViewModel(t, rd, 160, 30)
	v := m.View()
	checkScreen(t, v, 160, 30)
	row := -1
	for k, l := range strings.Split(v, "\n") {
		if !strings.Contains(l, "c-cnn-focal-s1") {
			continue
		}
		if f := strings.Fields(l); f[0] != "error" || strings.Contains(l, "0/0") {
			t.Errorf("the unreadable run's row: %q", l)
		}
		row = k
	}
	if row < 0 {
		t.Fatalf("no row of the unreadable run:\n%s", v)
	}
	// Under the cursor, the whole reason is below the table (its row
	// has room for the start of it).
	for range 6 {
		if strings.Contains(m.View(), "c-cnn-focal-s1: its record cannot be read") {
			break
		}
		m, _ = press(m, "down")
	}
	if v := m.View(); !strings.Contains(strings.Join(strings.Fields(v), " "), "c-cnn-focal-s1/run.json is corrupt") {
		t.Errorf("the cursor on the unreadable run does not say why:\n%s", v)
	}
}
