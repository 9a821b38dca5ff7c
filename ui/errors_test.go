package ui

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/maskdash/maskdash/models"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/ui/thumb"
	"github.com/muesli/termenv"
)

// errorsRun writes the script's run into a runs folder with epoch 2's
// validation predictions: four images of true class 0 predicted as 2
// (the cell the cursor starts on), with losses 0.9, 2.5, 1.7 and 3.1,
// and two correct ones; each image a PNG of its own colour.
func errorsRun(t *testing.T) (runsDir string) {
	t.Helper()
	return errorsRunNamed(t, func(i int) string { return string(rune('a'+i)) + ".png" })
}

// errorsRunNamed is errorsRun with image i at img/<name(i)>.
func errorsRunNamed(t *testing.T, name func(i int) string) (runsDir string) {
	t.Helper()
	runsDir = t.TempDir()
	r, err := runs.NewStore(runsDir).Create(runs.Info{Start: t0, Model: "cnn-s", Loss: "ce"})
	if err != nil {
		t.Fatal(err)
	}
	if r.ID() != script()[0].Settings.ID {
		t.Fatalf("run id %s, want the script's %s", r.ID(), script()[0].Settings.ID)
	}
	const k = 18
	p := &runs.ValPreds{Epoch: 2, Classes: k}
	for i, c := range []struct {
		truth, pred int
		loss        float32
	}{{0, 2, 0.9}, {0, 2, 2.5}, {1, 1, 0.1}, {0, 2, 1.7}, {5, 5, 0.2}, {0, 2, 3.1}} {
		img := image.NewRGBA(image.Rect(0, 0, 24, 32))
		for y := range 32 {
			for x := range 24 {
				img.SetRGBA(x, y, color.RGBA{uint8(40 * i), uint8(8 * y), uint8(10 * x), 255})
			}
		}
		path := filepath.Join(runsDir, "img", name(i))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
		p.Truth, p.Pred, p.Loss = append(p.Truth, c.truth), append(p.Pred, c.pred), append(p.Loss, c.loss)
		probs := make([]float32, k)
		probs[c.pred] = 0.6
		probs[c.truth] += 0.1
		p.Probs = append(p.Probs, probs...)
		p.Items = append(p.Items, runs.ValItem{Name: filepath.ToSlash(name(i)), Path: path, Label: c.truth})
	}
	p.Names = script()[0].Settings.Classes
	if err := r.WriteValPreds(p); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(runs.StatusDone, nil); err != nil {
		t.Fatal(err)
	}
	return runsDir
}

func errorsModelFor(t *testing.T, runsDir string, w, h int) Model {
	m := New(Options{Snapshot: script(), Ctrl: &fakeCtrl{}, Renderer: asciiRenderer(), RunsDir: runsDir})
	m, _ = m.Resize(w, h)
	return m
}

// run executes a command and feeds its message back, as Bubble Tea does.
func run(t *testing.T, m Model, cmd tea.Cmd) Model {
	t.Helper()
	if cmd == nil {
		t.Fatal("no command to run")
	}
	nm, _ := m.Update(cmd())
	return nm.(Model)
}

func checkScreen(t *testing.T, v string, w, h int) {
	t.Helper()
	if n := strings.Count(v, "\n") + 1; n != h {
		t.Errorf("view has %d lines, want %d", n, h)
	}
	for i, l := range strings.Split(v, "\n") {
		if lipgloss.Width(l) > w {
			t.Errorf("line %d is %d wide (> %d)", i, lipgloss.Width(l), w)
		}
	}
}

