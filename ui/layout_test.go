package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
)

// fits fails if v is not exactly h lines of at most w cells.
func fits(t *testing.T, v string, w, h int) {
	t.Helper()
	lines := strings.Split(v, "\n")
	if len(lines) != h {
		t.Errorf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			t.Errorf("line %d is %d wide (> %d): %q", i, lipgloss.Width(l), w, l)
		}
	}
}

// TestSmallScreenKeepsEssentials: at 80×24 the help line keeps ? and q,
// ? shows every key, and the charts use the rows they are given.
func TestSmallScreenKeepsEssentials(t *testing.T) {
	m := newTestModel(&fakeCtrl{}, 80, 24)
	v := m.View()
	fits(t, v, 80, 24)
	last := v[strings.LastIndex(v, "\n")+1:]
	if !strings.Contains(last, "? all keys") || !strings.Contains(last, "q quit") {
		t.Errorf("help line at 80 wide hides ? or q: %q", last)
	}
	// No blank chart rows: the line before "events" is a chart row.
	lines := strings.Split(v, "\n")
	for i, l := range lines {
		if l == "events" && strings.TrimSpace(lines[i-1]) == "" {
			t.Errorf("a blank row above the events:\n%s", v)
		}
	}
	m, _ = press(m, "?")
	v = m.View()
	fits(t, v, 80, 24)
	for _, b := range m.keys.FullHelp() {
		for _, k := range b {
			if !strings.Contains(v, k.Help().Desc) {
				t.Errorf("? at 80×24 does not show %q:\n%s", k.Help().Desc, v)
			}
		}
	}
}

// TestWideTitlesAreWhole: at 120×40 no chart title is cut mid-word and the
// validation loss of the last epoch is on the chart.
func TestWideTitlesAreWhole(t *testing.T) {
	m := newTestModel(&fakeCtrl{}, 120, 40)
	v := m.View()
	for _, bad := range []string{"(per epoc ", "▲156→0 ", "validation (per epoc"} {
		if strings.Contains(v, bad) {
			t.Errorf("cut title %q in:\n%s", bad, v)
		}
	}
	if !strings.Contains(v, "val 1.2000") {
		t.Errorf("the loss chart's title lacks the last validation loss:\n%s", v)
	}
	lp := m.lossPanel(60, 20)
	if !strings.Contains(lp, "1.200") && !strings.Contains(lp, "1.197") {
		t.Errorf("the last epoch's validation loss (1.2) is not on the chart:\n%s", lp)
	}
	// Events: paths inside the run are shortened, long lines end at a word.
	m.state.Apply(training.Event{Kind: training.KindCheckpoint, Run: "r1", Msg: "checkpoint saved",
		Path: "/home/someone/a/very/long/path/to/maskdash-runs/r1/checkpoints/003-0000120.safetensors"})
	if v := m.View(); !strings.Contains(v, "checkpoint saved: checkpoints/003-0000120.safetensors") {
		t.Errorf("checkpoint path not shortened:\n%s", v)
	}
}

// TestValidationTitleKeepsMacroF1: the validation chart's title gives the
// last macro F1 (the competition's score) and accuracy at every width the
// overview draws it at, colours named or not; at 120 columns the colour
// names once pushed macro F1 out of it.
func TestValidationTitleKeepsMacroF1(t *testing.T) {
	for _, w := range []int{36, 48, 58, 70, 100} {
		for _, r := range []*lipgloss.Renderer{asciiRenderer(), colorRenderer()} {
			m := New(Options{Snapshot: script(), Ctrl: &fakeCtrl{}, Renderer: r})
			m, _ = m.Resize(120, 40)
			title, _, _ := strings.Cut(ansi.Strip(m.valPanel(w, 20)), "\n")
			if !strings.Contains(title, "F1 0.6667") || !strings.Contains(title, "acc") || ansi.StringWidth(title) > w {
				t.Errorf("%d columns (colour %v): the validation title lacks macro F1 or accuracy, or is too wide: %q", w, m.styles.Color, title)
			}
		}
	}
}

// TestPercentCellsStaySeparate: in the % view, a 100% cell does not run
// into its neighbour.
func TestPercentCellsStaySeparate(t *testing.T) {
	m := newTestModel(&fakeCtrl{}, 120, 40)
	c := training.NewConfusion(18)
	for i := range 18 {
		c.Add(i, i)
	}
	m.state.Confs = append(m.state.Confs, c)
	m.state.EpochN = append(m.state.EpochN, 3)
	m, _ = press(m, "2", "%")
	v := m.View()
	if strings.Contains(v, "·100") || strings.Contains(v, "100 ") && strings.Contains(v, " 100100") {
		t.Errorf("a 100%% cell runs into the next:\n%s", v)
	}
	fits(t, v, 120, 40)
}

