package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"golang.org/x/sys/cpu"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "maskdash-bin")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "maskdash")
	// MASKDASH_TEST_TAGS builds the binary under test with build tags:
	// "gpuemu" runs every command of these tests on the GPU emulator
	// (--device auto picks it; scripts/gpuemu-check.sh does so).
	args := []string{"build", "-o", bin}
	if tags := os.Getenv("MASKDASH_TEST_TAGS"); tags != "" {
		args = append(args, "-tags", tags)
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
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

// unreadableSet is a tinySet whose image files are cut to 10 bytes: its
// layout and labels read, its images do not (a copy gone bad).
func unreadableSet(t *testing.T) string {
	t.Helper()
	dir := tinySet(t)
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".jpg") {
			n++
			err = os.Truncate(p, 10)
		}
		return err
	})
	if err != nil || n == 0 {
		t.Fatalf("cutting the images of %s: %d cut, %v", dir, n, err)
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
		{[]string{"train", "--headless", "--data", data, "--epochs", "-3"}, `invalid argument "-3" for "--epochs"`},
		{[]string{"train", "--headless", "--data", data, "--batch", "0"}, `invalid argument "0" for "--batch"`},
		{[]string{"train", "--headless", "--data", data, "--lr", "-1"}, `invalid argument "-1" for "--lr"`},
		{[]string{"train", "--headless", "--data", data, "--epochs", "abc"}, "see 'maskdash train --help'"},
		{[]string{"train", "--headless", "--val-ratio", "1.5"}, `"--val-ratio"`},
		{[]string{"train", "--no-such-flag"}, "unknown flag: --no-such-flag"},
		{[]string{"resume"}, "resume needs a run id"},
		{[]string{"eval"}, "eval needs a run"},
		{[]string{"train", "--headless", "--data", data, "--precision", "fp16"}, `precision "fp16" is unknown; use fp32, tf32, strict or bf16`},
		{[]string{"bench", "--precision", "half"}, `precision "half" is unknown`},
		{[]string{"bench", "--device", "cpu", "--pipeline"}, "--pipeline needs a GPU, the batch held there"},
		{[]string{"train", "--headless", "--data", data, "--cutmix", "0.6", "--mixup", "0.5"}, "--cutmix 0.6 and --mixup 0.5 add up to more than 1"},
		{[]string{"train", "--headless", "--data", data, "--mixup", "1.5"}, `invalid argument "1.5" for "--mixup"`},
		{[]string{"train", "--headless", "--data", data, "--mixup", "0.5", "--mix-pairs", "friends"}, `--mix-pairs "friends" is unknown; use any or class`},
		{[]string{"train", "--headless", "--data", data, "--erase", "0.5", "--no-augment"}, "--erase 0.5 erases boxes of augmented training images, and --no-augment turns augmentation off: use one of them"},
		{[]string{"control", "somerun", "mixup", "0.3", "zero"}, `α "zero" is not a number above 0`},
		{[]string{"train", "--headless", "--data", data, "--erase", "0.5", "--augmentation", "off"}, "--erase 0.5 erases boxes of augmented training images, and --augmentation off turns augmentation off: use one of them"},
		{[]string{"train", "--headless", "--data", data, "--seed", "-5"}, `invalid argument "-5" for "--seed" flag: want a whole number, 0 or more`},
		{[]string{"synth", "--out", t.TempDir(), "--seed", "x"}, `invalid argument "x" for "--seed" flag: want a whole number, 0 or more`},
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

// TestPrecisionOnTheCPU: a precision other than fp32 on the CPU trains
// and benches, in float32, and says so once.
func TestPrecisionOnTheCPU(t *testing.T) {
	data := tinySet(t)
	note := "--precision bf16 is the GPU's arithmetic: on the CPU this computes in float32"
	out, err := run(t, "train", "--headless", "--device", "cpu", "--precision", "bf16", "--data", data, "--runs", t.TempDir(),
		"--img", "16x16", "--batch", "8", "--epochs", "1")
	if err != nil || strings.Count(out, note) != 1 || !strings.Contains(out, "epoch 1/1 done") {
		t.Errorf("train --precision bf16 on the CPU: %v\n%s", err, out)
	}
	out, err = run(t, "bench", "--device", "cpu", "--precision", "bf16", "--model", "cnn-s", "--batch", "4", "--img", "16x16", "--steps", "2")
	if err != nil || strings.Count(out, note) != 1 || !strings.Contains(out, "images/s") {
		t.Errorf("bench --precision bf16 on the CPU: %v\n%s", err, out)
	}
	if out, err := run(t, "bench", "--device", "cpu", "--model", "cnn-s", "--batch", "4", "--img", "16x16", "--steps", "2"); err != nil ||
		strings.Contains(out, "--precision") {
		t.Errorf("bench in fp32 on the CPU: %v\n%s", err, out)
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
	csv, probs := filepath.Join(t.TempDir(), "out.csv"), filepath.Join(t.TempDir(), "probs.csv")
	if out, err := run(t, "predict", "--run", b, "--data", data, "--runs", rd, "--out", csv, "--tta", "--probs", probs); err != nil {
		t.Fatalf("predict: %v %s", err, out)
	}
	checkProbs(t, csv, probs)
	// The probabilities as pseudo-labels, the surest only.
	if out, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "1",
		"--pseudo-labels", probs, "--pseudo-min-prob", "0.2"); err != nil || !regexp.MustCompile(`\d+ eval images join the training split, labelled by .*probs.csv; \d+ below probability 0.2 stay out`).MatchString(out) {
		t.Errorf("train --pseudo-labels --pseudo-min-prob: %v\n%s", err, out)
	}
	// none (a sweep grid's word for no file), with the shared
	// --pseudo-min-prob a grid's other trials need: trains without
	// pseudo-labels, and opens no file named none.
	if out, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "1",
		"--pseudo-labels", "none", "--pseudo-min-prob", "0.2", "--fix-labels", "none"); err != nil || strings.Contains(out, "join the training split") || strings.Contains(out, "none cannot be read") {
		t.Errorf("train --pseudo-labels none --fix-labels none: %v\n%s", err, out)
	}
	if out, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--pseudo-labels", csv, "--pseudo-min-prob", "0.2"); err == nil || !strings.Contains(out, "needs a file of class probabilities (predict --probs)") {
		t.Errorf("--pseudo-min-prob with a file of classes: %v\n%s", err, out)
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
	ens, ensProbs := filepath.Join(t.TempDir(), "ens.csv"), filepath.Join(t.TempDir(), "ens-probs.csv")
	if out, err := run(t, "ensemble", "--run", a, "--run", b, "--data", data, "--runs", rd, "--out", ens, "--probs", ensProbs); err != nil || !strings.Contains(out, "soft vote of 2 runs") {
		t.Errorf("ensemble: %v %s", err, out)
	}
	checkProbs(t, ens, ensProbs)
	if out, err := run(t, "compare", a, b, "--runs", rd); err != nil || !strings.Contains(out, "validation f1 per epoch") || !strings.Contains(out, "model") {
		t.Errorf("compare: %v %s", err, out)
	}
}

// checkProbs: a --probs file has the predictions' images in their order,
// a column a class, rows that sum to 1, and its most probable class is
// the prediction's.
func checkProbs(t *testing.T, predictions, probs string) {
	t.Helper()
	pb, err := os.ReadFile(probs)
	if err != nil {
		t.Fatal(err)
	}
	pr, _ := os.ReadFile(predictions)
	pl, al := strings.Split(strings.TrimSpace(string(pb)), "\n"), strings.Split(strings.TrimSpace(string(pr)), "\n")
	if len(pl) != len(al) || !strings.HasPrefix(pl[0], "ImageID,0,1,2,") || !strings.HasSuffix(pl[0], ",17") {
		t.Fatalf("%s: %d lines (the predictions %d), header %q", probs, len(pl), len(al), pl[0])
	}
	for i := 1; i < len(pl); i++ {
		f, ans := strings.Split(pl[i], ","), strings.Split(al[i], ",")
		best, sum := 0, 0.0
		for c, s := range f[1:] {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("%s row %d: %v", probs, i, err)
			}
			sum += v
			if v > 0 {
				if b, _ := strconv.ParseFloat(f[1+best], 64); v > b {
					best = c
				}
			}
		}
		if f[0] != ans[0] || strconv.Itoa(best) != ans[1] || math.Abs(sum-1) > 1e-4 {
			t.Fatalf("%s row %d: %s, most probable %d, sum %v; the prediction: %s", probs, i, f[0], best, sum, al[i])
		}
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

// TestHelp: maskdash --help and -h list the commands; each command's
// --help shows its own flags; all exit 0.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		out, err := run(t, args...)
		if err != nil || !strings.Contains(out, "Available Commands:") || !strings.Contains(out, "resume") || !strings.Contains(out, "ensemble") {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
	for cmd, flag := range map[string]string{"train": "--headless", "eval": "--tta", "stats": "--no-check", "serve": "--operators", "runs": "--json"} {
		out, err := run(t, cmd, "--help")
		if err != nil || !strings.Contains(out, "maskdash "+cmd) || !strings.Contains(out, flag) {
			t.Errorf("%s --help: %v\n%s", cmd, err, out)
		}
	}
	if out, _ := run(t, "eval", "--help"); strings.Contains(out, "--headless") {
		t.Errorf("eval --help shows train's flags:\n%s", out)
	}
}

// TestSkipsAreCountedByKind: corrupt images, a bad CSV row and a folder
// whose name does not parse are each counted by kind in stats and warned
// about on stderr, by stats and by train.
func TestSkipsAreCountedByKind(t *testing.T) {
	data := tinySet(t)
	imgs, _ := filepath.Glob(filepath.Join(data, "train", "images", "*", "mask1.*"))
	if len(imgs) < 2 {
		t.Fatalf("tiny set has %d mask1 images", len(imgs))
	}
	for _, p := range imgs[:2] {
		b, _ := os.ReadFile(p)
		os.WriteFile(p, b[:len(b)/3], 0o644) // truncated: the header reads, the pixels do not
	}
	csv := filepath.Join(data, "train", "train.csv")
	b, _ := os.ReadFile(csv)
	os.WriteFile(csv, append(b, []byte("oops,only,three\n")...), 0o644)
	os.MkdirAll(filepath.Join(data, "train", "images", "not-a-profile"), 0o755)
	cmd := exec.Command(bin, "stats", "--data", data, "--json")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("stats: %v %s", err, stderr.String())
	}
	var st dataset.Stats
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatal(err)
	}
	by := st.SkippedBy
	if by[dataset.SkipImage] != 2 || by[dataset.SkipRow] != 1 || by[dataset.SkipFolder] != 1 || st.Skipped != 4 {
		t.Errorf("skipped %d by kind %v, want 2 images, 1 row, 1 folder", st.Skipped, by)
	}
	if n := strings.Count(stderr.String(), "warning: skipped"); n != 4 {
		t.Errorf("stats warned %d times on stderr, want 4:\n%s", n, stderr.String())
	}
	if plain, _ := run(t, "stats", "--data", data); !strings.Contains(plain, "4 skipped (2 images, 1 row, 1 folder)") {
		t.Errorf("stats text:\n%s", plain)
	}
	cmd = exec.Command(bin, "train", "--headless", "--data", data, "--runs", t.TempDir(), "--img", "16x16", "--batch", "8", "--epochs", "1")
	stderr.Reset()
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("train: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"skipped row", "skipped folder", "skipped image"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("train's stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if strings.Contains(string(stdout), "warning") {
		t.Errorf("train warns on stdout:\n%s", stdout)
	}
}

