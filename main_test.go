package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "maskdash-bin")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "maskdash")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func tinySet(t *testing.T) string {
	dir := t.TempDir()
	if err := dataset.Synthesize(context.Background(), dataset.SynthConfig{Out: dir, Profiles: 24, W: 48, H: 64, Eval: 14, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestBadInputIsOneSentence: bad input gets one sentence naming it on
// stderr and a non-zero exit.
func TestBadInputIsOneSentence(t *testing.T) {
	data := tinySet(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"stats", "--data", "/no/such/folder"}, "/no/such/folder does not exist"},
		{[]string{"stats", "--data", data, "--format", "tfrecord"}, `format "tfrecord" is unknown`},
		{[]string{"train", "--headless", "--data", data, "--model", "alexnet"}, "valid models: cnn-s"},
		{[]string{"train", "--headless", "--data", data, "--loss", "dice"}, "valid losses: ce, focal, smooth, f1"},
		{[]string{"train", "--headless", "--data", data, "--optim", "lion"}, "valid optimizers: sgd, adam, adamw, adamp"},
		{[]string{"train", "--headless", "--data", data, "--img", "64"}, "want WxH"},
		{[]string{"eval", "--run", "nope", "--data", data, "--runs", t.TempDir()}, `no run "nope"`},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
	} {
		out, err := run(t, c.args...)
		if err == nil {
			t.Errorf("%v: exit 0", c.args)
			continue
		}
		if !strings.Contains(out, c.want) || strings.Count(strings.TrimSpace(out), "\n") > 0 || strings.Contains(out, "goroutine") {
			t.Errorf("%v: want one sentence with %q, got %q", c.args, c.want, out)
		}
	}
}

// TestTrainPredictEvalEnsemble goes through the user's commands on a tiny
// set: train headless, list, eval, predict (with TTA), ensemble, compare.
func TestTrainPredictEvalEnsemble(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	common := []string{"--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "2"}
	if out, err := run(t, append([]string{"train", "--loss", "0.6focal+0.4f1"}, common...)...); err != nil || !strings.Contains(out, "epoch 2/2 done") {
		t.Fatalf("train: %v\n%s", err, out)
	}
	if out, err := run(t, append([]string{"train", "--model", "cnn-s-mh", "--optim", "adamp", "--sampler", "balance"}, common...)...); err != nil {
		t.Fatalf("train mh: %v\n%s", err, out)
	}
	out, err := run(t, "runs", "--runs", rd, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []runRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("runs --json: %v %s", err, out)
	}
	a, b := rows[0].ID, rows[1].ID
	if out, err := run(t, "eval", "--run", a, "--data", data, "--runs", rd, "--json"); err != nil || !strings.Contains(out, `"macro_f1"`) {
		t.Errorf("eval: %v %s", err, out)
	}
	csv := filepath.Join(t.TempDir(), "out.csv")
	if out, err := run(t, "predict", "--run", b, "--data", data, "--runs", rd, "--out", csv, "--tta"); err != nil {
		t.Fatalf("predict: %v %s", err, out)
	}
	got, _ := os.ReadFile(csv)
	info, _ := os.ReadFile(filepath.Join(data, "eval", "info.csv"))
	gl, il := strings.Split(strings.TrimSpace(string(got)), "\n"), strings.Split(strings.TrimSpace(string(info)), "\n")
	if len(gl) != len(il) || gl[0] != "ImageID,ans" {
		t.Fatalf("predictions have %d lines, info.csv %d", len(gl), len(il))
	}
	for i := 1; i < len(il); i++ {
		if strings.Split(gl[i], ",")[0] != strings.Split(il[i], ",")[0] {
			t.Fatalf("row %d is %q, info.csv has %q: not in info.csv order", i, gl[i], il[i])
		}
	}
	ens := filepath.Join(t.TempDir(), "ens.csv")
	if out, err := run(t, "ensemble", "--run", a, "--run", b, "--data", data, "--runs", rd, "--out", ens); err != nil || !strings.Contains(out, "soft vote of 2 runs") {
		t.Errorf("ensemble: %v %s", err, out)
	}
	if out, err := run(t, "compare", a, b, "--runs", rd); err != nil || !strings.Contains(out, "validation f1 per epoch") || !strings.Contains(out, "model") {
		t.Errorf("compare: %v %s", err, out)
	}
}

// TestKillAndResume kills headless training with SIGKILL at random points
// and resumes it, again and again; the run always lists, and in the end
// its log has strictly increasing steps and no epoch twice.
func TestKillAndResume(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	args := []string{"train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "6"}
	id := ""
	for k := 0; k < 6; k++ {
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(300+r.IntN(1500)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		list, err := runs.NewStore(rd).List()
		if err != nil || len(list) > 1 {
			t.Fatalf("after kill %d: %v %v", k, list, err)
		}
		if len(list) == 0 {
			continue // killed before the run folder was made: start again
		}
		if list[0].Err != nil {
			t.Fatalf("after kill %d the run does not list: %v", k, list[0].Err)
		}
		id = list[0].Info.ID
		if st := list[0].Info.Status; st != runs.StatusCrashed && st != runs.StatusDone {
			t.Errorf("after kill %d status %s", k, st)
		}
		// Resume from now on (a run without a checkpoint yet starts over).
		args = []string{"resume", id, "--headless", "--runs", rd}
	}
	if id == "" {
		t.Fatal("no kill left a run behind")
	}
	before, err := runs.NewStore(rd).Info(id)
	if err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "resume", id, "--headless", "--runs", rd)
	if before.Status == runs.StatusDone {
		// A finished run is not resumed: it says so and how to go on.
		if err == nil || !strings.Contains(out, "has finished all its 6 epochs") || !strings.Contains(out, "--epochs N") {
			t.Fatalf("resume of a finished run: %v\n%s", err, out)
		}
	} else if err != nil {
		t.Fatalf("final resume: %v\n%s", err, out)
	}
	info, err := runs.NewStore(rd).Info(id)
	if err != nil || info.Status != runs.StatusDone || info.EpochsDone != 6 {
		t.Fatalf("final: %+v %v", info, err)
	}
	evs, err := training.ReplayLog(runs.NewStore(rd).Path(id))
	if err != nil {
		t.Fatal(err)
	}
	last := -1
	epochs := map[int]bool{}
	for _, e := range evs {
		switch e.Kind {
		case training.KindStep:
			if e.Step <= last {
				t.Fatalf("step %d after step %d", e.Step, last)
			}
			last = e.Step
		case training.KindEpoch:
			if epochs[e.Epoch] {
				t.Fatalf("epoch %d logged twice", e.Epoch)
			}
			epochs[e.Epoch] = true
		}
	}
	if len(epochs) != 6 {
		t.Errorf("epochs logged: %v", epochs)
	}
}

// TestTmuxSmoke runs scripts/tmux-smoke.sh against the built binary.
func TestTmuxSmoke(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (apt-get install tmux)")
	}
	out, err := exec.Command("bash", "scripts/tmux-smoke.sh", bin).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "passed") {
		t.Fatalf("%v\n%s", err, out)
	}
}