// TestErrorsPaneGolden: e puts the cursor on the largest mistake, enter
// shows its images worst first, the arrows select one.
func TestErrorsPaneGolden(t *testing.T) {
	runsDir := errorsRun(t)
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, h := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			m, _ := press(errorsModelFor(t, runsDir, w, h), "2", "e")
			v := m.View()
			checkScreen(t, v, w, h)
			if w >= 120 && !strings.Contains(v, "enter: their images") {
				t.Errorf("picking a cell does not say how to open it:\n%s", v)
			}
			golden(t, v)
			m, cmds := press(m, "enter")
			m = run(t, m, cmds[0])
			v = strings.ReplaceAll(m.View(), runsDir, "$RUNS")
			checkScreen(t, v, w, h)
			for _, want := range []string{"4 images, worst first", "#1 loss 3.10", "f.png"} {
				if !strings.Contains(v, want) {
					t.Errorf("the pane lacks %q:\n%s", want, v)
				}
			}
			if strings.Index(v, "#1 loss 3.10") > strings.Index(v, "#2 loss 2.50") {
				t.Errorf("not worst first:\n%s", v)
			}
			t.Run("pane", func(t *testing.T) { golden(t, v) })
			m, _ = press(m, "right")
			if v := m.View(); !strings.Contains(v, "#2 b.png") {
				t.Errorf("→ does not select the second image:\n%s", v)
			}
			m, _ = press(m, "esc")
			if v := m.View(); strings.Contains(v, "worst first") {
				t.Errorf("esc does not go back to the matrix:\n%s", v)
			}
		})
	}
}

// TestMouseOpensACellAndATab: a click on a confusion cell opens its
// images; a click on a tab switches to it.
func TestMouseOpensACellAndATab(t *testing.T) {
	runsDir := errorsRun(t)
	m, _ := press(errorsModelFor(t, runsDir, 120, 40), "2")
	lines := strings.Split(m.View(), "\n")
	// Find true class 0's row and predicted class 2's column as drawn.
	name := script()[0].Settings.Classes[0]
	y, x := -1, -1
	for i, l := range lines {
		if strings.HasPrefix(l, name+" ") && i > 0 {
			y = i
			if j := strings.Index(lines[i-1], "  0  1  2"); j >= 0 {
				x = len([]rune(lines[i-1][:j])) + 8
			}
			break
		}
	}
	if x < 0 || y < 0 {
		t.Fatalf("no row %q or column header in\n%s", name, strings.Join(lines, "\n"))
	}
	nm, cmd := m.Update(tea.MouseMsg{X: x, Y: y, Action: tea.MouseActionPress, Button: tea.MouseButtonLeft})
	m = run(t, nm.(Model), cmd)
	if v := m.View(); !strings.Contains(v, "4 images, worst first") {
		t.Fatalf("a click on cell (0,2) did not open its images:\n%s", v)
	}
	tab := strings.Index(lines[0], "3 runs")
	nm, _ = m.Update(tea.MouseMsg{X: len([]rune(lines[0][:tab])), Y: 0, Action: tea.MouseActionPress, Button: tea.MouseButtonLeft})
	if nm.(Model).view != viewRuns {
		t.Errorf("a click on the runs tab left view %d", nm.(Model).view)
	}
}

// TestErrorsPaneKitty: in a Kitty terminal the thumbnails are Kitty
// pictures shown through placeholder cells, laid out as the half blocks.
func TestErrorsPaneKitty(t *testing.T) {
	runsDir := errorsRun(t)
	r := lipgloss.NewRenderer(os.Stdout)
	r.SetColorProfile(termenv.TrueColor)
	m := New(Options{Snapshot: script(), Ctrl: &fakeCtrl{}, Renderer: r, RunsDir: runsDir, Images: thumb.ProtoKitty})
	m, _ = m.Resize(120, 40)
	m, _ = press(m, "2", "e")
	m, cmds := press(m, "enter")
	m = run(t, m, cmds[0])
	v := m.View()
	checkScreen(t, v, 120, 40)
	if n := strings.Count(v, "\x1b_Ga=T,U=1"); n != 4 {
		t.Errorf("%d pictures sent, want the cell's 4", n)
	}
	if !strings.Contains(v, "\U0010EEEE") || strings.Contains(v, "▀") {
		t.Errorf("the thumbnails are not placeholders:\n%q", v)
	}
}