// TestEvalChecksClassesAndKnowsItsData: eval refuses data with other
// classes (as predict does), and eval and predict without --data use the
// data the run trained on.
func TestEvalChecksClassesAndKnowsItsData(t *testing.T) {
	mask := tinySet(t)
	folder := t.TempDir()
	for _, c := range []string{"cat", "dog"} {
		os.MkdirAll(filepath.Join(folder, c), 0o755)
		for i := range 10 {
			img := image.NewRGBA(image.Rect(0, 0, 16, 16))
			for j := range img.Pix {
				img.Pix[j] = uint8(i*7 + j + len(c)*40)
			}
			f, _ := os.Create(filepath.Join(folder, c, fmt.Sprintf("%d.png", i)))
			png.Encode(f, img)
			f.Close()
		}
	}
	rd := t.TempDir()
	if out, err := run(t, "train", "--headless", "--data", folder, "--runs", rd, "--img", "16x16", "--batch", "4", "--epochs", "1", "--name", "pets"); err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	for _, cmd := range [][]string{{"eval", "pets", "--data", mask}, {"predict", "pets", "--data", mask, "--out", filepath.Join(t.TempDir(), "p.csv")}} {
		out, err := run(t, append(cmd, "--runs", rd)...)
		if err == nil || !strings.Contains(out, "the checkpoint predicts 2 classes but the data") {
			t.Errorf("%v: want a refusal, got %v\n%s", cmd, err, out)
		}
	}
	if out, err := run(t, "train", "--headless", "--data", mask, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "1", "--name", "masks"); err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	if out, err := run(t, "eval", "masks", "--runs", rd); err != nil || !strings.Contains(out, mask) || !strings.Contains(out, "macro F1") {
		t.Errorf("eval without --data: %v\n%s", err, out)
	}
	csv := filepath.Join(t.TempDir(), "p.csv")
	if out, err := run(t, "predict", "masks", "--runs", rd, "--out", csv); err != nil || !strings.Contains(out, "wrote") {
		t.Errorf("predict without --data: %v\n%s", err, out)
	}
}

// TestExportCSV: export writes every step and every epoch of a run as CSV
// that reads back to the run's own figures; bad input gets one sentence.
func TestExportCSV(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	if out, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "2", "--name", "x"); err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	out := t.TempDir()
	if o, err := run(t, "export", "x", "--runs", rd, "--out", out); err != nil || strings.Count(o, "wrote ") != 3 {
		t.Fatalf("export: %v\n%s", err, o)
	}
	// The Markdown report: the .md, its two figures and its worst
	// mistakes with their class maps.
	if o, err := run(t, "export", "x", "--runs", rd, "--out", out, "--format", "md"); err != nil || strings.Count(o, "wrote ") < 4 || !strings.Contains(o, ".md\n") ||
		!strings.Contains(o, "-mistake-1.png\n") {
		t.Errorf("export --format md: %v\n%s", err, o)
	}
	info, err := runs.NewStore(rd).Info("x")
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) [][]string {
		f, err := os.Open(filepath.Join(out, info.ID+name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	epochs := read("-epochs.csv")
	if len(epochs) != 3 || epochs[0][5] != "val_macro_f1" {
		t.Fatalf("epochs.csv: %v", epochs)
	}
	best := 0.0
	for _, r := range epochs[1:] {
		v, err := strconv.ParseFloat(r[5], 64)
		if err != nil {
			t.Fatal(err)
		}
		best = max(best, v)
	}
	if math.Abs(best-info.Best.MacroF1) > 1e-12 {
		t.Errorf("best F1 in the CSV %v, run.json %v", best, info.Best.MacroF1)
	}
	// The run's first step is always measured: a row per tensor of cnn-s,
	// each weight moved by its first update.
	layers := read("-layers.csv")
	if len(layers) < 7 || layers[0][7] != "update_ratio" || layers[1][1] != "conv1.weight" || layers[1][3] != "4" {
		t.Fatalf("layers.csv: %v", layers)
	}
	if r, err := strconv.ParseFloat(layers[1][7], 64); err != nil || r <= 0 || r > 1 {
		t.Errorf("conv1.weight's first update/|w| is %q (%v)", layers[1][7], err)
	}
	h, err := runs.ReadHistory(info.Dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	steps := read("-steps.csv")
	// A tiny run may finish before its first step sample (every 250 ms):
	// the steps file then has its header only (runs/export's tests read
	// a long history back).
	if len(steps) != h.Rows+1 || steps[0][0] != "step" {
		t.Fatalf("steps.csv has %d rows, the history %d", len(steps)-1, h.Rows)
	}
	if h.Rows > 0 {
		col := slices.Index(steps[0], "loss")
		last, err := strconv.ParseFloat(steps[len(steps)-1][col], 64)
		if err != nil || math.Abs(last-h.Series["loss"].Last[h.Rows-1]) > 1e-9 {
			t.Errorf("last loss %v (%v), history %v", last, err, h.Series["loss"].Last[h.Rows-1])
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "nope", "--runs", rd}, `no run "nope"`},
		{[]string{"export", "x", "--runs", rd, "--format", "gif"}, `format "gif" is not one of csv, png, svg, html, md, tensorboard`},
		{[]string{"export", "x", "--runs", rd, "--format", "md", "--out", "/proc/version/x"}, "export folder"},
		{[]string{"export", "x", "--runs", rd, "--format", "png", "--size", "big"}, `--size "big" is not WxH`},
		{[]string{"export", "x", "--runs", rd, "--format", "html", "--out", "/proc/version/x"}, "export folder"},
		{[]string{"export", "x", "--runs", rd, "--format", "tensorboard", "--out", "/proc/version/x"}, "export folder"},
		{[]string{"export", "x", "--runs", rd, "--out", "/proc/version/x"}, "export folder"},
	} {
		o, err := run(t, c.args...)
		if err == nil || !strings.Contains(o, c.want) || strings.Count(strings.TrimSpace(o), "\n") > 0 {
			t.Errorf("%v: want one sentence with %q, got %v %q", c.args, c.want, err, o)
		}
	}
}

// TestErrorsListsTheWorstFirst: maskdash errors agrees with the epoch's
// confusion matrix in the log, orders by loss and draws thumbnails.
func TestErrorsListsTheWorstFirst(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	if out, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "2", "--name", "e"); err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	info, err := runs.NewStore(rd).Info("e")
	if err != nil {
		t.Fatal(err)
	}
	evs, err := training.ReplayLog(info.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var conf *training.Confusion
	for _, e := range evs {
		if e.Kind == training.KindEpoch && e.Epoch == 1 {
			conf = e.Conf
		}
	}
	wrong := 0
	for i, row := range conf.M {
		for j, n := range row {
			if i != j {
				wrong += n
			}
		}
	}
	out, err := run(t, "errors", "e", "--runs", rd, "--epoch", "1", "--top", "0", "--images", "none")
	if err != nil {
		t.Fatalf("errors: %v\n%s", err, out)
	}
	if want := fmt.Sprintf("epoch 1: %d of %d validation images misclassified", wrong, conf.Total()); !strings.Contains(out, want) {
		t.Fatalf("want %q in\n%s", want, out)
	}
	losses := regexp.MustCompile(`loss (\d+\.\d+)`).FindAllStringSubmatch(out, -1)
	if len(losses) != wrong {
		t.Fatalf("%d images listed, %d misclassified", len(losses), wrong)
	}
	for i := 1; i < len(losses); i++ {
		a, _ := strconv.ParseFloat(losses[i-1][1], 64)
		b, _ := strconv.ParseFloat(losses[i][1], 64)
		if b > a {
			t.Fatalf("image %d has loss %v after %v: not worst first", i+1, b, a)
		}
	}
	// One cell by numbers: as many as the matrix says.
	ti, pi := 0, 0
	for i, row := range conf.M {
		for j, n := range row {
			if i != j && n > conf.M[ti][pi] {
				ti, pi = i, j
			}
		}
	}
	out, err = run(t, "errors", "e", "--runs", rd, "--epoch", "1", "--cell", fmt.Sprintf("%d,%d", ti, pi), "--top", "1", "--images", "blocks", "--size", "3")
	if err != nil {
		t.Fatalf("errors --cell: %v\n%s", err, out)
	}
	if want := fmt.Sprintf("%d images, worst first", conf.M[ti][pi]); conf.M[ti][pi] > 0 && !strings.Contains(out, want) {
		t.Errorf("want %q in\n%s", want, out)
	}
	if conf.M[ti][pi] > 0 && strings.Count(out, "▀") < 3*3 {
		t.Errorf("no thumbnail of 3 rows drawn:\n%s", out)
	}
	// The same images with their class activation maps, from the weights
	// of epoch 1 (the run keeps them: 2 epochs, 3 checkpoints kept).
	out, err = run(t, "errors", "e", "--runs", rd, "--epoch", "1", "--top", "2", "--images", "blocks", "--size", "3", "--cam", "true")
	if err != nil || !strings.Contains(out, "class activation maps (true class) of epoch 1's weights") || strings.Count(out, "    the map of ") != 2 ||
		strings.Count(out, "▀") < 2*3*3 {
		t.Errorf("errors --cam true: %v\n%s", err, out)
	}
	empty := t.TempDir()
	if o, err := run(t, "train", "--headless", "--data", data, "--runs", empty, "--img", "16x16", "--batch", "8", "--epochs", "1", "--name", "z"); err != nil {
		t.Fatalf("train: %v\n%s", err, o)
	}
	if err := os.RemoveAll(filepath.Join(empty, mustID(t, empty, "z"), "val")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"errors", "nope", "--runs", rd}, `no run "nope"`},
		{[]string{"errors", "e", "--runs", rd, "--cell", "x,1"}, `"x" is not a class of this run`},
		{[]string{"errors", "e", "--runs", rd, "--cell", "1"}, `is not T,P`},
		{[]string{"errors", "e", "--runs", rd, "--epoch", "9"}, `no validation predictions for epoch 9 (it kept epochs 1, 2)`},
		{[]string{"errors", "e", "--runs", rd, "--images", "png"}, `image protocol "png"`},
		{[]string{"errors", "z", "--runs", empty}, `kept no validation predictions`},
		{[]string{"errors", "e", "--runs", rd, "--cam", "both", "--images", "blocks"}, `--cam "both" is not pred or true`},
		{[]string{"errors", "e", "--runs", rd, "--cam", "pred", "--images", "none"}, `--cam draws over the thumbnails, and there are none`},
	} {
		o, err := run(t, c.args...)
		if err == nil || !strings.Contains(o, c.want) || strings.Count(strings.TrimSpace(o), "\n") > 0 {
			t.Errorf("%v: want one sentence with %q, got %v %q", c.args, c.want, err, o)
		}
	}
}

