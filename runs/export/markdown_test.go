package export

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// TestMarkdownInCmarkGFM: the Markdown report, rendered by GitHub's own
// renderer (cmark-gfm with its table extension), has the run's figures
// in tables (the per-class scores as the HTML page has them, the
// epochs with the tasks' F1, the class offsets, the settings), the note
// as a quote with its pipe and line kept, and links the two PNG figures
// written beside it, which decode at the size asked.
func TestMarkdownInCmarkGFM(t *testing.T) {
	gfm, err := exec.LookPath("cmark-gfm")
	if err != nil {
		t.Skip("no cmark-gfm (apt-get install cmark-gfm)")
	}
	dir, out := figureRun(t), t.TempDir()
	if err := runs.WriteNote(dir, "focal | ce\nthe loader waited"); err != nil {
		t.Fatal(err)
	}
	off := runs.ClassOffsets{Epoch: 2, Step: 200, Classes: []string{"cat", "dog", "fox"}, Offsets: []float64{0, 0.75, -0.25}, Images: 20,
		MacroF1: 0.7, MacroF1Offsets: 0.75, HeldOutGain: 0.02, HeldOutSD: 0.01, HeldOutHalves: 10, HeldOutImproved: 9}
	if err := runs.WriteClassOffsets(dir, off); err != nil {
		t.Fatal(err)
	}
	mistake := image.NewRGBA(image.Rect(0, 0, 8, 8))
	var mb bytes.Buffer
	if err := png.Encode(&mb, mistake); err != nil {
		t.Fatal(err)
	}
	paths, err := MarkdownWith(dir, out, Size{640, 480}, ReportExtras{MistakesNote: "The 1 validation image of epoch 2 with the highest loss.",
		Mistakes: []Mistake{{Name: "a/1.jpg", Caption: "true cat, predicted dog", PNG: mb.Bytes()}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 4 || filepath.Ext(paths[0]) != ".md" {
		t.Fatalf("wrote %v", paths)
	}
	if b, err := os.ReadFile(paths[3]); err != nil || !bytes.Equal(b, mb.Bytes()) {
		t.Errorf("the mistake's PNG %s: %v", paths[3], err)
	}
	for _, p := range paths[1:3] {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != 640 || cfg.Height != 480 {
			t.Errorf("%s: %dx%d (%v)", p, cfg.Width, cfg.Height, err)
		}
	}
	html, err := exec.Command(gfm, "-e", "table", paths[0]).Output()
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.ReplaceAll(string(html), "\n", "")
	id := filepath.Base(dir)
	if n := strings.Count(flat, "<table>"); n != 5 {
		t.Errorf("%d tables, want 5 (mistakes, classes, epochs, offsets, settings):\n%s", n, html)
	}
	for _, want := range []string{
		"<h1>figs (" + id + ")</h1>",
		"<blockquote><p>focal | ce<br />the loader waited</p></blockquote>",
		"<strong>Best macro F1 0.7000</strong> at epoch 2",
		`<img src="` + id + `-curves.png"`, `<img src="` + id + `-confusion.png"`,
		`<tr><td>dog</td><td align="right">0.8750</td><td align="right">0.7000</td><td align="right">0.7778</td><td align="right">–</td><td align="right">10</td></tr>`,
		`<th align="right">mask F1</th><th align="right">gender F1</th><th align="right">age F1</th>`,
		`<td align="right">0.7000</td><td align="right">0.9000</td><td align="right">0.8000</td><td align="right">0.6250</td></tr>`,
		`<tr><td>dog</td><td align="right">+0.75</td></tr>`,
		"<tr><td>batch</td><td>32</td></tr>",
		"<p>The 1 validation image of epoch 2 with the highest loss.</p>",
		`<tr><td><img src="` + id + `-mistake-1.png" alt="a/1.jpg" /></td><td>a/1.jpg: true cat, predicted dog</td></tr>`,
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("cmark-gfm's HTML lacks %q:\n%s", want, html)
		}
	}
}

// TestHTMLMistakesInChromium: the worst mistakes a caller drew go into
// the page as embedded PNGs (data URLs html/template lets through, not
// its "#ZgotmplZ"), each with its name and caption, after the note
// that says whose weights drew them; the page stays self-contained.
func TestHTMLMistakesInChromium(t *testing.T) {
	dir, out := figureRun(t), t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	opts := ReportExtras{MistakesNote: "The 2 validation images of epoch 2 with the highest loss (epoch 2's weights).",
		Mistakes: []Mistake{{Name: "a/1.jpg", Caption: "true cat (p 0.010), predicted dog (p 0.900)", PNG: b.Bytes()}, {Name: "b/2.jpg", Caption: "true fox", PNG: b.Bytes()}}}
	path, err := HTMLWith(dir, out, opts)
	if err != nil {
		t.Fatal(err)
	}
	selfContained(t, path)
	dom := chromiumDOM(t, path)
	want := `src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(b.Bytes()) + `"`
	if n := strings.Count(dom, want); n != 2 {
		t.Errorf("%d embedded PNGs, want 2", n)
	}
	for _, w := range []string{"with the highest loss (epoch 2's weights).</p>", "a/1.jpg<br>true cat (p 0.010), predicted dog (p 0.900)</figcaption>"} {
		if !strings.Contains(dom, w) {
			t.Errorf("Chromium's DOM lacks %q", w)
		}
	}
	if strings.Contains(dom, "ZgotmplZ") {
		t.Error("html/template refused a data URL")
	}
	// Without them the section is not there.
	plain, err := HTML(dir, out)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(plain); strings.Contains(string(b), "Worst mistakes") {
		t.Error("a page without mistakes has their section")
	}
}

// TestEpochTablesGiveTheTrainingWeights: the epochs of a run with --ema
// carry the training weights' own F1, and the Markdown and HTML epoch
// tables and the CSV give it a column beside the average's; a run
// without has no such column.
func TestEpochTablesGiveTheTrainingWeights(t *testing.T) {
	dir := figureRunWith(t, func(ep int, e map[string]any) { e["train_weights_f1"] = 0.25 + 0.125*float64(ep) })
	plain := figureRun(t)
	for _, c := range []struct {
		dir  string
		want bool
	}{{dir, true}, {plain, false}} {
		out := t.TempDir()
		md, err := MarkdownWith(c.dir, out, Size{320, 240}, ReportExtras{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(md[0])
		if err != nil {
			t.Fatal(err)
		}
		page, err := HTML(c.dir, out)
		if err != nil {
			t.Fatal(err)
		}
		h, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		csvs, err := CSV(c.dir, out)
		if err != nil {
			t.Fatal(err)
		}
		var epochs []byte
		for _, p := range csvs {
			if strings.HasSuffix(p, "-epochs.csv") {
				epochs, _ = os.ReadFile(p)
			}
		}
		got := []bool{
			strings.Contains(string(b), "| val macro F1 | training weights' F1 |") && strings.Contains(string(b), "| 0.7000 | 0.5000 |"),
			strings.Contains(string(h), "<th>training weights' F1</th>") && strings.Contains(string(h), "<td>0.7000</td><td>0.5000</td>"),
			strings.Contains(string(epochs), "\n2,200,0.5,0.5,0.6,0.7,0.9,0.8,0.625,0.5\n"),
		}
		for i, g := range got {
			if g != c.want {
				t.Errorf("%s, table %d (md, html, csv): column there %v, want %v\n%s\n%s\n%s", filepath.Base(c.dir), i, g, c.want, b, h, epochs)
			}
		}
	}
}