// TestFlagWrongLabel: F on a misclassified image of a person appends the
// corrections that would make its label the prediction to the runs
// folder's label-fixes.csv (here an age, as a comment to fill in, since
// the cell differs in the age bin only), once; an image outside a
// person's folder cannot be flagged; a viewer cannot flag.
func TestFlagWrongLabel(t *testing.T) {
	runsDir := errorsRunNamed(t, func(i int) string { return fmt.Sprintf("%06d_male_Asian_%d/mask1.png", 100+i, 20+i) })
	m, _ := press(errorsModelFor(t, runsDir, 120, 40), "2", "e")
	m, cmds := press(m, "enter")
	m = run(t, m, cmds[0])
	m, cmds = press(m, "F")
	m = run(t, m, cmds[0])
	fixes := filepath.Join(runsDir, LabelFixesFile)
	b, err := os.ReadFile(fixes)
	// The worst image of the cell (0 → 2) is image 5, loss 3.1, aged 25.
	if err != nil || !strings.Contains(string(b), "# 000105,age,?  labelled 25 (<30), predicted 60+") {
		t.Fatalf("%s: %v\n%s", fixes, err, b)
	}
	if v := m.View(); !strings.Contains(v, "flagged 000105") {
		t.Errorf("F does not say what it did:\n%s", v)
	}
	m, cmds = press(m, "F")
	m = run(t, m, cmds[0])
	if v := m.View(); !strings.Contains(v, "flagged already") {
		t.Errorf("a second F:\n%s", v)
	}
	if b2, _ := os.ReadFile(fixes); string(b2) != string(b) {
		t.Errorf("a second F changed the file:\n%s", b2)
	}

	plain := errorsRun(t)
	m, _ = press(errorsModelFor(t, plain, 120, 40), "2", "e")
	m, cmds = press(m, "enter")
	m = run(t, m, cmds[0])
	m, cmds = press(m, "F")
	m = run(t, m, cmds[0])
	if v := m.View(); !strings.Contains(v, "not in a person's folder") {
		t.Errorf("F on an image outside a person's folder:\n%s", v)
	}

	viewer := New(Options{Snapshot: script(), Renderer: asciiRenderer(), RunsDir: runsDir})
	viewer, _ = viewer.Resize(120, 40)
	viewer, _ = press(viewer, "2", "e")
	viewer, cmds = press(viewer, "enter")
	viewer = run(t, viewer, cmds[0])
	viewer, cmds = press(viewer, "F")
	for _, c := range cmds {
		if c != nil {
			t.Error("a viewer's F gave a command")
		}
	}
	if v := viewer.View(); !strings.Contains(v, "read-only") {
		t.Errorf("a viewer's F:\n%s", v)
	}
}

// TestConfusionAPColumn: A adds each class's average precision on the
// shown epoch's kept validation predictions (read in a command), the
// figures runs.ClassPR gives, with their mean; A again takes it away.
// An epoch without kept predictions says so in the column's place.
func TestConfusionAPColumn(t *testing.T) {
	runsDir := errorsRun(t)
	m, cmds := press(errorsModelFor(t, runsDir, 120, 40), "2", "A")
	if v := m.View(); !strings.Contains(v, "F1    AP") || !strings.Contains(v, "…") {
		t.Errorf("before the figures are read the column shows them coming:\n%s", v)
	}
	m = run(t, m, cmds[len(cmds)-1])
	curves := classCurves(t, runsDir)
	v := m.View()
	checkScreen(t, v, 120, 40)
	if !strings.Contains(v, fmt.Sprintf("mean AP %.4f", runs.MacroAP(curves))) || !strings.Contains(v, fmt.Sprintf(" %5.2f", curves[0].AP)) || !strings.Contains(v, "    –") {
		t.Errorf("the AP column (class 0's %.2f, the mean %.4f, – for classes without images):\n%s", curves[0].AP, runs.MacroAP(curves), v)
	}
	m, _ = press(m, "A")
	if v := m.View(); strings.Contains(v, "F1    AP") || strings.Contains(v, "mean AP") {
		t.Errorf("A again leaves the column:\n%s", v)
	}
	// Epoch 1 kept no predictions here.
	m, cmds = press(m, "A", "left")
	m = run(t, m, cmds[len(cmds)-1])
	checkScreen(t, m.View(), 120, 40)
	if v := m.View(); !strings.Contains(v, "AP: the run has no validation") || strings.Contains(v, "…") {
		t.Errorf("an epoch without kept predictions:\n%s", v)
	}
}