func mustID(t *testing.T, rd, ref string) string {
	t.Helper()
	info, err := runs.NewStore(rd).Info(ref)
	if err != nil {
		t.Fatal(err)
	}
	return info.ID
}

// TestTmuxSweep runs scripts/tmux-sweep.sh: a pause from the dashboard
// reaches a trial training under Slurm.
func TestTmuxSweep(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (apt-get install tmux)")
	}
	slurmUp(t)
	out, err := exec.Command("bash", "scripts/tmux-sweep.sh", bin).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "passed") {
		t.Fatalf("%v\n%s", err, out)
	}
}

// TestCompareTwoRunsClassByClass: compare of two runs adds each class's
// F1 in both, their difference and the confusion difference, in text and
// in JSON, consistent with each run's own log.
func TestCompareTwoRunsClassByClass(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	for n, flags := range map[string][]string{"ca": {"--lr", "0.003"}, "cb": {"--lr", "0.0005", "--cutmix", "0.5"}} {
		if out, err := run(t, append([]string{"train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "2", "--name", n}, flags...)...); err != nil {
			t.Fatalf("train: %v\n%s", err, out)
		}
	}
	out, err := run(t, "compare", "ca", "cb", "--runs", rd)
	if err != nil || !strings.Contains(out, "class by class") || !strings.Contains(out, "gained:") || !strings.Contains(out, "confusion B − A") {
		t.Fatalf("compare: %v\n%s", err, out)
	}
	// A setting one run has and the other lacks (cutmix: run.json leaves
	// it out when off) reads "none", not Go's "<nil>".
	if !regexp.MustCompile(`\[1\] +\S+ca +none +none +0\.003 `).MatchString(out) || strings.Contains(out, "<nil>") {
		t.Errorf("compare's settings:\n%s", out)
	}
	js, err := exec.Command(bin, "compare", "ca", "cb", "--runs", rd, "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Side struct {
			Classes []struct {
				A    float64 `json:"f1_a"`
				B    float64 `json:"f1_b"`
				Diff float64 `json:"f1_diff"`
			} `json:"classes"`
			ConfDiff [][]float64 `json:"confusion_diff"`
		} `json:"side_by_side"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatalf("compare --json: %v\n%s", err, js)
	}
	if len(doc.Side.Classes) != 18 || len(doc.Side.ConfDiff) != 18 {
		t.Fatalf("side_by_side has %d classes and a %d-row matrix", len(doc.Side.Classes), len(doc.Side.ConfDiff))
	}
	for _, c := range doc.Side.Classes {
		if math.Abs(c.B-c.A-c.Diff) > 1e-12 {
			t.Errorf("class F1 %v − %v is not %v", c.B, c.A, c.Diff)
		}
	}
	// The training loss per step, from the runs' history columns: a chart
	// on a step axis, and in JSON each run's values with their steps. Each
	// epoch ends with a sample of its last steps, so even these runs,
	// shorter than a step event's 250 ms, have one an epoch, the last at
	// the run's last step.
	out, err = run(t, "compare", "ca", "cb", "--runs", rd, "--metric", "train-loss")
	if err != nil || !strings.Contains(out, "training loss per step (smoothed): runs [1] ─ [2] ═") || !strings.Contains(out, "═") {
		t.Errorf("compare --metric train-loss: %v\n%s", err, out)
	}
	js, err = exec.Command(bin, "compare", "ca", "cb", "--runs", rd, "--metric", "train-loss", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var steps struct {
		Runs []struct {
			ID    string    `json:"id"`
			Curve []float64 `json:"curve"`
			Steps []int     `json:"steps"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(js, &steps); err != nil || len(steps.Runs) != 2 {
		t.Fatalf("compare --metric train-loss --json: %v\n%s", err, js)
	}
	for _, r := range steps.Runs {
		info, err := runs.NewStore(rd).Info(r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Curve) < 2 || len(r.Curve) != len(r.Steps) || !slices.IsSorted(r.Steps) || r.Steps[len(r.Steps)-1] != info.Steps {
			t.Errorf("run %s (%d steps): %d values at steps %v", r.ID, info.Steps, len(r.Curve), r.Steps)
		}
	}
	// maskdash runs --filter keeps the runs that match (as the
	// dashboard's /), --sort f1 puts the best first.
	if out, err := run(t, "runs", "--runs", rd, "--filter", "lr=0.0005"); err != nil || !strings.Contains(out, "-cb") || strings.Contains(out, "-ca") {
		t.Errorf("runs --filter lr=0.0005: %v\n%s", err, out)
	}
	out, err = run(t, "runs", "--runs", rd, "--sort", "f1", "--json")
	var sorted []runRow
	if err != nil || json.Unmarshal([]byte(out), &sorted) != nil || len(sorted) != 2 || sorted[0].BestF1 < sorted[1].BestF1 {
		t.Errorf("runs --sort f1: %v\n%s", err, out)
	}
	// A comparison by a figure keeps the runs above (or below) it: each
	// run's own best F1 as the bound, by each operator, keeps the runs
	// whose F1 compares so with it (the two runs may tie: two runs this
	// small can both predict one class).
	ops := map[string]func(a, b float64) bool{
		">": func(a, b float64) bool { return a > b }, ">=": func(a, b float64) bool { return a >= b },
		"<": func(a, b float64) bool { return a < b }, "<=": func(a, b float64) bool { return a <= b },
	}
	for _, bound := range sorted {
		for op, holds := range ops {
			filter := "f1" + op + strconv.FormatFloat(bound.BestF1, 'g', -1, 64) + " epochs-done>=1"
			out, err := run(t, "runs", "--runs", rd, "--filter", filter)
			n := 0
			for _, r := range sorted {
				if want := holds(r.BestF1, bound.BestF1); want != strings.Contains(out, r.ID) {
					t.Errorf("runs --filter %s: run %s (F1 %v) listed %v, want %v\n%s", filter, r.ID, r.BestF1, !want, want, out)
				} else if want {
					n++
				}
			}
			if err != nil || (n == 0) != strings.Contains(out, "no run in") {
				t.Errorf("runs --filter %s: %v\n%s", filter, err, out)
			}
		}
	}
	if out, err := run(t, "runs", "--runs", rd, "--filter", "f1>1"); err != nil || !strings.Contains(out, "no run in") {
		t.Errorf("runs --filter f1>1: %v\n%s", err, out)
	}
	// A task's F1 per epoch, each run's log's own figures.
	js, err = exec.Command(bin, "compare", "ca", "cb", "--runs", rd, "--metric", "age-f1", "--json").Output()
	var ages struct {
		Runs []struct {
			ID    string    `json:"id"`
			Curve []float64 `json:"curve"`
		} `json:"runs"`
	}
	if err != nil || json.Unmarshal(js, &ages) != nil || len(ages.Runs) != 2 {
		t.Fatalf("compare --metric age-f1 --json: %v\n%s", err, js)
	}
	for _, r := range ages.Runs {
		dir, _ := runs.NewStore(rd).Resolve(r.ID)
		evs, err := training.ReplayLog(dir)
		if err != nil {
			t.Fatal(err)
		}
		var want []float64
		for _, e := range evs {
			if e.Kind == training.KindEpoch && e.Val != nil {
				want = append(want, e.Val.Tasks["age"].MacroF1)
			}
		}
		if !slices.Equal(r.Curve, want) || len(want) != 2 {
			t.Errorf("%s: compare's age F1 %v, its log's %v", r.ID, r.Curve, want)
		}
	}
	if out, err := run(t, "compare", "ca", "--runs", rd, "--metric", "age"); err == nil || !strings.Contains(out, `metric "age" is unknown; use f1, acc, loss, mask-f1, gender-f1, age-f1 or train-loss`) {
		t.Errorf("compare --metric age: %v\n%s", err, out)
	}
	// compare and ensemble take the same filter: every run it matches,
	// best first (ensemble --top K: the K best).
	if out, err := run(t, "compare", "--runs", rd, "--filter", "epochs-done>=1", "--metric", "acc"); err != nil ||
		!regexp.MustCompile(`\[1\]\s+`+sorted[0].ID+`[^\n]*\n\[2\]\s+`+sorted[1].ID).MatchString(out) {
		t.Errorf("compare --filter: %v\n%s", err, out)
	}
	vote := filepath.Join(t.TempDir(), "vote.csv")
	if out, err := run(t, "ensemble", "--runs", rd, "--filter", "epochs-done>=1", "--top", "1", "--out", vote); err != nil ||
		!strings.Contains(out, "from the filter: "+sorted[0].ID) || strings.Contains(out, sorted[1].ID) || !strings.Contains(out, "soft vote of 1 run ") {
		t.Errorf("ensemble --filter --top 1: %v\n%s", err, out)
	}
	if out, err := run(t, "ensemble", "--runs", rd, "--filter", "f1>1", "--out", vote); err == nil || !strings.Contains(out, `no run in `+rd+` matches "f1>1"`) {
		t.Errorf("ensemble --filter f1>1: %v\n%s", err, out)
	}
	if out, err := run(t, "ensemble", "--runs", rd, "--run", "ca", "--top", "1", "--out", vote); err == nil || !strings.Contains(out, "--top 1 picks among a sweep's trials or a filter's runs") {
		t.Errorf("ensemble --run --top: %v\n%s", err, out)
	}
	// A comparison with a word that is not a number is refused, saying so.
	if out, err := run(t, "runs", "--runs", rd, "--filter", "f1>high"); err == nil || !strings.Contains(out, `the filter's "f1>high" compares f1 with "high", which is not a number`) {
		t.Errorf("runs --filter f1>high: %v\n%s", err, out)
	}
	// Each row of a difference of two row-share matrices sums to 0 (or
	// to ±1 where one run saw no image of that class).
	for i, row := range doc.Side.ConfDiff {
		s := 0.0
		for _, v := range row {
			s += v
		}
		if math.Abs(s) > 1e-9 && math.Abs(math.Abs(s)-1) > 1e-9 {
			t.Errorf("row %d of B−A sums to %v", i, s)
		}
	}
}

// TestBenchReportsTheShareOfPeak: `maskdash bench --json` gives the step's
// FLOPs per image (vgg-s at 32×32: 0.1734 GFLOP, see models.TestStepFLOPs),
// the rate they make at the measured images/s, and on a CPU with FMA the
// cores' measured peak and the share of it, which a real step cannot
// exceed; the text form says the same in a sentence.
func TestBenchReportsTheShareOfPeak(t *testing.T) {
	out, err := run(t, "bench", "--model", "vgg-s", "--img", "32x32", "--batch", "4", "--steps", "2", "--device", "cpu", "--json")
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var r benchResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if math.Abs(r.GFLOPPerImage-0.17342208) > 1e-9 {
		t.Errorf("gflop_per_image %v, want 0.17342208", r.GFLOPPerImage)
	}
	if got := r.ImagesPerS * r.GFLOPPerImage; math.Abs(got-r.GFLOPPerS) > 1e-6*got {
		t.Errorf("gflop_per_s %v, want images/s × GFLOP = %v", r.GFLOPPerS, got)
	}
	// The timed window: the images counted over it give images_per_s.
	want := 1000 * float64(2*4) / r.ImagesPerS // ms
	if ms := float64(r.TimedToMs - r.TimedFromMs); r.TimedFromMs < time.Now().Add(-time.Hour).UnixMilli() ||
		math.Abs(ms-want) > 2+0.01*want { // whole milliseconds at each end
		t.Errorf("timed from %d to %d ms: not the window of 2 steps of 4 images at %v images/s", r.TimedFromMs, r.TimedToMs, r.ImagesPerS)
	}
	if cpu.X86.HasFMA && cpu.X86.HasAVX2 {
		if r.PeakGFLOPPerS <= 0 || r.PeakShare <= 0 || r.PeakShare > 1 || r.PeakUnit == "" {
			t.Errorf("peak %v GFLOP/s (%q), share %v: want a measured peak and a share in (0, 1]", r.PeakGFLOPPerS, r.PeakUnit, r.PeakShare)
		}
	}
	text, err := run(t, "bench", "--model", "cnn-s", "--img", "32x32", "--batch", "4", "--steps", "1", "--device", "cpu")
	if err != nil || !strings.Contains(text, "GFLOP per image") {
		t.Errorf("text output lacks the FLOPs: %v: %s", err, text)
	}
}

// TestBrokenPipeStopsWithACheckpoint: "maskdash train | tee log" in a
// terminal that closes (tee goes first): the run stops with a checkpoint
// at its last step and exits 0, where the next progress line used to kill
// it by SIGPIPE and leave its folder "running".
func TestBrokenPipeStopsWithACheckpoint(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	cmd := exec.Command(bin, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "500")
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut strings.Builder
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Read until the first checkpoint, then close the reader's end.
	lines := bufio.NewScanner(pipe)
	for lines.Scan() && !strings.Contains(lines.Text(), "checkpoint saved") {
	}
	pipe.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stoppedAtLastStep(t, cmd, done, rd, "its output's reader went", &errOut)
}

// stoppedAtLastStep waits up to 60 s for a training command to exit 0
// after what happened to it (why), then checks that its runs folder rd
// holds one run, stopped, whose last checkpoint is at its last step.
func stoppedAtLastStep(t *testing.T, cmd *exec.Cmd, done <-chan error, rd, why string, out fmt.Stringer) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit: %v\n%s", err, out)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 60 s after %s:\n%s", why, out)
	}
	list, err := runs.NewStore(rd).List()
	if err != nil || len(list) != 1 {
		t.Fatalf("runs: %v %v", list, err)
	}
	info := list[0].Info
	if info.Status != runs.StatusStopped {
		t.Errorf("status %s after %s, want stopped\n%s", info.Status, why, out)
	}
	ckpts, _ := filepath.Glob(filepath.Join(rd, info.ID, "checkpoints", "*.safetensors"))
	last := ""
	for _, c := range ckpts {
		last = max(last, filepath.Base(c))
	}
	if want := fmt.Sprintf("%07d", info.Steps); !strings.Contains(last, want) {
		t.Errorf("the last checkpoint is %s, not one at the run's last step %d (%v)", last, info.Steps, ckpts)
	}
}

