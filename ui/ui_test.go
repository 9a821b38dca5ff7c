package ui

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/training"
	"github.com/muesli/termenv"
)

// updating reports whether -update was given (the flag is registered by
// charmbracelet/x/exp/golden, which teatest imports).
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// asciiRenderer gives deterministic, colourless output.
func asciiRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(os.Stdout)
	r.SetColorProfile(termenv.Ascii)
	return r
}

// colorRenderer gives true-colour output (the colour names in titles).
func colorRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(os.Stdout)
	r.SetColorProfile(termenv.TrueColor)
	return r
}

var t0 = time.Date(2026, 11, 26, 18, 30, 0, 0, time.UTC)

// script is a deterministic event stream: a run start, steps, two epochs,
// an lr change and a checkpoint.
func script() []training.Event {
	hdr := &training.RunHeader{ID: "20261126-183000-cnn-s-ce", Model: "cnn-s", Loss: "ce", Optim: "adam", LR: 1e-3, Batch: 32,
		Img: "64x64", Sampler: "shuffle", Data: "synthetic", Device: "cpu", Classes: dataset.ClassNames(dataset.DefaultAgeBins),
		Masked: true, Train: 1680, Val: 420, Epochs: 3}
	evs := []training.Event{{Kind: training.KindRun, Time: t0, Settings: hdr, Epochs: 3, BaseLR: 1e-3},
		{Kind: training.KindState, Time: t0, State: training.StateRunning}}
	step := 0
	for ep := 0; ep < 2; ep++ {
		for i := 0; i < 40; i++ {
			step++
			evs = append(evs, training.Event{Kind: training.KindStep, Time: t0.Add(time.Duration(step) * time.Second), Epoch: ep, Step: step,
				Loss: 3 * math.Exp(-float64(step)/30) * (1 + 0.1*math.Sin(float64(step))), LR: 1e-3, IPS: 200 + float64(step%7), Progress: float64(i+1) / 40, Epochs: 3,
				SysStats: training.SysStats{CPU: 1.6 + 0.1*math.Sin(float64(step)), RSS: 300 + float64(step), Queue: float64(step%5) / 4, DataWait: 0.3 * float64(step%3) / 2}})
			if step%4 == 1 {
				evs[len(evs)-1].Layers = scriptLayers(step)
			}
		}
		conf := training.NewConfusion(18)
		for c := 0; c < 18; c++ {
			conf.Add(c, c)
			conf.Add(c, c)
			conf.Add(c, (c+ep+1)%18)
		}
		m := training.Summarize(conf, 1.5-0.3*float64(ep), true)
		evs = append(evs, training.Event{Kind: training.KindEpoch, Time: t0.Add(time.Duration(step) * time.Second), Epoch: ep + 1, Step: step, Epochs: 3, Val: &m, Conf: conf, TrainAcc: 0.5})
	}
	evs = append(evs,
		training.Event{Kind: training.KindControl, Time: t0.Add(90 * time.Second), Step: step, Setting: training.SettingLR, Value: "0.002", BaseLR: 2e-3, Who: "local"},
		training.Event{Kind: training.KindCheckpoint, Time: t0.Add(91 * time.Second), Step: step, Epoch: 2, Msg: "checkpoint saved", Path: "runs/x/checkpoints/002-0000080.safetensors"})
	return evs
}

// scriptLayers are cnn-s's tensors at a measured step: the weights grow
// slowly, the gradients shrink, and the dense layer's updates grow until
// it moves too fast (past a tenth of itself a step).
func scriptLayers(step int) []training.LayerStat {
	f := float64(step)
	st := func(name string, n, rank int, w, g, ratio float64) training.LayerStat {
		w *= 1 + f/200
		// The weights as a normal's: σ = |w|/√n, its least and most
		// 3.5σ out, centred a little off zero.
		sd := w / math.Sqrt(float64(n))
		var q []float32
		for _, z := range []float64{-3.5, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 3.5} {
			q = append(q, float32(0.01+z*sd))
		}
		return training.LayerStat{Name: name, Size: n, Rank: rank, Weight: w, Grad: g * math.Exp(-f/60), Update: ratio * w, Spread: q}
	}
	return []training.LayerStat{
		st("conv1.weight", 432, 4, 4.1, 0.9, 2e-3*math.Exp(-f/80)),
		st("conv1.bias", 16, 1, 0.2, 0.05, 4e-3),
		st("conv2.weight", 4608, 4, 9.5, 0.6, 1e-3),
		st("conv2.bias", 32, 1, 0.3, 0.04, 3e-3),
		st("fc.weight", 147456, 2, 11.2, 1.4, 1e-3*math.Exp(f/16)),
		st("fc.bias", 18, 1, 0.1, 0.02, 5e-3),
	}
}

