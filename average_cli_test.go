package main

import (
	"strings"
	"testing"
)

// TestAverageCommand: maskdash average writes the average of a run's
// last epochs, which eval then takes by its name; too few checkpoints,
// --last 1 and an unknown run are one sentence each.
func TestAverageCommand(t *testing.T) {
	data, rd := tinySet(t), t.TempDir()
	if o, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "3", "--name", "a", "--model", "vgg-s"); err != nil {
		t.Fatalf("train: %v\n%s", err, o)
	}
	out, err := run(t, "average", "a", "--runs", rd, "--last", "3")
	if err != nil || !strings.Contains(out, "the weights of epochs 1, 2, 3 averaged, BatchNorm's statistics taken again from ") ||
		!strings.Contains(out, "take it as --ckpt avg-003-3") {
		t.Fatalf("average: %v\n%s", err, out)
	}
	if o, err := run(t, "eval", "a", "--runs", rd, "--ckpt", "avg-003-3"); err != nil || !strings.Contains(o, "avg-003-3.safetensors on ") {
		t.Errorf("eval --ckpt avg-003-3: %v\n%s", err, o)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"average", "a", "--runs", rd, "--last", "1"}, "an average needs two checkpoints or more, not 1"},
		{[]string{"average", "a", "--runs", rd, "--last", "5"}, "keeps 3 epoch-end checkpoints, fewer than the 5 asked for"},
		{[]string{"average", "nobody", "--runs", rd}, `no run "nobody"`},
	} {
		o, err := run(t, c.args...)
		if err == nil || !strings.Contains(o, c.want) || strings.Count(strings.TrimSpace(o), "\n") > 0 {
			t.Errorf("%v: want one sentence with %q, got %v %q", c.args, c.want, err, o)
		}
	}
}