// TestHangupStopsWithACheckpoint: a run whose terminal goes away (SIGHUP:
// an SSH connection dropped, a terminal window closed) stops as on
// SIGTERM or q, with a checkpoint of where it was and the status
// stopped, instead of dying mid-epoch as crashed; a run started with
// hangups ignored (nohup) trains on through one.
func TestHangupStopsWithACheckpoint(t *testing.T) {
	data := tinySet(t)
	// Started under nohup, this test has hangups ignored, and so would the
	// binary it starts (an ignored signal stays ignored across exec, and
	// the binary then rightly leaves it so): with a handler of the test's
	// own, the binary starts with the default, as from a terminal.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for _, ignored := range []bool{false, true} {
		t.Run(fmt.Sprintf("ignored-%v", ignored), func(t *testing.T) {
			rd := t.TempDir()
			args := []string{"train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "500"}
			cmd := exec.Command(bin, args...)
			if ignored {
				cmd = exec.Command("sh", append([]string{"-c", `trap "" HUP; exec "$0" "$@"`, bin}, args...)...)
			}
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			// Wait for the first epoch's checkpoint: the run is training.
			deadline := time.Now().Add(60 * time.Second)
			for {
				if m, _ := filepath.Glob(filepath.Join(rd, "*", "checkpoints", "*.safetensors")); len(m) > 0 {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("no checkpoint after 60 s:\n%s", out.String())
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			if ignored {
				select {
				case err := <-done:
					t.Fatalf("a run with hangups ignored ended on one: %v\n%s", err, out.String())
				case <-time.After(2 * time.Second):
				}
				if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
			}
			stoppedAtLastStep(t, cmd, done, rd, "the signal", &out)
		})
	}
}

// TestCompareDashesSeenEpochs: compare's chart draws a --val-train
// run's seen epochs in dashes, with colour and without (its own line, the
// plain one, has a dashed form), and only those.
func TestCompareDashesSeenEpochs(t *testing.T) {
	infos := []runs.Info{{ID: "a"}, {ID: "b"}}
	curves := [][]float64{{0.5, 0.6, 0.7, 0.65, 0.9}, {0.4, 0.5, 0.55, 0.6, 0.62}}
	for _, colour := range []bool{false, true} {
		var plain, seen strings.Builder
		printCompare(&plain, "f1", infos, curves, nil, []int{0, 0}, colour)
		printCompare(&seen, "f1", infos, curves, nil, []int{4, 0}, colour)
		if strings.Contains(plain.String(), "╌") || !strings.Contains(seen.String(), "╌") {
			t.Errorf("colour %v: without seen epochs\n%s\nrun [1] seen from epoch 4\n%s", colour, plain.String(), seen.String())
		}
	}
}

// TestCompareColoursOnATerminal: compare's chart colours its curves and
// its legend names the colours when it prints to a terminal (colour set);
// otherwise (a pipe, a file) it stays plain text, each curve in a line
// style of its own that the legend names.
func TestCompareColoursOnATerminal(t *testing.T) {
	infos := []runs.Info{{ID: "a"}, {ID: "b"}}
	curves := [][]float64{{0.5, 0.6, 0.7}, {0.4, 0.5}}
	for _, colour := range []bool{false, true} {
		var b strings.Builder
		printCompare(&b, "f1", infos, curves, nil, nil, colour)
		out := b.String()
		hasEsc := strings.Contains(out, "\x1b[")
		named := strings.Contains(out, "runs [1] blue [2] red")
		// Without colour the second run's curve is drawn in double lines,
		// which the legend names.
		lined := strings.Contains(out, "runs [1] ─ [2] ═") && strings.Contains(out, "═")
		if hasEsc != colour || named != colour || lined == colour || !strings.Contains(out, "[1]") {
			t.Errorf("colour %v: escapes %v, colours named %v, lines named %v:\n%s", colour, hasEsc, named, lined, out)
		}
	}
}

// TestRunsMarksWhatChanged: maskdash runs marks, of a run's loss and
// learning rate, the one changed while it trained (it marked both when
// either changed), and explains the mark once.
func TestRunsMarksWhatChanged(t *testing.T) {
	var b strings.Builder
	printRuns(&b, "runs", []runRow{
		{ID: "lr-changed", Loss: "ce", StartLoss: "ce", LR: 3e-4, StartLR: 1e-3},
		{ID: "as-started", Loss: "focal", StartLoss: "focal", LR: 1e-3, StartLR: 1e-3},
	}, false, 0)
	out := b.String()
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "lr-changed") && (strings.Contains(l, "ce*") || !strings.Contains(l, "0.0003*")):
			t.Errorf("the lr-changed row: %q", l)
		case strings.HasPrefix(l, "as-started") && strings.Contains(l, "*"):
			t.Errorf("an unchanged row is marked: %q", l)
		}
	}
	if strings.Count(out, "changed while training") != 1 {
		t.Errorf("the mark is not explained once:\n%s", out)
	}
}

