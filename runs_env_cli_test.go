package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunsFolderFromTheEnvironment: with MASKDASH_RUNS set, a run trained
// from one folder lists from another (one folder for every run, wherever
// maskdash starts), no ./maskdash-runs appears, and --runs still wins.
func TestRunsFolderFromTheEnvironment(t *testing.T) {
	data, home, here, there := tinySet(t), t.TempDir(), t.TempDir(), t.TempDir()
	in := func(dir string, env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	env := []string{"MASKDASH_RUNS=" + home}
	in(here, env, "train", "--headless", "--data", data, "--img", "16x16", "--batch", "8", "--epochs", "1", "--name", "fromenv")
	if _, err := os.Stat(filepath.Join(here, "maskdash-runs")); err == nil {
		t.Error("the run went to ./maskdash-runs with MASKDASH_RUNS set")
	}
	if out := in(there, env, "runs"); !strings.Contains(out, "-fromenv") {
		t.Errorf("runs from another folder with MASKDASH_RUNS:\n%s", out)
	}
	if out := in(there, env, "runs", "--runs", filepath.Join(there, "other")); strings.Contains(out, "-fromenv") {
		t.Errorf("--runs did not win over MASKDASH_RUNS:\n%s", out)
	}
	if out := in(there, nil, "runs", "--help"); !strings.Contains(out, "MASKDASH_RUNS") {
		t.Errorf("runs --help does not name MASKDASH_RUNS:\n%s", out)
	}
}
