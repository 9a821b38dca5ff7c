package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// TestRunsShelves: what the dashboard's a and D put away lists with
// runs --archived and --deleted (not in the plain list), runs restore
// brings a run back, runs empty-trash frees the trash's space, and a
// wrong call is one sentence.
func TestRunsShelves(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	var ids []string
	for _, name := range []string{"keep", "gone"} {
		if out, err := run(t, "train", "--headless", "--runs", rd, "--name", name, "--data", data, "--img", "16x16", "--batch", "8", "--epochs", "1"); err != nil {
			t.Fatalf("train: %v\n%s", err, out)
		}
	}
	list, err := runs.NewStore(rd).List()
	if err != nil || len(list) != 2 {
		t.Fatalf("runs: %v %v", list, err)
	}
	for _, l := range list {
		ids = append(ids, l.Info.ID)
	}
	gone, keep := ids[0], ids[1] // newest first
	if err := runs.NewStore(rd).Shelve(gone, runs.ShelfTrash); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "runs", "--runs", rd); err != nil || strings.Contains(out, gone) || !strings.Contains(out, keep) {
		t.Errorf("runs after a delete: %v\n%s", err, out)
	}
	size, err := runs.NewStore(rd).ShelfSize(runs.ShelfTrash)
	if err != nil || size == 0 {
		t.Fatalf("the trash's size: %d %v", size, err)
	}
	want := fmt.Sprintf("deleted runs in %s, %.1f MiB ('maskdash runs restore RUN' brings one back, 'maskdash runs empty-trash' frees the space)", filepath.Join(rd, ".trash"), float64(size)/(1<<20))
	if out, err := run(t, "runs", "--runs", rd, "--deleted"); err != nil || !strings.Contains(out, want) || !strings.Contains(out, gone) || strings.Contains(out, keep) {
		t.Errorf("runs --deleted: %v\n%s", err, out)
	}
	if out, err := run(t, "runs", "--runs", rd, "--archived"); err != nil || !strings.Contains(out, "no archived runs in") {
		t.Errorf("runs --archived with none: %v\n%s", err, out)
	}
	if out, err := run(t, "runs", "restore", gone, "--runs", rd); err != nil || !strings.Contains(out, gone+" is back in "+rd+" (it was deleted)") {
		t.Errorf("runs restore: %v\n%s", err, out)
	}
	if out, err := run(t, "runs", "--runs", rd); err != nil || !strings.Contains(out, gone) {
		t.Errorf("runs after restore: %v\n%s", err, out)
	}
	if err := runs.NewStore(rd).Shelve(gone, runs.ShelfTrash); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "runs", "empty-trash", "--runs", rd); err != nil || !strings.Contains(out, "deleted 1 run for good") {
		t.Errorf("runs empty-trash: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(rd, ".trash")); !os.IsNotExist(err) {
		t.Errorf("the trash is still there: %v", err)
	}
	for args, want := range map[string]string{
		"runs --archived --deleted": "--archived and --deleted list different folders: give one",
		"runs restore " + gone:      `no archived or deleted run "` + gone + `"`,
		"runs restore":              "a run id",
	} {
		out, err := run(t, append(strings.Fields(args), "--runs", rd)...)
		if err == nil || !strings.Contains(out, want) || strings.Count(strings.TrimSpace(out), "\n") > 0 {
			t.Errorf("%s: want one sentence with %q, got %v %q", args, want, err, out)
		}
	}
}