// TestRunsTableAligns: maskdash runs keeps its columns aligned when a
// cell is wider than usual (a sweep trial's id, a mixed loss), which
// shifted the rest of the row when the widths were fixed, and when a run
// between them is unreadable (its row of three cells broke the columns
// of the rows below it; it goes under the table).
func TestRunsTableAligns(t *testing.T) {
	var b strings.Builder
	printRuns(&b, "runs", []runRow{
		{ID: "20261205-021614-cnn-s-0.6focal+0.4f1-with-a-long-name", Status: "done", Model: "cnn-s", Loss: "0.6focal+0.4f1", StartLoss: "0.6focal+0.4f1", Optim: "adamw", LR: 1e-3, StartLR: 1e-3, Epochs: 10, Planned: 10},
		{ID: "broken", Status: "unreadable", Error: "broken/run.json is corrupt"},
		{ID: "short", Status: "running", Model: "vgg-s-mh", Loss: "ce", StartLoss: "ce", Optim: "sgd", LR: 3e-4, StartLR: 3e-4, Epochs: 1, Planned: 30},
	}, false, 0)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 4 || lines[3] != "broken  unreadable  broken/run.json is corrupt" {
		t.Fatalf("want a header, two rows and the unreadable run under them:\n%s", b.String())
	}
	for _, col := range []struct{ head, a, b string }{{"OPTIM", "adamw", "sgd"}, {"BEST F1", "0.0000", "0.0000"}, {"EPOCHS", "10/10", "1/30"}} {
		at := strings.Index(lines[0], col.head)
		if strings.Index(lines[1], col.a) != at || strings.LastIndex(lines[2], col.b) != at {
			t.Errorf("column %s is not aligned:\n%s", col.head, b.String())
		}
	}
}

// TestRunsTableFitsTheTerminal: on a terminal narrower than the runs
// table (whose parent, tricks and note ran it to 270 columns, each row
// wrapped over three lines at 100) the note, tricks and parent give way,
// cut with "…" or left out, and a line says so; the run ids stay whole,
// for the commands that take them. Piped (width 0) every cell is whole.
func TestRunsTableFitsTheTerminal(t *testing.T) {
	parent := "20261207-104952-vgg-s-mh-0.5focal+0.5smooth-mh1"
	rows := []runRow{
		{ID: "20261207-105000-vgg-s-mh-la", Status: "done", Model: "vgg-s-mh", Loss: "la", StartLoss: "la", Optim: "adam", LR: 1e-3, StartLR: 1e-3, Epochs: 2, Planned: 2, Parent: parent,
			Tricks: []string{"focal γ 1.5", "smoothing 0.2", "class weights sqrt", "augmentation light"}, Note: "la after the focal run, to see whether τ 1 helps the old classes"},
		{ID: parent, Status: "done", Model: "vgg-s-mh", Loss: "0.5focal+0.5smooth", StartLoss: "0.5focal+0.5smooth", Optim: "adam", LR: 1e-3, StartLR: 1e-3, Epochs: 3, Planned: 3},
	}
	print := func(width int) []string {
		var b strings.Builder
		printRuns(&b, "runs", rows, false, width)
		return strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	}
	whole := print(0)
	if len(whole) != 3 || !strings.Contains(whole[1], "augmentation light") || !strings.Contains(whole[1], parent) || ansi.StringWidth(whole[1]) < 200 {
		t.Fatalf("piped, every cell whole:\n%s", strings.Join(whole, "\n"))
	}
	for _, width := range []int{160, 100} {
		lines := print(width)
		if len(lines) != 4 || !strings.HasPrefix(lines[3], fmt.Sprintf("fitted to %d columns (--wide shows all): ", width)) {
			t.Fatalf("width %d: want the table and a line on what was fitted:\n%s", width, strings.Join(lines, "\n"))
		}
		for _, l := range lines {
			if ansi.StringWidth(l) > width {
				t.Errorf("width %d: a line of %d columns: %q", width, ansi.StringWidth(l), l)
			}
		}
		if !strings.HasPrefix(lines[1], rows[0].ID+" ") || !strings.HasPrefix(lines[2], parent+" ") || !strings.Contains(lines[0], "BEST F1") {
			t.Errorf("width %d: the ids or the figures are cut:\n%s", width, strings.Join(lines, "\n"))
		}
		t.Logf("width %d:\n%s", width, strings.Join(lines, "\n"))
	}
	// At 160 the note and the parent go and the tricks are cut; at 100
	// the tricks go too.
	if l := print(160); !strings.Contains(l[1], "focal γ 1.5 · smoothing") || !strings.Contains(l[1], "…") || strings.Contains(l[1], parent) ||
		!strings.HasSuffix(l[3], ": left out note, parent; cut tricks") {
		t.Errorf("width 160:\n%s", strings.Join(l, "\n"))
	}
	if l := print(100); strings.Contains(l[0], "NOTE") || strings.Contains(l[0], "TRICKS") || strings.Contains(l[0], "PARENT") || !strings.Contains(l[3], ": left out note, parent, tricks, time, optim, acc; cut") {
		t.Errorf("width 100:\n%s", strings.Join(l, "\n"))
	}
}