// TestCountCellsStaySeparate: counts of three and four digits (a
// two-class task run's validation, a large data set) do not run into
// their neighbours, on a wide and on an 80-cell screen, and a click on a
// cell still finds it.
func TestCountCellsStaySeparate(t *testing.T) {
	for _, w := range []int{120, 80} {
		m := newTestModel(&fakeCtrl{}, w, 40)
		c := training.NewConfusion(18)
		for i := range 18 {
			for range 219 + 90*i {
				c.Add(i, i)
			}
			for range 26 {
				c.Add(i, (i+1)%18)
			}
		}
		m.state.Confs = append(m.state.Confs, c)
		m.state.EpochN = append(m.state.EpochN, 3)
		m, _ = press(m, "2")
		v := m.View()
		lines := strings.Split(v, "\n")
		row := -1
		for i, l := range lines {
			if strings.Contains(l, " 219  26") {
				row = i
			}
		}
		if row < 0 || strings.Contains(v, "26219") || !strings.Contains(v, " 1k  26") {
			t.Fatalf("%d cells: counts run together, or 1,009 is not 1k:\n%s", w, v)
		}
		fits(t, v, w, 40)
		x := lipgloss.Width(lines[row][:strings.Index(lines[row], " 219")]) + 2 // inside class 0's diagonal cell
		if _, tr, pr, ok := m.cellAt(x, row-lipgloss.Height(m.headerView(w))); !ok || tr != 0 || pr != 0 {
			t.Errorf("%d cells: a click on row 0's 219 finds %d, %d (%v)", w, tr, pr, ok)
		}
	}
}

// TestRunsListAt80KeepsF1: the runs view at 80 wide still shows each run's
// best F1.
func TestRunsListAt80KeepsF1(t *testing.T) {
	m := newTestModel(&fakeCtrl{}, 80, 24)
	m, _ = press(m, "3")
	nm, _ := m.Update(runsLoadedMsg{rows: []runs.Listed{{Info: runs.Info{ID: "20261126-183000-vgg-s-focal-long-name", Status: runs.StatusDone,
		Model: "vgg-s", Loss: "focal", Optim: "adam", LR: 1e-3, Epochs: 5, EpochsDone: 5, Best: runs.Best{MacroF1: 0.4321}}}}})
	v := nm.(Model).View()
	fits(t, v, 80, 24)
	if !strings.Contains(v, "0.4321") {
		t.Errorf("runs view at 80 wide hides F1:\n%s", v)
	}
}

// TestRunsRefreshDoesNotMultiply: a refresh tick armed before leaving the
// runs view does nothing after coming back.
func TestRunsRefreshDoesNotMultiply(t *testing.T) {
	m := newTestModel(&fakeCtrl{}, 100, 30)
	m, _ = press(m, "3")
	old := m.runsGen
	m, _ = press(m, "1", "3")
	if _, cmd := m.Update(refreshRunsMsg{gen: old}); cmd != nil {
		t.Error("a stale refresh tick re-armed a load")
	}
	if _, cmd := m.Update(refreshRunsMsg{gen: m.runsGen}); cmd == nil {
		t.Error("the current refresh tick did not load")
	}
}

// TestPausedHeaderHasNoETA: while paused, the header says so instead of
// the last speed and an ETA computed from it.
func TestPausedHeaderHasNoETA(t *testing.T) {
	m := newTestModel(nil, 120, 40)
	if v := m.View(); !strings.Contains(v, "img/s · ETA") {
		t.Fatalf("a running run's header has no speed:\n%s", v)
	}
	nm, _ := m.Update(eventsMsg{events: []training.Event{{Kind: training.KindState, State: training.StatePaused, Time: t0.Add(100 * time.Second)}}})
	head := strings.Join(strings.Split(nm.(Model).View(), "\n")[:3], "\n")
	if strings.Contains(head, "ETA") || !strings.Contains(head, "· paused") {
		t.Errorf("a paused run's header:\n%s", head)
	}
}

