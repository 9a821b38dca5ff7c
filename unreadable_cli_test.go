package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// TestUnreadableEvalImages: eval names each eval image it cannot read
// and leaves it out of its figures, saying how many; predict and
// ensemble name them too (once each, however many runs vote), say which
// rows are guesses, and score against the truth beside the images
// without them, as eval does. (eval counted such an image as a
// prediction of the first class, and none said a word; later predict
// and ensemble still scored the guesses, and ensemble said nothing.)
func TestUnreadableEvalImages(t *testing.T) {
	data, rd := tinySet(t), t.TempDir()
	for _, seed := range []string{"1", "2"} {
		if out, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "1", "--seed", seed); err != nil {
			t.Fatalf("train: %v\n%s", err, out)
		}
	}
	list, err := runs.NewStore(rd).List()
	if err != nil || len(list) != 2 {
		t.Fatalf("runs: %v %v", list, err)
	}
	id, other := list[0].Info.ID, list[1].Info.ID
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
	evalAcc := after(t, out, "\naccuracy ", " ")
	out, err = run(t, "predict", id, "--runs", rd, "--out", filepath.Join(t.TempDir(), "p.csv"))
	if err != nil || !strings.Contains(out, "3 of them are of images that could not be read (warned above)") || strings.Count(out, "warning: skipped image ") != 3 ||
		!strings.Contains(out, "(without the 3 images that could not be read)") {
		t.Errorf("predict: %v\n%s", err, out)
	}
	if got := after(t, out, "against the truth beside it: accuracy ", ","); got != evalAcc {
		t.Errorf("predict's accuracy against the truth is %s, eval's %s: the guessed rows are scored\n%s", got, evalAcc, out)
	}
	out, err = run(t, "ensemble", "--run", id, "--run", other, "--runs", rd, "--out", filepath.Join(t.TempDir(), "e.csv"))
	if err != nil || strings.Count(out, "warning: skipped image ") != 3 || !strings.Contains(out, "3 of them are of images that could not be read (warned above)") ||
		!strings.Contains(out, "ensemble: accuracy ") || !strings.Contains(out, "(without the 3 images that could not be read)") {
		t.Errorf("ensemble: %v\n%s", err, out)
	}
	if got := after(t, out, id+" alone: accuracy ", ","); got != evalAcc {
		t.Errorf("ensemble's accuracy of %s alone is %s, eval's %s: the guessed rows are scored\n%s", id, got, evalAcc, out)
	}
}

// after is the text of out between the first from and the next to.
func after(t *testing.T, out, from, to string) string {
	t.Helper()
	_, rest, ok := strings.Cut(out, from)
	if !ok {
		t.Fatalf("no %q in:\n%s", from, out)
	}
	v, _, _ := strings.Cut(rest, to)
	return v
}
