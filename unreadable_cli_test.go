package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// TestUnreadableEvalImages: eval names each eval image it cannot read
// and leaves it out of its figures, saying how many; predict names them
// too and says which rows are guesses. (eval counted such an image as a
// prediction of the first class, and neither said a word.)
func TestUnreadableEvalImages(t *testing.T) {
	data, rd := tinySet(t), t.TempDir()
	if out, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "1"); err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	list, err := runs.NewStore(rd).List()
	if err != nil || len(list) != 1 {
		t.Fatalf("runs: %v %v", list, err)
	}
	id := list[0].Info.ID
	imgs, err := filepath.Glob(filepath.Join(data, "eval", "images", "*.jpg"))
	if err != nil || len(imgs) < 3 {
		t.Fatalf("the eval images: %v %v", imgs, err)
	}
	for _, p := range imgs[:3] {
		if err := os.Truncate(p, 10); err != nil {
			t.Fatal(err)
		}
	}
	out, err := run(t, "eval", id, "--runs", rd)
	if err != nil || !strings.Contains(out, "images, 3 of which could not be read and are left out)") || strings.Count(out, "warning: skipped image ") != 3 {
		t.Errorf("eval: %v\n%s", err, out)
	}
	out, err = run(t, "predict", id, "--runs", rd, "--out", filepath.Join(t.TempDir(), "p.csv"))
	if err != nil || !strings.Contains(out, "3 of them are of images that could not be read (warned above)") || strings.Count(out, "warning: skipped image ") != 3 {
		t.Errorf("predict: %v\n%s", err, out)
	}
}
