package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestGPUPipelineTrainsAsOneStepAtATime: a run on the emulated GPU with
// MASKDASH_GPU_PIPELINE=1 (each step queued, with its update, before the
// step before's results are read) trains to the same weights, bit for
// bit, and prints the same figures as the same run with one step at a
// time. It needs the emulator's binary (MASKDASH_TEST_TAGS=gpuemu, as
// scripts/gpuemu-check.sh builds it): the default build has no GPU, and
// on a real one cuDNN's persistent BatchNorm sums in varying order, so
// two runs differ in their last digits whatever the pipeline
// (TestGPUPipelinedStepsMatch in package models holds a real GPU's steps
// to 1e-3).
func TestGPUPipelineTrainsAsOneStepAtATime(t *testing.T) {
	if out, _ := run(t, "bench", "--device", "cuda", "--model", "cnn-s", "--batch", "2", "--img", "16x16", "--steps", "1", "--json"); !strings.Contains(out, `"device":"cuda-emulated"`) {
		t.Skip("not the GPU emulator's binary: scripts/gpuemu-check.sh runs the test there")
	}
	data := tinySet(t)
	figures := regexp.MustCompile(`(?m)^epoch \d+/\d+ done .*$`)
	var weights [2][]byte
	var lines [2][]string
	for i, on := range []string{"0", "1"} {
		rd := t.TempDir()
		cmd := exec.Command(bin, "train", "--headless", "--device", "cuda", "--data", data, "--runs", rd, "--img", "16x16",
			"--batch", "8", "--epochs", "2", "--seed", "3")
		cmd.Env = append(os.Environ(), "MASKDASH_GPU_PIPELINE="+on)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("train with MASKDASH_GPU_PIPELINE=%s: %v\n%s", on, err, out)
		}
		lines[i] = figures.FindAllString(string(out), -1)
		ckpts, err := filepath.Glob(filepath.Join(rd, "*", "checkpoints", "002-???????.safetensors"))
		if err != nil || len(ckpts) != 1 {
			t.Fatalf("the last checkpoint of %s: %v %v", rd, ckpts, err)
		}
		if weights[i], err = os.ReadFile(ckpts[0]); err != nil {
			t.Fatal(err)
		}
	}
	if len(lines[0]) != 2 || strings.Join(lines[0], "\n") != strings.Join(lines[1], "\n") {
		t.Errorf("one step at a time:\n%s\npipelined:\n%s", strings.Join(lines[0], "\n"), strings.Join(lines[1], "\n"))
	}
	if !bytes.Equal(weights[0], weights[1]) {
		t.Error("the pipelined run's weights differ from one step at a time's")
	}
}