// fakeCtrl records commands (Bubble Tea runs commands concurrently).
type fakeCtrl struct {
	mu  sync.Mutex
	got []training.Command
}

func (f *fakeCtrl) Send(c training.Command) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, c)
	return nil
}

func (f *fakeCtrl) kinds() map[training.CommandKind]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[training.CommandKind]int{}
	for _, c := range f.got {
		out[c.Kind]++
	}
	return out
}

func newTestModel(ctrl Controller, w, h int) Model {
	var c Controller
	if ctrl != nil {
		c = ctrl
	}
	m := New(Options{Snapshot: script(), Ctrl: c, Renderer: asciiRenderer(), RunsDir: "testdata/no-runs"})
	m, _ = m.Resize(w, h)
	return m
}

func golden(t *testing.T, got string) {
	t.Helper()
	p := filepath.Join("testdata", strings.ReplaceAll(t.Name(), "/", "_")+".golden")
	if updating() {
		os.WriteFile(p, []byte(got), 0o644)
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./ui -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("view differs from %s (go test ./ui -update rewrites it):\n%s", p, got)
	}
}

func press(m Model, keys ...string) (Model, []tea.Cmd) {
	var cmds []tea.Cmd
	for _, k := range keys {
		var msg tea.KeyMsg
		switch k {
		case "tab":
			msg = tea.KeyMsg{Type: tea.KeyTab}
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "left":
			msg = tea.KeyMsg{Type: tea.KeyLeft}
		case "right":
			msg = tea.KeyMsg{Type: tea.KeyRight}
		case "up":
			msg = tea.KeyMsg{Type: tea.KeyUp}
		case "down":
			msg = tea.KeyMsg{Type: tea.KeyDown}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEscape}
		case "backspace":
			msg = tea.KeyMsg{Type: tea.KeyBackspace}
		case " ":
			msg = tea.KeyMsg{Type: tea.KeySpace, Runes: []rune(" ")}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		nm, cmd := m.Update(msg)
		m = nm.(Model)
		cmds = append(cmds, cmd)
	}
	return m, cmds
}

func TestViewsGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, view := range []string{"1", "2", "4", "5"} {
			name := map[string]string{"1": "overview", "2": "confusion", "4": "system", "5": "layers"}[view]
			t.Run(fmt.Sprintf("%s_%dx%d", name, size[0], size[1]), func(t *testing.T) {
				m, _ := press(newTestModel(&fakeCtrl{}, size[0], size[1]), view)
				v := m.View()
				if h := strings.Count(v, "\n") + 1; h != size[1] {
					t.Errorf("view has %d lines, want %d", h, size[1])
				}
				for i, l := range strings.Split(v, "\n") {
					if lipgloss.Width(l) > size[0] {
						t.Errorf("line %d is %d wide (> %d)", i, lipgloss.Width(l), size[0])
					}
				}
				golden(t, v)
			})
		}
	}
}

