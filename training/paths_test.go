package training

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
)

// TestResumeWithMovedData: a run records its data folder absolute though
// it was given relative, so it resumes and evaluates from any folder; a
// run whose data moved says so and resumes with --data where it is now
// (run.json then records that), and refuses a folder of other images.
func TestResumeWithMovedData(t *testing.T) {
	work := t.TempDir()
	if err := os.CopyFS(filepath.Join(work, "d1"), os.DirFS(tinyData(t))); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work)
	cfg := tinyConfig(t, filepath.Join(work, "runs"))
	cfg.Data, cfg.Epochs = "d1", 1
	tr, _, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := tr.RunID()
	store := runs.NewStore(cfg.Runs)
	info, _ := store.Info(id)
	if want := filepath.Join(work, "d1"); info.DataDir != want || info.Config["data"] != want {
		t.Errorf("run.json records the data folder %q (config %v), want %q", info.DataDir, info.Config["data"], want)
	}

	if err := os.Rename(filepath.Join(work, "d1"), filepath.Join(work, "d2")); err != nil {
		t.Fatal(err)
	}
	again := Config{Runs: cfg.Runs, Resume: id, Epochs: 2, StepEvery: time.Nanosecond, Workers: 2}
	if _, _, err := start(t.Context(), again, NewHub()); err == nil || !strings.Contains(err.Error(), "--data DIR") {
		t.Errorf("resume after the data moved: %v", err)
	}

	other := filepath.Join(work, "other")
	if err := dataset.Synthesize(t.Context(), dataset.SynthConfig{Out: other, Profiles: 30, W: 48, H: 64, Eval: 5, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	again.Data = other
	if _, _, err := start(t.Context(), again, NewHub()); err == nil || !strings.Contains(err.Error(), "trained on") {
		t.Errorf("resume on other images: %v", err)
	}

	again.Data = "d2"
	if _, _, err := runTrainer(t, again, nil); err != nil {
		t.Fatalf("resume --data where the data is now: %v", err)
	}
	info, _ = store.Info(id)
	if want := filepath.Join(work, "d2"); info.DataDir != want || info.Config["data"] != want || info.EpochsDone != 2 {
		t.Errorf("after resume --data: data folder %q (config %v), %d epochs; want %q", info.DataDir, info.Config["data"], info.EpochsDone, want)
	}
}
