package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// packBytes is the size of the packs of prepared images in dir.
func packBytes(t *testing.T, dir string) int64 {
	t.Helper()
	packs, _ := filepath.Glob(filepath.Join(dir, "*.pack"))
	n := int64(0)
	for _, p := range packs {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		n += st.Size()
	}
	return n
}

// TestPredictionsKeepPreparedImages: with $MASKDASH_PREPARED a run keeps
// its prepared images there, predict adds the eval images', and a second
// predict decodes none (the packs stay as they were) and writes the same
// predictions; a damaged pack is a warning, the predictions the same, and
// the pack is written again.
func TestPredictionsKeepPreparedImages(t *testing.T) {
	data, rd, prep := tinySet(t), t.TempDir(), t.TempDir()
	t.Setenv("MASKDASH_PREPARED", prep)
	if out, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "1", "--name", "p"); err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	trained := packBytes(t, prep)
	if trained == 0 {
		t.Fatal("the run kept no prepared images")
	}
	csv := func(name string) string {
		t.Helper()
		f := filepath.Join(t.TempDir(), name)
		out, err := run(t, "predict", "p", "--runs", rd, "--out", f)
		if err != nil {
			t.Fatalf("predict: %v\n%s", err, out)
		}
		b, _ := os.ReadFile(f)
		return string(b) + "\x00" + out
	}
	first := strings.Split(csv("a.csv"), "\x00")
	kept := packBytes(t, prep)
	if kept <= trained {
		t.Errorf("predict kept no eval images: packs of %d bytes, %d before", kept, trained)
	}
	second := strings.Split(csv("b.csv"), "\x00")
	if second[0] != first[0] || packBytes(t, prep) != kept || strings.Contains(second[1], "warning") {
		t.Errorf("the second predict: the same predictions %v, packs %d bytes (were %d), output:\n%s", second[0] == first[0], packBytes(t, prep), kept, second[1])
	}
	packs, _ := filepath.Glob(filepath.Join(prep, "*.pack"))
	for _, p := range packs {
		if err := os.Truncate(p, 10); err != nil {
			t.Fatal(err)
		}
	}
	third := strings.Split(csv("c.csv"), "\x00")
	if third[0] != first[0] || !strings.Contains(third[1], "warning: prepared images in") || packBytes(t, prep) < kept-trained {
		t.Errorf("with the packs damaged: the same predictions %v, packs %d bytes, output:\n%s", third[0] == first[0], packBytes(t, prep), third[1])
	}
}