// TestRunsAsMarkdown: runs --md is a GitHub table that GitHub's renderer
// (cmark-gfm) reads as one: a row a run, the figures right-aligned, a
// pipe in a note kept in its cell, an unreadable run's row padded.
func TestRunsAsMarkdown(t *testing.T) {
	gfm, err := exec.LookPath("cmark-gfm")
	if err != nil {
		t.Skip("no cmark-gfm (apt-get install cmark-gfm)")
	}
	var b strings.Builder
	pub := 0.7021
	printRuns(&b, "runs", []runRow{
		{ID: "a", Status: "done", Model: "cnn-s", Loss: "focal", StartLoss: "ce", Optim: "adam", LR: 1e-3, StartLR: 1e-3, Epochs: 10, Planned: 10, BestF1: 0.4123, Note: "ce | focal\nsecond line", Public: &pub},
		{ID: "b", Status: "unreadable", Error: "b/run.json is corrupt"},
	}, true, 0)
	cmd := exec.Command(gfm, "-e", "table")
	cmd.Stdin = strings.NewReader(b.String())
	html, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.ReplaceAll(string(html), "\n", "")
	for _, want := range []string{
		`<th>RUN</th><th>STATUS</th>`, `<th align="right">BEST F1</th>`, `<th align="right">PUBLIC F1</th>`,
		`<tr><td>a</td><td>done</td><td>cnn-s</td><td>focal*</td><td>adam</td><td align="right">0.001</td><td align="right">10/10</td><td align="right">0.4123</td>`,
		`<td align="right">0.7021</td>`, `<td>ce | focal</td></tr>`,
		`<tr><td>b</td><td>unreadable</td><td>b/run.json is corrupt</td><td></td>`,
		"<p>* changed while training",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("cmark-gfm's HTML lacks %q:\n%s\n%s", want, b.String(), html)
		}
	}
	if strings.Count(flat, "<tr>") != 3 {
		t.Errorf("want a header and two rows:\n%s", html)
	}
}

// TestNotes: a run started with --note has it; maskdash note prints,
// changes and removes it; maskdash runs shows its first line and --json
// the whole note; compare gives it; a note too long is refused before
// anything trains.
func TestNotes(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	if out, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "1", "--name", "nt",
		"--note", "focal next: ce is stuck on age"); err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	if out, err := run(t, "note", "nt", "--runs", rd); err != nil || strings.TrimSpace(out) != "focal next: ce is stuck on age" {
		t.Errorf("note: %v %q", err, out)
	}
	if out, err := run(t, "note", "nt", "--runs", rd, "a", "new", "note"); err != nil || !strings.Contains(out, "noted on") {
		t.Errorf("note TEXT: %v %q", err, out)
	}
	if out, err := run(t, "runs", "--runs", rd); err != nil || !strings.Contains(out, "NOTE") || !strings.Contains(out, "a new note") {
		t.Errorf("runs does not show the note: %v\n%s", err, out)
	}
	out, err := run(t, "runs", "--runs", rd, "--json")
	var rows []runRow
	if err != nil || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0].Note != "a new note" {
		t.Errorf("runs --json: %v %s", err, out)
	}
	if out, err := run(t, "compare", "nt", "--runs", rd); err != nil || !strings.Contains(out, "[1]  note: a new note") {
		t.Errorf("compare does not give the note: %v\n%s", err, out)
	}
	stdin := exec.Command(bin, "note", "nt", "-", "--runs", rd)
	stdin.Stdin = strings.NewReader("line one\nline two\n")
	if out, err := stdin.CombinedOutput(); err != nil {
		t.Errorf("note RUN -: %v %s", err, out)
	}
	if out, err := run(t, "note", "nt", "--runs", rd); err != nil || out != "line one\nline two\n" {
		t.Errorf("a note from standard input: %v %q", err, out)
	}
	empty := exec.Command(bin, "note", "nt", "-", "--runs", rd)
	empty.Stdin = strings.NewReader("\n")
	if out, err := empty.CombinedOutput(); err == nil || !strings.Contains(string(out), "held no note") {
		t.Errorf("note RUN - with nothing on standard input: %v %s", err, out)
	}
	if out, err := run(t, "note", "nt", "--runs", rd, "--clear"); err != nil || !strings.Contains(out, "removed") {
		t.Errorf("note --clear: %v %q", err, out)
	}
	if out, err := run(t, "note", "nt", "--runs", rd); err != nil || !strings.Contains(out, "has no note") {
		t.Errorf("after --clear: %v %q", err, out)
	}
	before, _ := os.ReadDir(rd)
	long := strings.Repeat("x", 5000)
	if out, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--note", long); err == nil || !strings.Contains(out, "at most 4096") || strings.Count(out, "\n") != 1 {
		t.Errorf("a 5000-byte note: %v %q", err, out)
	}
	if after, _ := os.ReadDir(rd); len(after) != len(before) {
		t.Errorf("a refused note left a run folder: %d entries, were %d", len(after), len(before))
	}
}

// TestLRFind: maskdash lrfind trains the train flags' model at growing
// rates, draws the smoothed loss by rate with the suggestion marked, and
// writes nothing into the runs folder; --json gives every step; bad
// ranges are one sentence.
func TestLRFind(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	common := []string{"lrfind", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--steps", "40"}
	out, err := run(t, common...)
	if err != nil || !strings.Contains(out, "smoothed training loss by learning rate") || !strings.Contains(out, "suggested lr") ||
		!strings.Contains(out, "maskdash train --lr") || !strings.Contains(out, "1e-7") {
		t.Fatalf("lrfind: %v\n%s", err, out)
	}
	if entries, _ := os.ReadDir(rd); len(entries) != 0 {
		t.Errorf("lrfind wrote into the runs folder: %v", entries)
	}
	js, err := exec.Command(bin, append(common, "--json", "--optim", "sgd", "--lr-min", "1e-4", "--lr-max", "1e-1")...).Output()
	if err != nil {
		t.Fatal(err)
	}
	var f training.LRFound
	if err := json.Unmarshal(js, &f); err != nil || len(f.Points) == 0 || f.Points[0].LR != 1e-4 || f.Header.Optim != "sgd" || f.Suggested < 1e-5 || f.Suggested > 1e-1 {
		t.Errorf("lrfind --json: %v\n%s", err, js)
	}
	for _, bad := range [][]string{{"--lr-min", "1", "--lr-max", "0.1"}, {"--steps", "3"}, {"--lr-max", "-1"}} {
		out, err := run(t, append(common, bad...)...)
		if err == nil || !strings.HasPrefix(out, "maskdash: ") || strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("lrfind %v: %v %q", bad, err, out)
		}
	}
}

// TestFixLabels: stats and train take a label corrections file; stats
// says how many images it relabelled, train says so too and records the
// file (as an absolute path, for a resume from elsewhere) in run.json and
// in its checkpoints; a row for a person the data lacks is one warning.
func TestFixLabels(t *testing.T) {
	data := tinySet(t)
	ents, err := os.ReadDir(filepath.Join(data, "train", "images"))
	if err != nil || len(ents) == 0 {
		t.Fatal(err)
	}
	id, _, _ := strings.Cut(ents[0].Name(), "_")
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "fix.csv"), []byte("id,field,value\n"+id+",mask,swap\n424242,age,30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "stats", "--data", data, "--no-check", "--fix-labels", "fix.csv")
	cmd.Dir = work
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "2 images relabelled by the corrections") || !strings.Contains(string(out), "no person 424242") {
		t.Errorf("stats --fix-labels: %v\n%s", err, out)
	}
	rd := t.TempDir()
	cmd = exec.Command(bin, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "1", "--fix-labels", "fix.csv")
	cmd.Dir = work
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "2 training images relabelled by "+filepath.Join(work, "fix.csv")) {
		t.Fatalf("train --fix-labels: %v\n%s", err, out)
	}
	list, err := runs.NewStore(rd).List()
	if err != nil || len(list) != 1 || list[0].Info.Config["fix_labels"] != filepath.Join(work, "fix.csv") {
		t.Fatalf("run.json's config: %v %+v", err, list)
	}
	p, err := training.CheckpointPath(list[0].Info.Dir, "best")
	if err != nil {
		t.Fatal(err)
	}
	if m, err := training.ReadCkptMeta(p); err != nil || m.Data.FixLabels != filepath.Join(work, "fix.csv") {
		t.Errorf("the checkpoint's data identity: %+v, %v", m.Data, err)
	}
}

