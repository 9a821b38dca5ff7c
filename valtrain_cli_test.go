package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestValTrainCommandLine: a run with --val-train as a user drives it from
// the shell: its last epoch's line says its validation images were seen,
// the run ends saying which checkpoint predictions use, compare marks the
// epoch (text and JSON), runs finds it by the flag's name, predict and
// eval use that checkpoint, a child run of it says its validation is not
// held out, and calibrate refuses the checkpoint in one sentence.
func TestValTrainCommandLine(t *testing.T) {
	data, runsDir := tinySet(t), t.TempDir()
	out, err := run(t, "train", "--headless", "--data", data, "--runs", runsDir, "--img", "16x16", "--batch", "8",
		"--epochs", "2", "--val-train", "1", "--erase", "0.5", "--name", "vt")
	if err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	for _, want := range []string{"val-train 1 (from epoch 2)", "erasing 0.5", "epoch 2/2 done", "(validation images seen in training: --val-train)",
		"best macro F1", "at epoch 1 (held out); predictions use epoch 2's checkpoint"} {
		if !strings.Contains(out, want) {
			t.Errorf("train's output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "seen in training") != 1 {
		t.Errorf("more than the last epoch marked seen:\n%s", out)
	}
	if out, err := run(t, "runs", "--runs", runsDir, "--filter", "val-train=1"); err != nil || !strings.Contains(out, "vt") {
		t.Errorf("runs --filter val-train=1: %v\n%s", err, out)
	}
	out, err = run(t, "compare", "vt", "--runs", runsDir)
	if err != nil || !strings.Contains(out, "[1] validated on images it trained on from epoch 2 (--val-train, dashed)") || !strings.Contains(out, "╌") {
		t.Errorf("compare: %v\n%s", err, out)
	}
	out, err = run(t, "compare", "vt", "--runs", runsDir, "--json")
	var doc struct {
		Runs []struct {
			SeenFrom int `json:"seen_from"`
			Best     struct {
				Epoch int `json:"epoch"`
			} `json:"best"`
		} `json:"runs"`
	}
	if err != nil || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Runs) != 1 || doc.Runs[0].SeenFrom != 2 || doc.Runs[0].Best.Epoch != 1 {
		t.Errorf("compare --json: %v %+v\n%s", err, doc, out)
	}
	if out, err := run(t, "predict", "vt", "--runs", runsDir, "--out", t.TempDir()+"/p.csv"); err != nil || !strings.Contains(out, "wrote") {
		t.Errorf("predict: %v\n%s", err, out)
	}
	if out, err := run(t, "eval", "vt", "--runs", runsDir); err != nil || !strings.Contains(out, "/checkpoints/002-") {
		t.Errorf("eval does not use epoch 2's checkpoint: %v\n%s", err, out)
	}
	if out, err := run(t, "train", "--headless", "--from", "vt", "--data", data, "--runs", runsDir, "--img", "16x16", "--batch", "8", "--epochs", "1", "--name", "child"); err != nil ||
		!strings.Contains(out, "the weights this run starts from trained on every labelled image") || !strings.Contains(out, "(validation images seen in training: --val-train)") {
		t.Errorf("a child of the val-trained run: %v\n%s", err, out)
	}
	out, err = run(t, "calibrate", "vt", "--runs", runsDir)
	if err == nil || !strings.Contains(out, "has trained on its validation images (--val-train)") || strings.Count(strings.TrimSpace(out), "\n") > 0 {
		t.Errorf("calibrate of the val-trained checkpoint: %v\n%s", err, out)
	}
}
