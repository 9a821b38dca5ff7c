package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestChildRunTakesItsParentsSettings: train --from RUN takes every
// setting its command line does not give from its parent (data, model,
// size, batch, loss, sampler, tricks), the ones it gives from the command
// line, and its own name; an unknown parent is one sentence.
func TestChildRunTakesItsParentsSettings(t *testing.T) {
	data, runsDir := tinySet(t), t.TempDir()
	out, err := run(t, "train", "--headless", "--data", data, "--runs", runsDir, "--img", "16x16", "--batch", "8", "--epochs", "1",
		"--loss", "focal", "--sampler", "balance", "--erase", "0.25", "--seed", "7", "--name", "parent")
	if err != nil {
		t.Fatalf("parent: %v\n%s", err, out)
	}
	out, err = run(t, "train", "--headless", "--from", "parent", "--runs", runsDir, "--lr", "0.0005", "--epochs", "1", "--name", "kid")
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	kid := runConfig(t, runsDir, "kid")
	for k, want := range map[string]any{"data": data, "img": "16x16", "batch": 8.0, "loss": "focal", "sampler": "balance",
		"erase": 0.25, "seed": 7.0, "lr": 0.0005, "epochs": 1.0, "name": "kid"} {
		if got := kid[k]; got != want {
			t.Errorf("the child's %s is %v, want %v", k, got, want)
		}
	}
	if !strings.HasSuffix(kid["from"].(string), "-parent") {
		t.Errorf("the child's parent is %v", kid["from"])
	}
	// A setting given drops the parent's settings that depend on it:
	// --no-augment its --erase, which it would refuse beside it.
	if out, err := run(t, "train", "--headless", "--from", "parent", "--runs", runsDir, "--no-augment", "--epochs", "1", "--name", "plain"); err != nil || strings.Contains(out, "erasing") ||
		!strings.Contains(out, "augmentation off") {
		t.Errorf("a child with --no-augment: %v\n%s", err, out)
	}
	// --augmentation its --no-augment, which it would refuse beside it.
	if out, err := run(t, "train", "--headless", "--from", "plain", "--runs", runsDir, "--augmentation", "strong", "--epochs", "1", "--name", "strong"); err != nil ||
		!strings.Contains(out, "augmentation strong") || strings.Contains(out, "augmentation off") {
		t.Errorf("a child with --augmentation strong of a parent with --no-augment: %v\n%s", err, out)
	}
	// A child for one task: its head starts fresh and trains alone for
	// --freeze-epochs, which its own child does not take.
	out, err = run(t, "train", "--headless", "--from", "parent", "--runs", runsDir, "--task", "gender", "--freeze-epochs", "1", "--epochs", "2", "--name", "gender")
	if err != nil || !strings.Contains(out, "fresh: fc.weight, fc.bias (18 classes there, 2 here)") || !strings.Contains(out, "freeze-epochs 1") ||
		!strings.Contains(out, "epoch 2: the tensors from ") {
		t.Errorf("a child for the gender task: %v\n%s", err, out)
	}
	out, err = run(t, "train", "--headless", "--from", "gender", "--runs", runsDir, "--epochs", "1", "--name", "grandchild")
	if err != nil || strings.Contains(out, "freeze") || !strings.Contains(out, "task gender") {
		t.Errorf("the gender run's child: %v\n%s", err, out)
	}
	// A parent of another layout and classes (an image folder of two):
	// given --data, the child detects its layout again and starts its
	// head fresh.
	folder := t.TempDir()
	for c, name := range []string{"dark", "light"} {
		if err := os.MkdirAll(filepath.Join(folder, name), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range 8 {
			img := image.NewGray(image.Rect(0, 0, 16, 16))
			for j := range img.Pix {
				img.Pix[j] = uint8(c*160 + (i*j)%90)
			}
			var b bytes.Buffer
			if err := png.Encode(&b, img); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(folder, name, fmt.Sprintf("%d.png", i)), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if out, err := run(t, "train", "--headless", "--data", folder, "--format", "folder", "--runs", runsDir, "--img", "16x16", "--batch", "4",
		"--epochs", "1", "--model", "vgg-s", "--name", "folders"); err != nil {
		t.Fatalf("a parent on an image folder: %v\n%s", err, out)
	}
	out, err = run(t, "train", "--headless", "--from", "folders", "--data", data, "--runs", runsDir, "--epochs", "1", "--name", "masks")
	if err != nil || !strings.Contains(out, "fresh: fc.weight, fc.bias (2 classes there, 18 here)") {
		t.Errorf("a child on the mask layout of a parent on an image folder: %v\n%s", err, out)
	}
	out, err = run(t, "train", "--headless", "--from", "nobody", "--runs", runsDir)
	if err == nil || !strings.Contains(out, `--from: no run "nobody"`) || strings.Count(strings.TrimSpace(out), "\n") > 0 {
		t.Errorf("--from nobody: %v\n%s", err, out)
	}
}

// TestChildOfARunWhoseDataMoved: a child run that would take its parent's
// data folder, which has moved since, says so in one sentence and trains
// with --data where the data is now.
func TestChildOfARunWhoseDataMoved(t *testing.T) {
	work, runsDir := t.TempDir(), t.TempDir()
	d1, d2 := filepath.Join(work, "d1"), filepath.Join(work, "d2")
	if err := os.CopyFS(d1, os.DirFS(tinySet(t))); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "train", "--headless", "--data", d1, "--runs", runsDir, "--img", "16x16", "--batch", "8", "--epochs", "1", "--name", "parent"); err != nil {
		t.Fatalf("parent: %v\n%s", err, out)
	}
	if err := os.Rename(d1, d2); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "train", "--headless", "--from", "parent", "--runs", runsDir, "--epochs", "1", "--name", "kid")
	if err == nil || !strings.Contains(out, "its data folder "+d1+" is not there now") || !strings.Contains(out, "--data DIR") || strings.Count(strings.TrimSpace(out), "\n") > 0 {
		t.Errorf("a child of a run whose data moved: %v\n%s", err, out)
	}
	if out, err := run(t, "train", "--headless", "--from", "parent", "--data", d2, "--runs", runsDir, "--epochs", "1", "--name", "kid"); err != nil {
		t.Errorf("the child with --data where the data is now: %v\n%s", err, out)
	}
}

// runConfig is the settings in run.json of the run named name in
// runsDir.
func runConfig(t *testing.T, runsDir, name string) map[string]any {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(runsDir, "*-"+name, "run.json"))
	if err != nil || len(files) != 1 {
		t.Fatalf("%s's run.json: %v %v", name, files, err)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	return info.Config
}

// TestChildRunOfAPlateauRun: a child of a run with the plateau schedule
// keeps its wait and factor, unless it gives another schedule: then they
// are dropped, not refused beside it.
func TestChildRunOfAPlateauRun(t *testing.T) {
	data, runsDir := tinySet(t), t.TempDir()
	out, err := run(t, "train", "--headless", "--data", data, "--runs", runsDir, "--img", "16x16", "--batch", "8", "--epochs", "1",
		"--schedule", "plateau", "--lr-patience", "2", "--lr-gamma", "0.2", "--name", "parent")
	if err != nil {
		t.Fatalf("parent: %v\n%s", err, out)
	}
	config := func(name string) map[string]any { return runConfig(t, runsDir, name) }
	if out, err := run(t, "train", "--headless", "--from", "parent", "--runs", runsDir, "--epochs", "1", "--name", "same"); err != nil {
		t.Fatalf("a child of the same schedule: %v\n%s", err, out)
	}
	if c := config("same"); c["schedule"] != "plateau" || c["lr_patience"] != 2.0 || c["lr_gamma"] != 0.2 {
		t.Errorf("a child of the same schedule: schedule %v, patience %v, gamma %v", c["schedule"], c["lr_patience"], c["lr_gamma"])
	}
	if out, err := run(t, "train", "--headless", "--from", "parent", "--runs", runsDir, "--schedule", "cosine", "--epochs", "1", "--name", "cosine"); err != nil {
		t.Fatalf("a child with --schedule cosine: %v\n%s", err, out)
	}
	if c := config("cosine"); c["schedule"] != "cosine" || c["lr_patience"] != nil || c["lr_gamma"] != nil {
		t.Errorf("a child with --schedule cosine: schedule %v, patience %v, gamma %v", c["schedule"], c["lr_patience"], c["lr_gamma"])
	}
	if out, err := run(t, "train", "--headless", "--data", data, "--runs", runsDir, "--lr-gamma", "1.5", "--schedule", "plateau"); err == nil || !strings.Contains(out, "a factor above 0 and below 1") {
		t.Errorf("--lr-gamma 1.5: %v\n%s", err, out)
	}
}

// TestChildRunOfAnEMARun: a child of a run with --ema keeps its average
// (--ema and --ema-every); given --ema 0 it drops --ema-every, which it
// would refuse alone, and trains without one. --ema-every without --ema
// and a decay of 1 are refused in a sentence each.
func TestChildRunOfAnEMARun(t *testing.T) {
	data, runsDir := tinySet(t), t.TempDir()
	out, err := run(t, "train", "--headless", "--data", data, "--runs", runsDir, "--img", "16x16", "--batch", "8", "--epochs", "1",
		"--ema", "0.9", "--ema-every", "2", "--name", "parent")
	if err != nil || !strings.Contains(out, "ema 0.9 every 2") || !strings.Contains(out, "(--ema's average; the training weights' F1 ") {
		t.Fatalf("parent: %v\n%s", err, out)
	}
	// Its exported epochs give both weights' F1.
	exp := t.TempDir()
	if out, err := run(t, "export", "parent", "--runs", runsDir, "--out", exp); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(exp, "*-epochs.csv"))
	if len(files) != 1 {
		t.Fatalf("export wrote %v", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(rows) != 2 || !strings.HasSuffix(rows[0], ",val_macro_f1_training_weights") || strings.HasSuffix(rows[1], ",") {
		t.Errorf("the exported epochs:\n%s", b)
	}
	config := func(name string) map[string]any { return runConfig(t, runsDir, name) }
	if out, err := run(t, "train", "--headless", "--from", "parent", "--runs", runsDir, "--epochs", "1", "--name", "same"); err != nil {
		t.Fatalf("a child: %v\n%s", err, out)
	}
	if c := config("same"); c["ema"] != 0.9 || c["ema_every"] != 2.0 {
		t.Errorf("a child: ema %v every %v", c["ema"], c["ema_every"])
	}
	out, err = run(t, "train", "--headless", "--from", "parent", "--runs", runsDir, "--ema", "0", "--epochs", "1", "--name", "plain")
	if err != nil || strings.Contains(out, "--ema's average") {
		t.Fatalf("a child with --ema 0: %v\n%s", err, out)
	}
	if c := config("plain"); c["ema"] != nil || c["ema_every"] != nil {
		t.Errorf("a child with --ema 0: ema %v every %v", c["ema"], c["ema_every"])
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--ema-every", "4"}, "--ema-every 4 is how often --ema's moving average of the weights is updated, and there is none"},
		{[]string{"--ema", "1"}, `invalid argument "1" for "--ema" flag: want a number from 0 up to (not including) 1`},
	} {
		args := append([]string{"train", "--headless", "--data", data, "--runs", runsDir}, bad.args...)
		if out, err := run(t, args...); err == nil || !strings.Contains(out, bad.want) {
			t.Errorf("%v: %v\n%s", bad.args, err, out)
		}
	}
}