// TestLayersCommand: layers prints a run's parameter measures from its log
// (the first step is always measured), as a table and as JSON; a run
// without measures, and a run that does not exist, get one sentence.
func TestLayersCommand(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	if out, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "1", "--name", "x"); err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	out, err := run(t, "layers", "x", "--runs", rd)
	if err != nil || !strings.Contains(out, "TENSOR") || !strings.Contains(out, "conv1.weight") || !regexp.MustCompile(`\d+ measures?, steps`).MatchString(out) ||
		!regexp.MustCompile(`conv1\.weight +\d+ +[\d.]+ +-[\d.e-]+/-?[\d.e-]+/[\d.e-]+ `).MatchString(out) {
		t.Fatalf("layers (with conv1.weight's 16%%/50%%/84%% weights): %v\n%s", err, out)
	}
	out, err = run(t, "layers", "x", "--runs", rd, "--json")
	if err != nil {
		t.Fatalf("layers --json: %v\n%s", err, out)
	}
	var doc struct {
		Measures int `json:"measures"`
		Tensors  []struct {
			Name    string    `json:"name"`
			Rank    int       `json:"rank"`
			Ratio   float64   `json:"ratio"`
			Verdict string    `json:"verdict"`
			Spread  []float64 `json:"q"`
		} `json:"tensors"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Measures < 1 || len(doc.Tensors) != 6 || doc.Tensors[0].Name != "conv1.weight" || doc.Tensors[0].Rank != 4 || doc.Tensors[0].Ratio <= 0 || doc.Tensors[0].Verdict == "" ||
		len(doc.Tensors[0].Spread) != 9 || !slices.IsSorted(doc.Tensors[0].Spread) {
		t.Errorf("layers --json: %+v", doc)
	}
	// A run with no measures (as runs from before them): one sentence.
	r, err := runs.NewStore(rd).Create(runs.Info{Name: "old", Model: "cnn-s"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(runs.StatusDone, nil); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "layers", "old", "--runs", rd); err == nil || !strings.Contains(out, "has no layer measures") || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("a run without measures: %v\n%s", err, out)
	}
	if out, err := run(t, "layers", "nosuch", "--runs", rd); err == nil || !strings.Contains(out, `no run "nosuch"`) {
		t.Errorf("an unknown run: %v\n%s", err, out)
	}
}

// TestRunsMarkTroubledRuns: a run that raised the layers or non-finite
// alert (run.json's alerts) has "!" after its status in maskdash runs,
// with a line saying what it means; --json lists its alerts, and the
// filter finds it by the alert's name. A run that only hit a rule it was
// given (no gain) is not marked.
func TestRunsMarkTroubledRuns(t *testing.T) {
	rd := t.TempDir()
	st := runs.NewStore(rd)
	for _, c := range []struct {
		name   string
		alerts []string
	}{{"dead", []string{"layers", "early-stop"}}, {"calm", []string{"no-gain"}}} {
		r, err := st.Create(runs.Info{Name: c.name, Model: "cnn-s", Loss: "ce", Optim: "sgd", LR: 1, Alerts: c.alerts})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Close(runs.StatusDone, nil); err != nil {
			t.Fatal(err)
		}
	}
	out, err := run(t, "runs", "--runs", rd)
	if err != nil {
		t.Fatal(err, out)
	}
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.Contains(l, "-dead ") && !strings.Contains(l, " done! "):
			t.Errorf("the dead run is not marked: %q", l)
		case strings.Contains(l, "-calm ") && strings.Contains(l, "done!"):
			t.Errorf("the calm run is marked: %q", l)
		}
	}
	if !strings.Contains(out, "! the run raised the layers or non-finite alert") {
		t.Errorf("no footnote:\n%s", out)
	}
	out, err = run(t, "runs", "--runs", rd, "--json", "--filter", "layers")
	var rows []struct {
		ID     string   `json:"id"`
		Alerts []string `json:"alerts"`
	}
	if err != nil || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || !strings.HasSuffix(rows[0].ID, "-dead") || strings.Join(rows[0].Alerts, ",") != "layers,early-stop" {
		t.Errorf("--json --filter layers: %v\n%s", err, out)
	}
}

// TestCalibrate: calibrate fits class offsets on a run's validation
// predictions and says what they are worth; predict and eval add saved
// offsets with --offsets (and refuse ones fitted for another checkpoint);
// ensemble --offsets fits on the vote and refuses runs of different
// validation splits before predicting anything.
func TestCalibrate(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	common := []string{"train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "2"}
	for _, extra := range [][]string{{"--name", "x"}, {"--name", "y", "--model", "cnn-s-mh"}, {"--name", "other", "--val-ratio", "0.3"},
		{"--name", "fold1", "--fold", "1", "--folds", "2"}, {"--name", "fold2", "--fold", "2", "--folds", "2"}} {
		if out, err := run(t, append(common, extra...)...); err != nil {
			t.Fatalf("train %v: %v\n%s", extra, err, out)
		}
	}
	out, err := run(t, "calibrate", "x", "--runs", rd, "--json")
	if err != nil {
		t.Fatalf("calibrate: %v\n%s", err, out)
	}
	var doc struct {
		Epoch    int       `json:"epoch"`
		Step     int       `json:"step"`
		Images   int       `json:"images"`
		Offsets  []float64 `json:"offsets"`
		Halves   int       `json:"held_out_halves"`
		Saved    bool      `json:"saved"`
		PerClass []struct {
			Images int `json:"images"`
		} `json:"per_class"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	images := 0
	for _, c := range doc.PerClass {
		images += c.Images
	}
	if doc.Epoch < 1 || doc.Images == 0 || images != doc.Images || len(doc.Offsets) != 18 || len(doc.PerClass) != 18 || doc.Halves != 10 {
		t.Errorf("calibrate --json: %+v", doc)
	}
	xdir := filepath.Join(rd, mustID(t, rd, "x"))
	if _, err := os.Stat(filepath.Join(xdir, runs.OffsetsFile)); (err == nil) != doc.Saved {
		t.Errorf("calibrate said saved=%v, and the file: %v", doc.Saved, err)
	}
	out, err = run(t, "calibrate", "x", "--runs", rd)
	if err != nil || !strings.Contains(out, "on held-out halves:") || !strings.Contains(out, "WITH OFFSETS") {
		t.Errorf("calibrate: %v\n%s", err, out)
	}
	if out, err := run(t, "calibrate", "x", "--runs", rd, "--tta", "--json"); err != nil || !strings.Contains(out, `"tta": true`) {
		t.Errorf("calibrate --tta: %v\n%s", err, out)
	}

	// Saved offsets that push class 3 make predict choose it far more.
	push := runs.ClassOffsets{Epoch: doc.Epoch, Step: doc.Step, Offsets: make([]float64, 18), HeldOutGain: 0.01}
	push.Offsets[3] = 4
	push.Classes = dataset.ClassNames(dataset.DefaultAgeBins)
	if err := runs.WriteClassOffsets(xdir, push); err != nil {
		t.Fatal(err)
	}
	count3 := func(path string) int {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(string(b), ",3\n")
	}
	plain, pushed := filepath.Join(t.TempDir(), "plain.csv"), filepath.Join(t.TempDir(), "pushed.csv")
	if out, err := run(t, "predict", "x", "--runs", rd, "--out", plain); err != nil {
		t.Fatalf("predict: %v\n%s", err, out)
	}
	if out, err := run(t, "predict", "x", "--runs", rd, "--out", pushed, "--offsets"); err != nil || !strings.Contains(out, "with class offsets (fitted on epoch") {
		t.Fatalf("predict --offsets: %v\n%s", err, out)
	}
	if p, q := count3(plain), count3(pushed); q <= p {
		t.Errorf("class 3 predicted %d times plain and %d with an offset of +4 on it", p, q)
	}
	if out, err := run(t, "predict", "x", "--runs", rd, "--out", pushed, "--offsets", "--tta"); err != nil || !strings.Contains(out, "note: the offsets were fitted on plain predictions and these are --tta ones") {
		t.Errorf("predict --tta with plain offsets: %v\n%s", err, out)
	}
	if out, err := run(t, "eval", "x", "--runs", rd, "--data", data, "--offsets"); err != nil || !strings.Contains(out, "with class offsets fitted on epoch") {
		t.Errorf("eval --offsets: %v\n%s", err, out)
	}
	// maskdash runs --json gives the kept offsets' held-out gain.
	out, err = run(t, "runs", "--runs", rd, "--json")
	if err != nil || !strings.Contains(out, `"class_offsets_held_out_gain": 0.01`) || strings.Count(out, "class_offsets_held_out_gain") != 1 {
		t.Errorf("runs --json with x's offsets: %v\n%s", err, out)
	}
	// Offsets of another checkpoint, and a run with none: one sentence.
	push.Step++
	if err := runs.WriteClassOffsets(xdir, push); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "predict", "x", "--runs", rd, "--out", pushed, "--offsets"); err == nil || !strings.Contains(out, "were fitted for the checkpoint of epoch") || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("offsets of another checkpoint: %v\n%s", err, out)
	}
	if out, err := run(t, "predict", "y", "--runs", rd, "--out", pushed, "--offsets"); err == nil || !strings.Contains(out, "has no class offsets: fit them with maskdash calibrate") {
		t.Errorf("a run without offsets: %v\n%s", err, out)
	}

	ens := filepath.Join(t.TempDir(), "ens.csv")
	if out, err := run(t, "ensemble", "--run", "x", "--run", "y", "--runs", rd, "--out", ens, "--offsets"); err != nil || !strings.Contains(out, "class offsets on the vote's validation predictions") || !strings.Contains(out, "wrote the soft vote of 2 runs") {
		t.Errorf("ensemble --offsets: %v\n%s", err, out)
	}
	if out, err := run(t, "ensemble", "--run", "x", "--run", "y", "--runs", rd, "--out", ens, "--offsets", "--tta"); err != nil || !strings.Contains(out, "class offsets on the vote's validation predictions with their mirror images (--tta)") {
		t.Errorf("ensemble --offsets --tta: %v\n%s", err, out)
	}
	// The folds of a K-fold split: out-of-fold predictions of every image.
	out, err = run(t, "ensemble", "--run", "fold1", "--run", "fold2", "--runs", rd, "--out", ens, "--offsets")
	if err != nil || !strings.Contains(out, "class offsets on out-of-fold predictions (2 validation splits, 168 images)") {
		t.Errorf("ensemble --offsets of two folds: %v\n%s", err, out)
	}
	// Splits that share some images: refused before predicting.
	if out, err := run(t, "ensemble", "--run", "x", "--run", "other", "--runs", rd, "--out", ens, "--offsets"); err == nil || !strings.Contains(out, "validated on different images of which") || strings.Contains(out, "alone:") {
		t.Errorf("ensemble --offsets of two overlapping splits: %v\n%s", err, out)
	}
}