func TestKeysSendCommands(t *testing.T) {
	cases := []struct {
		keys []string
		want training.Command
	}{
		{[]string{" "}, training.Command{Kind: training.CmdToggle}},
		{[]string{"c"}, training.Command{Kind: training.CmdCheckpoint}},
		{[]string{"x"}, training.Command{Kind: training.CmdPredict}},
		{[]string{"+"}, training.Command{Kind: training.CmdScaleLR, Value: 2}},
		{[]string{"-"}, training.Command{Kind: training.CmdScaleLR, Value: 0.5}},
		{[]string{"L", "ctrl+u", "enter"}, training.Command{}}, // replaced below
		{[]string{"q"}, training.Command{Kind: training.CmdStop}},
	}
	for _, c := range cases[:5] {
		f := &fakeCtrl{}
		m := newTestModel(f, 80, 24)
		m.opts.QuitStops = true
		_, cmds := press(m, c.keys...)
		runCmds(cmds)
		if len(f.got) != 1 || f.got[0].Kind != c.want.Kind || f.got[0].Value != c.want.Value || f.got[0].Who != "local" {
			t.Errorf("%q sent %+v, want %+v", c.keys, f.got, c.want)
		}
	}
	// Typing an exact learning rate, a loss, and a new run.
	f := &fakeCtrl{}
	m := newTestModel(f, 80, 24)
	m.opts.QuitStops = true
	m, cmds := press(m, "L")
	m.prompt.SetValue("3e-4")
	m, c2 := press(m, "enter")
	m, c3 := press(m, "l")
	m.prompt.SetValue("0.6focal+0.4f1")
	m, c4 := press(m, "enter")
	m, c5 := press(m, "n")
	// At 80 columns the prompt leaves room for what is typed; on a wide
	// screen it names every setting a new run takes.
	if v := m.View(); !strings.Contains(v, "new run — loss lr [task= fresh-head …]: "+m.prompt.Value()) {
		t.Errorf("n's prompt at 80 columns:\n%s", v)
	}
	if wide, _ := press(newTestModel(&fakeCtrl{}, 140, 24), "n"); !strings.Contains(wide.View(), "freeze-layers=]: ") {
		t.Errorf("n's prompt at 140 columns:\n%s", wide.View())
	}
	m.prompt.SetValue("f1 1e-4 task=age freeze-epochs=2")
	m, c6 := press(m, "enter")
	m, c7 := press(m, "M")
	if v := m.prompt.Value(); v != "off" {
		t.Errorf("M offers %q; the run has no CutMix: off", v)
	}
	m.prompt.SetValue("0.5 random")
	m, c8 := press(m, "enter")
	m, c9 := press(m, "M")
	m.prompt.SetValue("mixup 0.3 0.4")
	m, c10 := press(m, "enter")
	m, c11 := press(m, "M")
	m.prompt.SetValue("off")
	m, c12 := press(m, "enter")
	_, c13 := press(m, "q")
	for _, c := range [][]tea.Cmd{c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13} {
		cmds = append(cmds, c...)
	}
	runCmds(cmds)
	want := []training.Command{{Kind: training.CmdSetLR, Value: 3e-4}, {Kind: training.CmdSetLoss, Text: "0.6focal+0.4f1"},
		{Kind: training.CmdFork, Fork: training.Fork{Loss: "f1", LR: 1e-4, Task: "age", FreezeEpochs: 2}}, {Kind: training.CmdSetCutMix, Text: "0.5 random"},
		{Kind: training.CmdSetMixup, Text: "0.3 0.4"}, {Kind: training.CmdSetCutMix, Text: "off"}, {Kind: training.CmdSetMixup, Text: "off"},
		{Kind: training.CmdStop}}
	if len(f.got) != len(want) {
		t.Fatalf("sent %+v", f.got)
	}
	for i, w := range want {
		g := f.got[i]
		if g.Kind != w.Kind || g.Value != w.Value || g.Text != w.Text || g.Fork != w.Fork {
			t.Errorf("command %d: %+v, want %+v", i, g, w)
		}
	}
	// A bad value is refused on the screen, not sent.
	f2 := &fakeCtrl{}
	m = newTestModel(f2, 80, 24)
	m, _ = press(m, "L")
	m.prompt.SetValue("fast")
	m, cmds = press(m, "enter")
	runCmds(cmds)
	if len(f2.got) != 0 || !strings.Contains(m.View(), "not a positive number") {
		t.Errorf("bad lr: sent %+v", f2.got)
	}
	m, _ = press(m, "M")
	m.prompt.SetValue("0.5 square")
	m, cmds = press(m, "enter")
	runCmds(cmds)
	if len(f2.got) != 0 || !strings.Contains(m.View(), `box "square" is unknown`) {
		t.Errorf("bad cutmix: sent %+v\n%s", f2.got, m.View())
	}
	m, _ = press(m, "M")
	m.prompt.SetValue("mixup 0.3 zero")
	m, cmds = press(m, "enter")
	runCmds(cmds)
	if len(f2.got) != 0 || !strings.Contains(m.View(), `α "zero" is not a number above 0`) {
		t.Errorf("bad mixup: sent %+v\n%s", f2.got, m.View())
	}
	m, _ = press(m, "n")
	m.prompt.SetValue("ce 0.001 epochs=3")
	m, cmds = press(m, "enter")
	runCmds(cmds)
	if len(f2.got) != 0 || !strings.Contains(m.View(), `"epochs" is not a setting`) {
		t.Errorf("bad new run: sent %+v\n%s", f2.got, m.View())
	}
}

