package export

import (
	"encoding/xml"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maskdash/maskdash/runs"
)

// figureRun writes a run named "figs" with a step history, three epochs
// of 3 classes (the best, 0.7, at epoch 2) and some events.
func figureRun(t *testing.T) string {
	t.Helper()
	return figureRunWith(t, nil)
}

// figureRunWith is figureRun with each epoch event changed by epoch
// (nil: as it is).
func figureRunWith(t *testing.T, epoch func(ep int, e map[string]any)) string {
	t.Helper()
	r, err := runs.NewStore(t.TempDir()).Create(runs.Info{Name: "figs", Model: "cnn-s", Loss: "ce", Optim: "adam", LR: 1e-3, Start: time.Now(),
		Config: map[string]any{"batch": 32, "model": "cnn-s"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 300; i++ {
		if err := r.AppendHistory(i, map[string]float64{"loss": 2 / float64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	events := []map[string]any{
		{"kind": "run", "settings": map[string]any{"classes": []string{"cat", "dog", "fox"}}},
		{"kind": "control", "step": 50, "setting": "lr", "value": "0.0005", "who": "SHA256:abc"},
		{"kind": "step", "step": 1, "loss": 2.0, "layers": []map[string]any{{"name": "conv1.weight", "n": 432, "w": 4.0, "g": 0.5, "u": 0.1}}},
		{"kind": "step", "step": 250, "loss": 0.1, "layers": []map[string]any{{"name": "conv1.weight", "n": 432, "w": 5.0, "g": 0.25, "u": 0.01,
			"q": []float64{-0.9, -0.4, -0.24, -0.1, 0.0123, 0.1, 0.241, 0.4, 0.8}}}},
	}
	for ep, f1 := range []float64{0.4, 0.7, 0.6} {
		events = append(events, map[string]any{"kind": "epoch", "epoch": ep + 1, "step": 100 * (ep + 1), "train_acc": 0.5,
			"val": map[string]any{"loss": 1.0 / float64(ep+1), "accuracy": 0.5 + 0.1*float64(ep), "macro_f1": f1,
				"tasks": map[string]any{"mask": map[string]any{"macro_f1": 0.9}, "gender": map[string]any{"macro_f1": 0.8}, "age": map[string]any{"macro_f1": 0.5 + 0.125*float64(ep)}}},
			"confusion": map[string]any{"n": 3, "m": [][]int{{5, 1, 0}, {2, 7, 1}, {0, 0, 4}}}})
		if epoch != nil {
			epoch(ep+1, events[len(events)-1])
		}
	}
	events = append(events, map[string]any{"kind": "alert", "step": 300, "alert": "finished", "msg": "run done after 3 of 3 epochs"})
	for _, e := range events {
		if err := r.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(runs.StatusDone, nil); err != nil {
		t.Fatal(err)
	}
	return r.Dir
}

func TestPNGIsTheSizeAsked(t *testing.T) {
	dir, out := figureRun(t), t.TempDir()
	paths, err := Figures(dir, out, "png", Size{640, 480})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2 || !strings.HasSuffix(paths[0], "-curves.png") || !strings.HasSuffix(paths[1], "-confusion.png") {
		t.Fatalf("paths %v", paths)
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if s := img.Bounds().Size(); s.X != 640 || s.Y != 480 {
			t.Errorf("%s is %v, want 640×480", p, s)
		}
	}
}

func TestSVGParsesAndNamesTheClasses(t *testing.T) {
	dir, out := figureRun(t), t.TempDir()
	paths, err := Figures(dir, out, "svg", Size{500, 400})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	var svg struct {
		Width  string `xml:"width,attr"`
		Height string `xml:"height,attr"`
	}
	if err := xml.Unmarshal(b, &svg); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	if svg.Width != "500pt" || svg.Height != "400pt" {
		t.Errorf("svg is %s × %s, want 500pt × 400pt", svg.Width, svg.Height)
	}
	for _, want := range []string{">dog<", ">fox<", "epoch 2, macro F1 0.7000", ">7<"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the confusion SVG lacks %q", want)
		}
	}
}

// TestHTMLInChromium renders the page in headless Chromium (Debian's
// chromium) and reads the run's name and best F1 from its DOM.
func TestHTMLInChromium(t *testing.T) {
	dir, out := figureRun(t), t.TempDir()
	if err := runs.WriteNote(dir, "focal <next>\nthe loader waited"); err != nil {
		t.Fatal(err)
	}
	off := runs.ClassOffsets{Epoch: 2, Step: 200, Classes: []string{"cat", "dog"}, Offsets: []float64{0, 0.75}, Images: 20,
		MacroF1: 0.7, MacroF1Offsets: 0.75, HeldOutGain: 0.02, HeldOutSD: 0.01, HeldOutHalves: 10, HeldOutImproved: 9}
	if err := runs.WriteClassOffsets(dir, off); err != nil {
		t.Fatal(err)
	}
	// A submission of the run, scored on the leaderboard, and a vote's,
	// which is not the run's alone.
	work := t.TempDir()
	for i, runsOf := range [][]string{{filepath.Base(dir)}, {filepath.Base(dir), "another"}} {
		sub := filepath.Join(work, fmt.Sprintf("sub%d.csv", i))
		if err := os.WriteFile(sub, fmt.Appendf(nil, "ImageID,ans\nx.jpg,%d\n", i), 0o644); err != nil {
			t.Fatal(err)
		}
		val, acc := 0.7, 0.5443
		if err := runs.RecordSubmission(filepath.Dir(dir), sub, runs.Submission{Runs: runsOf, Ckpt: "epoch 2, step 200", ValF1: &val, TTA: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := runs.ScoreSubmission(filepath.Dir(dir), sub, false, runs.LeaderboardScore{MacroF1: 0.6512 + float64(i), Accuracy: &acc}); err != nil {
			t.Fatal(err)
		}
	}
	path, err := HTML(dir, out)
	if err != nil {
		t.Fatal(err)
	}
	selfContained(t, path)
	dom := chromiumDOM(t, path)
	if strings.Contains(dom, "1.6512") {
		t.Error("the page lists a vote's submission as the run's")
	}
	id := filepath.Base(dir)
	for _, want := range []string{
		`<h1 id="run">figs (` + id + `)</h1>`,
		`best macro F1 <b>0.7000</b> at epoch 2`,
		"<svg", "SHA256:abc set lr to 0.0005", "finished: run done after 3 of 3 epochs",
		"<td>dog</td><td>0.8750</td><td>0.7000</td><td>0.7778</td><td>–</td><td>10</td>", // no kept predictions: no AP
		"focal &lt;next&gt;\nthe loader waited</p>",
		"Layers (step 250)</h2>",
		"<td>sub0.csv</td><td>epoch 2, step 200, tta</td><td>0.7000</td><td>0.6512</td><td>54.43%</td><td>–</td>",
		"Class offsets (epoch 2)</h2>", "+0.0200 ± 0.0100 on held-out halves of those images (9 of 10 gained)", "<td>dog</td><td>+0.75</td>",
		"<th>mask F1</th><th>gender F1</th><th>age F1</th>", "<td>0.7000</td><td>0.9000</td><td>0.8000</td><td>0.6250</td>", "<td>conv1.weight</td><td>432</td><td>5</td><td>-0.24 / 0.0123 / 0.241</td><td>0.25</td><td>0.002</td>",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("Chromium's DOM lacks %q", want)
		}
	}
}

// chromiumDOM renders the page at path in headless Chromium (Debian's
// chromium) and returns its DOM; a machine without Chromium skips the
// test.
func chromiumDOM(t *testing.T, path string) string {
	t.Helper()
	chrome := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			chrome = p
			break
		}
	}
	if chrome == "" {
		t.Skip("no Chromium (apt-get install chromium)")
	}
	abs, _ := filepath.Abs(path)
	cmd := exec.Command(chrome, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir="+t.TempDir(), "--dump-dom", "file://"+abs)
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return string(dom)
}

// selfContained fails the test if the page at path reaches out for
// anything (a network address, a script).
func selfContained(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"src=\"http", "href=\"http", "<script", "url(http"} {
		if strings.Contains(string(b), bad) {
			t.Errorf("the page is not self-contained: it holds %q", bad)
		}
	}
}

func TestFiguresRefuseBadInput(t *testing.T) {
	r, err := runs.NewStore(t.TempDir()).Create(runs.Info{Model: "cnn-s", Start: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(runs.StatusStopped, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := HTML(r.Dir, t.TempDir()); err == nil || !strings.Contains(err.Error(), "has no finished epoch") {
		t.Errorf("an empty run: %v", err)
	}
	if _, err := Figures(figureRun(t), "/proc/version/x", "png", Size{}); err == nil || !strings.Contains(err.Error(), "export folder") {
		t.Errorf("an unwritable folder: %v", err)
	}
	if _, err := Figures(figureRun(t), t.TempDir(), "gif", Size{}); err == nil {
		t.Error("gif accepted")
	}
}