// TestTaskRunsVoteTogether: three runs of one task each (--task mask,
// gender, age), as the competition's top teams trained them, vote
// together into a submission of the 18 classes, each run scored on its
// own task; a vote that lacks a task says which; class offsets are refused
// for it in a sentence; a run of the 18 classes joins the vote through
// its task marginals.
func TestTaskRunsVoteTogether(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	for _, task := range []string{"mask", "gender", "age", "none"} {
		if out, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "1", "--task", task, "--name", task); err != nil {
			t.Fatalf("train --task %s: %v\n%s", task, err, out)
		} else if want, id := "task "+task+",", "-ce-"+task+":"; task != "none" && (!strings.Contains(out, want) || !strings.Contains(out, id)) {
			t.Errorf("train --task %s: the first line does not say %q, or the run's id lacks the task, or says it twice (%q):\n%s", task, want, id, out)
		}
	}
	if out, err := run(t, "predict", "age", "--runs", rd, "--out", filepath.Join(rd, "age.csv")); err != nil || !strings.Contains(out, "they are the age task's classes (<30, 30-59, 60+), no submission") {
		t.Errorf("predict of an age run: %v\n%s", err, out)
	}
	out, err := run(t, "ensemble", "--run", "mask", "--run", "gender", "--run", "age", "--runs", rd, "--out", filepath.Join(rd, "vote.csv"))
	if err != nil {
		t.Fatalf("ensemble of the three tasks: %v\n%s", err, out)
	}
	for _, want := range []string{"macro F1", "of the mask task", "of the gender task", "of the age task", "ensemble: accuracy"} {
		if !strings.Contains(out, want) {
			t.Errorf("the vote's output lacks %q:\n%s", want, out)
		}
	}
	b, _ := os.ReadFile(filepath.Join(rd, "vote.csv"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 15 || lines[0] != "ImageID,ans" {
		t.Fatalf("the vote: %d lines, header %q", len(lines), lines[0])
	}
	for _, l := range lines[1:] {
		_, ans, _ := strings.Cut(l, ",")
		if n, err := strconv.Atoi(ans); err != nil || n < 0 || n >= 18 {
			t.Fatalf("row %q is not an 18-class prediction", l)
		}
	}
	if out, err := run(t, "ensemble", "--run", "mask", "--run", "age", "--runs", rd, "--out", filepath.Join(rd, "v2.csv")); err == nil || !strings.Contains(out, "no run predicts gender: add a run trained with --task gender") {
		t.Errorf("a vote without gender: %v\n%s", err, out)
	}
	// Class offsets for the vote, fitted on the product of the runs'
	// validation predictions (the runs share a split: one seed).
	if out, err := run(t, "ensemble", "--run", "mask", "--run", "gender", "--run", "age", "--offsets", "--runs", rd, "--out", filepath.Join(rd, "v3.csv")); err != nil || !strings.Contains(out, "class offsets on the vote's validation predictions: macro F1") {
		t.Errorf("offsets for a vote of task runs: %v\n%s", err, out)
	}
	if out, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "1", "--task", "age", "--seed", "9", "--name", "other"); err != nil {
		t.Fatalf("train --seed 9: %v\n%s", err, out)
	}
	if out, err := run(t, "ensemble", "--run", "mask", "--run", "gender", "--run", "other", "--offsets", "--runs", rd, "--out", filepath.Join(rd, "v5.csv")); err == nil || !strings.Contains(out, "validated on different images") {
		t.Errorf("offsets for task runs of two splits: %v\n%s", err, out)
	}
	// The 18-class run gives gender through its marginals.
	if out, err := run(t, "ensemble", "--run", "mask", "--run", "none", "--run", "age", "--runs", rd, "--out", filepath.Join(rd, "v4.csv")); err != nil || !strings.Contains(out, "ensemble: accuracy") {
		t.Errorf("task runs with an 18-class run: %v\n%s", err, out)
	}
	// Runs of two tasks have no classes in common to compare.
	if out, err := run(t, "compare", "mask", "age", "--runs", rd); err != nil || !strings.Contains(out, "no class-by-class comparison: the runs predict different classes (3 classes: wear, incorrect, none; 3 classes: <30, 30-59, 60+)") {
		t.Errorf("compare of a mask and an age run: %v\n%s", err, out)
	}
	if out, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--task", "race"); err == nil || !strings.Contains(out, `--task "race" is unknown`) {
		t.Errorf("--task race: %v\n%s", err, out)
	}
}

// TestCompareDiffCellsStaySeparate: in compare's confusion B − A, a class
// that moved whole (−100 points) does not run into its neighbour.
func TestCompareDiffCellsStaySeparate(t *testing.T) {
	d := &training.RunDiff{A: &training.RunFigures{}, B: &training.RunFigures{}, F1Diff: []float64{0, 0},
		ConfDiff: [][]float64{{0.11, -1}, {1, 0.89}}}
	d.A.PerClass, d.B.PerClass = make([]training.ClassScores, 2), make([]training.ClassScores, 2)
	var b strings.Builder
	printSide(&b, d)
	if out := b.String(); !strings.Contains(out, "   11 -100") || !strings.Contains(out, "  100   89") {
		t.Errorf("compare's matrix:\n%s", out)
	}
}

// TestPRCommand: pr gives every class its average precision on the best
// epoch's kept validation predictions, the figures runs.ClassPR gives
// (checked against scikit-learn there), as a table and as JSON; --class
// draws one curve; an unknown class and a run without kept predictions
// get a sentence.
func TestPRCommand(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	if out, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "2", "--name", "x"); err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	list, err := runs.NewStore(rd).List()
	if err != nil || len(list) != 1 {
		t.Fatal(err, list)
	}
	info := list[0].Info
	p, err := runs.ReadValPreds(info.Dir, info.Best.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	var want []runs.PRCurve
	for c := range p.Classes {
		want = append(want, runs.ClassPR(p, c))
	}
	out, err := run(t, "pr", "x", "--runs", rd, "--json")
	if err != nil {
		t.Fatalf("pr --json: %v\n%s", err, out)
	}
	var doc struct {
		Epoch   int      `json:"epoch"`
		MeanAP  *float64 `json:"mean_ap"`
		Classes []struct {
			Images int       `json:"images"`
			AP     *float64  `json:"ap"`
			Recall []float64 `json:"recall"`
		} `json:"classes"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err, out)
	}
	if doc.Epoch != info.Best.Epoch || len(doc.Classes) != p.Classes || doc.MeanAP == nil || *doc.MeanAP != runs.MacroAP(want) {
		t.Fatalf("pr --json: epoch %d (best %d), %d classes, mean AP %v", doc.Epoch, info.Best.Epoch, len(doc.Classes), doc.MeanAP)
	}
	for c, got := range doc.Classes {
		if got.Images != want[c].Support || (got.AP == nil) != math.IsNaN(want[c].AP) || got.AP != nil && *got.AP != want[c].AP || len(got.Recall) != len(want[c].Recall) {
			t.Errorf("class %d: %+v, want %+v", c, got, want[c])
		}
	}
	out, err = run(t, "pr", "x", "--runs", rd)
	if err != nil || !strings.Contains(out, fmt.Sprintf("run %s, epoch %d (the best)", info.ID, info.Best.Epoch)) || !strings.Contains(out, fmt.Sprintf("mean AP %.4f over the ", runs.MacroAP(want))) {
		t.Errorf("pr:\n%v\n%s", err, out)
	}
	c := slices.IndexFunc(want, func(cv runs.PRCurve) bool { return cv.Support > 0 })
	out, err = run(t, "pr", "x", "--runs", rd, "--class", p.Names[c])
	if err != nil || !strings.Contains(out, fmt.Sprintf("class %d %s (", c, p.Names[c])) || !strings.Contains(out, fmt.Sprintf("AP %.4f", want[c].AP)) || !strings.Contains(out, "┤") {
		t.Errorf("pr --class:\n%v\n%s", err, out)
	}
	// The run's HTML page gives each class its AP.
	exp := t.TempDir()
	if out, err := run(t, "export", "x", "--runs", rd, "--format", "html", "--out", exp); err != nil {
		t.Fatalf("export html: %v\n%s", err, out)
	}
	page, err := os.ReadFile(filepath.Join(exp, info.ID+".html"))
	if err != nil || !strings.Contains(string(page), fmt.Sprintf("<td>%.4f</td><td>%d</td></tr>", want[c].AP, want[c].Support)) {
		t.Errorf("the HTML page lacks class %d's AP %.4f: %v", c, want[c].AP, err)
	}
	// And its worst mistakes with their class maps, from the best epoch's
	// weights, as many as it got wrong up to 8.
	wrong := min(len(p.Worst(-1, -1, 0)), 8)
	if n := strings.Count(string(page), `<img src="data:image/png;base64,`); n != wrong ||
		!strings.Contains(string(page), fmt.Sprintf("The %d validation images of epoch %d with the highest loss", wrong, info.Best.Epoch)) {
		t.Errorf("the HTML page has %d of its %d worst mistakes drawn", n, wrong)
	}
	if out, err := run(t, "pr", "x", "--runs", rd, "--class", "nope"); err == nil || !strings.Contains(out, `--class "nope" is not a class of this run`) {
		t.Errorf("an unknown class: %v\n%s", err, out)
	}
	r, err := runs.NewStore(rd).Create(runs.Info{Name: "empty", Model: "cnn-s"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(runs.StatusDone, nil); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "pr", "empty", "--runs", rd); err == nil || !strings.Contains(out, "kept no validation predictions") {
		t.Errorf("a run without kept predictions: %v\n%s", err, out)
	}
}