// TestEndedRunAnswersKeys: after the run ends, a control key the trainer
// cannot apply says why; q quits at once.
func TestEndedRunAnswersKeys(t *testing.T) {
	ctrl := &endedCtrl{}
	m := New(Options{Snapshot: script(), Ctrl: ctrl, Renderer: asciiRenderer(), QuitStops: true, Who: "local"})
	nm, _ := m.Update(eventsMsg{events: []training.Event{{Kind: training.KindState, State: training.StateDone, Time: t0.Add(100 * time.Second)}}})
	m = nm.(Model)
	if v := m.View(); !strings.Contains(v, "finished in 1m40s") || strings.Contains(v, "img/s") {
		t.Errorf("a finished run's header:\n%s", v)
	}
	// The help line offers what still works, not the controls of a run in
	// progress.
	lines := strings.Split(m.View(), "\n")
	if help := lines[len(lines)-1]; !strings.Contains(help, "child run") || strings.Contains(help, "pause") || strings.Contains(help, "lr") {
		t.Errorf("a finished run's help line: %q", help)
	}
	m, cmds := press(m, "+")
	nm, _ = m.Update(cmds[0]())
	if v := nm.(Model).View(); !strings.Contains(v, "the run has finished") || !strings.Contains(v, "n: child run") {
		t.Errorf("lr × 2 on a finished run:\n%s", v)
	}
	// The manager's answer to this session's checkpoint key is flashed.
	nm, _ = m.Update(eventsMsg{events: []training.Event{{Kind: training.KindNotice, Who: "local", Msg: "the run has finished; its last checkpoint is x"}}})
	if v := nm.(Model).View(); !strings.Contains(v, "its last checkpoint is x") {
		t.Errorf("notice not shown:\n%s", v)
	}
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	if cmd == nil || cmd() != tea.Quit() {
		t.Error("q on a finished run does not quit at once")
	}
}

// endedCtrl answers as the manager does once the run has ended.
// TestPaletteHelpLine: while the palette is open the help line gives its
// keys, not the dashboard's (space, c and q go to the palette's search).
func TestPaletteHelpLine(t *testing.T) {
	m := newTestModel(&fakeCtrl{}, 100, 30)
	m, _ = press(m, ":")
	lines := strings.Split(m.View(), "\n")
	if help := lines[len(lines)-1]; !strings.Contains(help, "enter run it") || strings.Contains(help, "checkpoint") {
		t.Errorf("the palette's help line: %q", help)
	}
}

// TestEndedRemoteRunAnswersKeys: a finished run watched from its folder
// (maskdash watch) offers neither x nor n, which only work in the run's
// own process, and a control key's answer says how to predict from here.
func TestEndedRemoteRunAnswersKeys(t *testing.T) {
	m := New(Options{Snapshot: script(), Ctrl: &endedCtrl{}, Renderer: asciiRenderer(), Remote: true})
	m, _ = m.Resize(160, 40)
	nm, _ := m.Update(eventsMsg{events: []training.Event{{Kind: training.KindState, State: training.StateDone, Time: t0.Add(100 * time.Second)}}})
	m = nm.(Model)
	lines := strings.Split(m.View(), "\n")
	if help := lines[len(lines)-1]; strings.Contains(help, "child run") || strings.Contains(help, "predict") || !strings.Contains(help, "runs") {
		t.Errorf("a finished watched run's help line: %q", help)
	}
	m, cmds := press(m, "+")
	nm, _ = m.Update(cmds[0]())
	if v := nm.(Model).View(); !strings.Contains(v, "maskdash predict 20261126-183000-cnn-s-ce --out FILE") || strings.Contains(v, "n: child run") {
		t.Errorf("lr × 2 on a finished watched run:\n%s", v)
	}
}

type endedCtrl struct{}

func (endedCtrl) Send(c training.Command) error {
	if c.Kind == training.CmdScaleLR {
		return fmt.Errorf("scale: %w", training.ErrEnded)
	}
	return nil
}

// TestAlertRingsAndFlashes: an alert is flashed, logged, and rung on the
// terminal (bell and desktop notification) through Options.Ring.
func TestAlertRingsAndFlashes(t *testing.T) {
	var rung []string
	m := New(Options{Snapshot: script(), Ctrl: &fakeCtrl{}, Renderer: asciiRenderer(), Ring: func(s string) { rung = append(rung, s) }})
	m, _ = m.Resize(120, 40)
	nm, cmd := m.Update(eventsMsg{events: []training.Event{{Kind: training.KindAlert, Alert: training.AlertNoGain, Msg: "macro F1 has not improved for 3 epochs"}}})
	if v := nm.(Model).View(); !strings.Contains(v, "alert: macro F1 has not improved") {
		t.Errorf("alert not shown:\n%s", v)
	}
	if cmd == nil {
		t.Fatal("no command to ring")
	}
	if batch, ok := cmd().(tea.BatchMsg); ok {
		for _, c := range batch {
			if c != nil {
				c()
			}
		}
	}
	if len(rung) != 1 {
		t.Errorf("rung %v", rung)
	}
	var b strings.Builder
	if err := RingTerminal(&b, "a\nb"); err != nil || b.String() != "\a\x1b]9;maskdash: a b\x07\x1b]777;notify;maskdash;a b\x07" {
		t.Errorf("RingTerminal wrote %q (%v)", b.String(), err)
	}
}