// TestPromptTypedValueReplaces: L offers the current rate (0.002 in the
// script); typing a rate straight away replaces it (it used to be
// appended: "0.0020.0003", refused), and a key that edits first (here
// backspace) edits the offered value instead.
func TestPromptTypedValueReplaces(t *testing.T) {
	for _, c := range []struct {
		keys []string
		want float64
	}{
		{[]string{"L", "0", ".", "0", "0", "0", "3", "enter"}, 3e-4},
		{[]string{"L", "backspace", "5", "enter"}, 0.005},
	} {
		f := &fakeCtrl{}
		m := newTestModel(f, 80, 24)
		if lr := m.state.LR; lr != 0.002 {
			t.Fatalf("the script's rate is %v, this test expects 0.002", lr)
		}
		m, cmds := press(m, c.keys...)
		runCmds(cmds)
		if len(f.got) != 1 || f.got[0].Kind != training.CmdSetLR || f.got[0].Value != c.want {
			t.Errorf("%q sent %+v, want lr %v\n%s", c.keys, f.got, c.want, m.View())
		}
	}
}

// runCmds runs commands that return at once (sends), ignoring the rest.
func runCmds(cmds []tea.Cmd) {
	for _, c := range cmds {
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		select {
		case msg := <-done:
			if b, ok := msg.(tea.BatchMsg); ok {
				runCmds(b)
			}
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func TestViewerCannotSteer(t *testing.T) {
	m := newTestModel(nil, 80, 24)
	m, cmds := press(m, " ", "c", "+")
	for _, c := range cmds {
		if c != nil {
			t.Fatal("a viewer's key produced a command")
		}
	}
	v := m.View()
	if !strings.Contains(v, "viewer (read-only)") || !strings.Contains(v, "read-only: this session may watch") || strings.Contains(v, "pause/resume") {
		t.Errorf("viewer screen:\n%s", v)
	}
}

func TestConfusionEpochNavigation(t *testing.T) {
	m, _ := press(newTestModel(&fakeCtrl{}, 120, 40), "2")
	if !strings.Contains(m.View(), "epoch 2 of 2") {
		t.Fatal("confusion view does not start at the latest epoch")
	}
	m, _ = press(m, "left")
	if !strings.Contains(m.View(), "epoch 1 of 2") {
		t.Error("← did not go back an epoch")
	}
	m, _ = press(m, "right", "%")
	if !strings.Contains(m.View(), "epoch 2 of 2") || !strings.Contains(m.View(), "row %") {
		t.Error("→ or % did not work")
	}
}

func TestInfiniteLossDoesNotPanic(t *testing.T) {
	m := newTestModel(&fakeCtrl{}, 80, 24)
	nm, _ := m.Update(eventsMsg{events: []training.Event{
		{Kind: training.KindStep, Step: 999, Loss: math.Inf(1), LR: 1e30},
		{Kind: training.KindStep, Step: 1000, Loss: math.NaN(), LR: 1e30},
	}})
	_ = nm.(Model).View()
	empty := New(Options{Renderer: asciiRenderer()})
	if !strings.Contains(empty.View(), "waiting for the first training steps") {
		t.Error("empty dashboard should say it is waiting")
	}
}

// BenchmarkViewLongRun draws the overview (recent and whole-history
// modes) and the system view after 100,000 and 1,000,000 step samples
// (about three days at four a second; the state keeps MaxStepSamples of
// them). A redraw's cost and allocation stay flat in the run's length
// where only the recent samples are drawn (once 16 MB a redraw at 1M).
func BenchmarkViewLongRun(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		m := newTestModel(&fakeCtrl{}, 160, 50)
		for i := 0; i < n; i++ {
			m.state.Apply(training.Event{Kind: training.KindStep, Step: i, Loss: 1 + math.Sin(float64(i)/100), LR: 1e-3, Epochs: 3})
		}
		for _, mode := range []string{"recent", "all", "system"} {
			m.history = mode == "all"
			m.view = viewOverview
			if mode == "system" {
				m.view = viewSystem
			}
			b.Run(fmt.Sprintf("%dk/%s", n/1000, mode), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					_ = m.View()
				}
			})
		}
	}
}