// classCurves are each class's PR curve of the errors run's epoch 2, as
// the confusion view's A reads them.
func classCurves(t *testing.T, runsDir string) []runs.PRCurve {
	t.Helper()
	p, err := runs.ReadValPreds(filepath.Join(runsDir, script()[0].Settings.ID), 2)
	if err != nil {
		t.Fatal(err)
	}
	var curves []runs.PRCurve
	for c := range p.Classes {
		curves = append(curves, runs.ClassPR(p, c))
	}
	return curves
}

// TestConfusionAPColumnAt80: at 80 columns an 18-class matrix leaves 11
// cells beside it, room for F1 and AP but not for "macro F1 0.2212" on
// one line: A still shows the column (it did nothing there before), and
// the figures under it go on two lines each rather than being cut.
func TestConfusionAPColumnAt80(t *testing.T) {
	runsDir := errorsRun(t)
	m, cmds := press(errorsModelFor(t, runsDir, 80, 34), "2", "A")
	m = run(t, m, cmds[len(cmds)-1])
	curves := classCurves(t, runsDir)
	v := m.View()
	checkScreen(t, v, 80, 34)
	if !strings.Contains(v, "F1    AP") || !strings.Contains(v, fmt.Sprintf(" %5.2f", curves[0].AP)) {
		t.Errorf("the AP column at 80 columns (class 0's %.2f):\n%s", curves[0].AP, v)
	}
	c := script()[len(script())-3].Conf
	for _, want := range []string{"macro F1", fmt.Sprintf("%.4f", c.MacroF1()), "mean AP", fmt.Sprintf("%.4f", runs.MacroAP(curves))} {
		if !strings.Contains(v, want) {
			t.Errorf("the figures under the column lack %q:\n%s", want, v)
		}
	}
}

// TestClassMapsInTheErrorsPane: m draws the cell's images with their
// predicted class's activation maps (from the weights of the epoch the
// predictions are of), again with the true class's, and again without;
// a run with no checkpoint says why in the pane's head and keeps its
// images.
func TestClassMapsInTheErrorsPane(t *testing.T) {
	runsDir := errorsRun(t)
	open := func() (Model, string) {
		m, _ := press(errorsModelFor(t, runsDir, 120, 40), "2", "e")
		m, cmds := press(m, "enter")
		m = run(t, m, cmds[0])
		return m, m.View()
	}
	m, plain := open()
	m, cmds := press(m, "m")
	m = run(t, m, cmds[0])
	if v := m.View(); !strings.Contains(v, "class maps: ") || !strings.Contains(v, "keeps no weights to draw the maps with") || !strings.Contains(v, "4 images, worst first") {
		t.Errorf("m on a run without weights:\n%s", v)
	}
	// Epoch 2's weights, as training writes them at the epoch's end.
	dir := filepath.Join(runsDir, script()[0].Settings.ID)
	net, err := models.New(models.Spec{Name: "cnn-s", Batch: 4, W: 32, H: 32, Classes: 18, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	ckpts := filepath.Join(dir, "checkpoints")
	if err := os.MkdirAll(ckpts, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := training.CkptMeta{Model: net.Spec, Epoch: 2, Step: 80, Classes: script()[0].Settings.Classes, Std: [3]float32{0.2, 0.2, 0.2}, Mean: [3]float32{0.5, 0.5, 0.5}}
	if _, err := training.SaveCheckpoint(ckpts, net, meta, training.OptState{Name: "adam"}, true); err != nil {
		t.Fatal(err)
	}
	m, _ = open()
	for _, want := range []string{"class maps of the predicted class, epoch 2's weights", "class maps of the true class, epoch 2's weights", ""} {
		m, cmds = press(m, "m")
		if v := m.View(); want != "" && !strings.Contains(v, "drawing the images' class maps") {
			t.Errorf("m does not say the maps are being drawn:\n%s", v)
		}
		m = run(t, m, cmds[0])
		v := m.View()
		switch {
		case want != "" && (!strings.Contains(v, want) || v == plain):
			t.Errorf("want %q over new thumbnails:\n%s", want, v)
		case want == "" && v != plain:
			t.Errorf("the third m does not go back to the images alone:\n%s\nwant\n%s", v, plain)
		}
	}
}