// TestCompactLayout: below 100×30 (a phone over SSH) the overview keeps
// one chart, the validation figures as text and the keys' ? and q.
func TestCompactLayout(t *testing.T) {
	for _, size := range [][2]int{{60, 20}, {99, 29}} {
		m := newTestModel(&fakeCtrl{}, size[0], size[1])
		v := m.View()
		fits(t, v, size[0], size[1])
		for _, want := range []string{"loss, recent", "val F1 0.6667", "q quit"} {
			if !strings.Contains(v, want) {
				t.Errorf("%dx%d lacks %q:\n%s", size[0], size[1], want, v)
			}
		}
		if strings.Contains(v, "learning rate 0.002") {
			t.Errorf("%dx%d still draws the learning-rate chart:\n%s", size[0], size[1], v)
		}
	}
}

// TestLossChangeMarked: after the loss is switched while training, the
// loss chart's title says at which step and to what, since both curves
// jump there (a new loss has a scale of its own).
func TestLossChangeMarked(t *testing.T) {
	evs := append(script(), training.Event{Kind: training.KindControl, Time: t0.Add(95 * time.Second), Step: 80,
		Setting: training.SettingLoss, Value: "0.6focal+0.4f1", Who: "local"})
	m := New(Options{Snapshot: evs, Ctrl: &fakeCtrl{}, Renderer: asciiRenderer()})
	m, _ = m.Resize(160, 40)
	title, _, _ := strings.Cut(m.lossPanel(100, 20), "\n")
	if !strings.Contains(title, "▲ step 80 → 0.6focal+0.4f1") {
		t.Errorf("the loss chart's title does not mark the change: %q", title)
	}
	plain := New(Options{Snapshot: script(), Ctrl: &fakeCtrl{}, Renderer: asciiRenderer()})
	plain, _ = plain.Resize(160, 40)
	if title, _, _ := strings.Cut(plain.lossPanel(100, 20), "\n"); strings.Contains(title, "▲") {
		t.Errorf("a run whose loss never changed has a mark: %q", title)
	}
}

// TestSystemViewSaysTheRunEnded: once the run has ended the system view's
// figures are its last sample's, and its title says so.
func TestSystemViewSaysTheRunEnded(t *testing.T) {
	for _, ended := range []bool{false, true} {
		evs := script()
		if ended {
			evs = append(evs, training.Event{Kind: training.KindState, Time: t0.Add(100 * time.Second), State: training.StateDone})
		}
		m := New(Options{Snapshot: evs, Ctrl: &fakeCtrl{}, Renderer: asciiRenderer()})
		m, _ = m.Resize(120, 40)
		title, _, _ := strings.Cut(m.systemView(120, 36), "\n")
		if got := strings.Contains(title, "as the run ended"); got != ended || !strings.Contains(title, "img/s") {
			t.Errorf("ended %v: title %q", ended, title)
		}
	}
}

// TestStartingHeaderSaysWhatItDoes: before the run exists (the synthetic
// set being drawn, a range test) the header says what is happening, not
// empty settings and an epoch "1/0".
func TestStartingHeaderSaysWhatItDoes(t *testing.T) {
	evs := []training.Event{{Kind: training.KindState, Time: t0, State: training.StateStarting, Msg: "finding a learning rate (range test, --lr-find): step 40 of 100"}}
	m := New(Options{Snapshot: evs, Ctrl: &fakeCtrl{}, Renderer: asciiRenderer()})
	m, _ = m.Resize(120, 30)
	lines := strings.Split(m.headerView(120), "\n")
	if !strings.Contains(lines[1], "step 40 of 100") || strings.Contains(lines[2], "epoch 1/0") || strings.Contains(lines[1], "batch 0") {
		t.Errorf("the starting header:\n%s", strings.Join(lines, "\n"))
	}
}

// TestTaskTrendsChart: where the confusion view has room below the task
// matrices, it charts each task's macro F1 by epoch (the score's three
// parts), named with their latest figures; on a small screen the
// matrices keep the room.
func TestTaskTrendsChart(t *testing.T) {
	m, _ := press(newTestModel(&fakeCtrl{}, 120, 40), "2")
	if v := m.View(); !strings.Contains(v, "task macro F1 by epoch · mask 0.889 (─) · gender 0.778 (═) · age 0.667 (━)") {
		t.Errorf("no task chart at 120×40:\n%s", v)
	}
	m, _ = press(newTestModel(&fakeCtrl{}, 80, 24), "2")
	if v := m.View(); strings.Contains(v, "task macro F1 by epoch") {
		t.Errorf("a task chart squeezed into 80×24:\n%s", v)
	}
}
