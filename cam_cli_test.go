package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCamDrawsWhereTheNetLooks: maskdash cam writes each readable image's
// map as a PNG four times the net's input size, says the class it maps
// (the predicted one, or --class's, with the prediction beside it), warns
// of an image it cannot read and goes on, and takes a folder as its
// images; bad input is one sentence.
func TestCamDrawsWhereTheNetLooks(t *testing.T) {
	data, rd, out := tinySet(t), t.TempDir(), t.TempDir()
	if o, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "1", "--name", "c"); err != nil {
		t.Fatalf("train: %v\n%s", err, o)
	}
	evals, err := filepath.Glob(filepath.Join(data, "eval", "images", "*"))
	if err != nil || len(evals) < 2 {
		t.Fatalf("eval images %v %v", evals, err)
	}
	o, err := run(t, "cam", "c", evals[0], evals[1], filepath.Join(data, "missing.jpg"), "--runs", rd, "--out", out, "--images", "none")
	if err != nil || strings.Count(o, ": the map of ") != 2 || !strings.Contains(o, "missing.jpg is skipped") {
		t.Fatalf("cam: %v\n%s", err, o)
	}
	for _, e := range evals[:2] {
		p := filepath.Join(out, strings.TrimSuffix(filepath.Base(e), filepath.Ext(e))+"-cam.png")
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != 64 || cfg.Height != 64 {
			t.Errorf("%s: %dx%d (%v), want 64x64", p, cfg.Width, cfg.Height, err)
		}
	}
	// A folder is its images, in batches.
	if o, err := run(t, "cam", "c", filepath.Join(data, "eval", "images"), "--runs", rd, "--images", "none"); err != nil || strings.Count(o, ": the map of ") != len(evals) {
		t.Errorf("cam of a folder of %d images: %v\n%s", len(evals), err, o)
	}
	if o, err := run(t, "cam", "c", evals[0], "--runs", rd, "--class", "3", "--images", "none"); err != nil || !strings.Contains(o, "the map of wear·F·<30") || !strings.Contains(o, "; it predicts ") {
		t.Errorf("cam --class 3: %v\n%s", err, o)
	}
	if o, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "1", "--name", "mh", "--model", "cnn-s-mh"); err != nil {
		t.Fatalf("train -mh: %v\n%s", err, o)
	}
	// A multi-head model's map: gradient × activation through its heads.
	if o, err := run(t, "cam", "mh", evals[0], "--runs", rd, "--images", "none"); err != nil || !strings.Contains(o, ": the map of ") {
		t.Errorf("cam of a multi-head run: %v\n%s", err, o)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"cam", "c", "--runs", rd}, "cam needs a run and at least one image"},
		{[]string{"cam", "c", evals[0], "--runs", rd, "--class", "cat"}, `--class "cat" is not a class of this run`},
		{[]string{"cam", "c", filepath.Join(data, "missing.jpg"), "--runs", rd, "--images", "none"}, "none of the 1 images could be read"},
		{[]string{"cam", "nobody", evals[0], "--runs", rd}, `no run "nobody"`},
		{[]string{"cam", "c", t.TempDir(), "--runs", rd}, "holds no images"},
	} {
		o, err := run(t, c.args...)
		lines := strings.Split(strings.TrimSpace(o), "\n")
		if err == nil || !strings.Contains(lines[len(lines)-1], c.want) {
			t.Errorf("%v: want a last sentence with %q, got %v %q", c.args, c.want, err, o)
		}
	}
}