// TestRunesArrivingTogether: keys typed fast can come as one message.
func TestRunesArrivingTogether(t *testing.T) {
	f := &fakeCtrl{}
	m := newTestModel(f, 100, 30)
	nm, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("2c")})
	runCmds([]tea.Cmd{cmd})
	if nm.(Model).view != viewConfusion || f.kinds()[training.CmdCheckpoint] != 1 {
		t.Errorf("view %d, commands %v", nm.(Model).view, f.kinds())
	}
}

// TestGPUMemoryInHeader: a cuda run's step events carry the GPU's memory,
// which the header shows after the device and its precision; a CPU run's
// header shows none.
func TestGPUMemoryInHeader(t *testing.T) {
	m := newTestModel(&fakeCtrl{}, 160, 30)
	hdr := &training.RunHeader{ID: "r", Model: "vgg-s", Device: "cuda", Precision: "fp32", Batch: 256}
	nm, _ := m.Update(eventsMsg{events: []training.Event{
		{Kind: training.KindRun, Settings: hdr, Epochs: 1},
		{Kind: training.KindStep, Step: 1, Loss: 2, LR: 1e-3, Epochs: 1, GPUMem: 12800, GPUTotal: 81559},
	}})
	if v := nm.(Model).View(); !strings.Contains(v, "cuda fp32 12.5/80 GiB") {
		t.Errorf("header lacks the GPU memory:\n%s", v)
	}
	if v := newTestModel(&fakeCtrl{}, 160, 30).View(); strings.Contains(v, "GiB") {
		t.Errorf("a CPU run shows GPU memory:\n%s", v)
	}
}

// TestFinishedRunShowsLastEpochDone: after the last epoch the progress line
// reads "epoch N/N 100%", not 0% of an epoch past the end.
func TestFinishedRunShowsLastEpochDone(t *testing.T) {
	m := newTestModel(&fakeCtrl{}, 160, 30)
	hdr := &training.RunHeader{ID: "r", Model: "cnn-s", Device: "cpu", Batch: 32}
	nm, _ := m.Update(eventsMsg{events: []training.Event{
		{Kind: training.KindRun, Settings: hdr, Epochs: 2},
		{Kind: training.KindStep, Step: 5, Epoch: 1, Progress: 0.5, Loss: 2, LR: 1e-3, Epochs: 2},
	}})
	if v := nm.(Model).View(); !strings.Contains(v, "epoch 2/2  50%") {
		t.Errorf("mid-run progress line missing:\n%s", v)
	}
	nm, _ = nm.Update(eventsMsg{events: []training.Event{
		{Kind: training.KindEpoch, Step: 10, Epoch: 2, Epochs: 2, Val: &training.Metrics{Loss: 1}},
	}})
	if v := nm.(Model).View(); !strings.Contains(v, "epoch 2/2 100%") {
		t.Errorf("finished run's progress line should read epoch 2/2 100%%:\n%s", v)
	}
}

// slowForkCtrl is a fakeCtrl whose fork takes a while to send (a control
// file written on a busy disk, a loaded machine).
type slowForkCtrl struct{ fakeCtrl }

func (s *slowForkCtrl) Send(c training.Command) error {
	if c.Kind == training.CmdFork {
		time.Sleep(100 * time.Millisecond)
	}
	return s.fakeCtrl.Send(c)
}

// TestSendsKeepKeyOrder: the new-run prompt's enter and then q, their
// sends run at once as Bubble Tea runs commands: the fork still reaches
// the trainer before the stop (the other way round the stop ended the
// parent, the child started and trained on while the dashboard waited to
// quit: TestTmuxSmoke once in four runs on a loaded machine).
func TestSendsKeepKeyOrder(t *testing.T) {
	f := &slowForkCtrl{}
	m := newTestModel(f, 80, 24)
	m.opts.QuitStops = true
	m, _ = press(m, "n")
	m.prompt.SetValue("focal 0.0005")
	m, cmds := press(m, "enter")
	_, more := press(m, "q", "+")
	var wg sync.WaitGroup
	for _, c := range append(cmds, more...) {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); c() }()
	}
	wg.Wait()
	var kinds []training.CommandKind
	for _, c := range f.got {
		kinds = append(kinds, c.Kind)
	}
	if want := []training.CommandKind{training.CmdFork, training.CmdStop, training.CmdScaleLR}; !slices.Equal(kinds, want) {
		t.Errorf("sent %v, want %v", kinds, want)
	}
}
