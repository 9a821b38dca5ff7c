package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/training/sweep"
)

type sweepStatusJSON struct {
	ID     string `json:"id"`
	Dir    string `json:"dir"`
	Trials []struct {
		Run     string            `json:"run"`
		State   string            `json:"state"`
		Why     string            `json:"why"`
		Params  map[string]string `json:"params"`
		BestF1  *float64          `json:"best_macro_f1"`
		Epochs  int               `json:"epochs_done"`
		Node    string            `json:"node"`
		Submits int               `json:"submits"`
	} `json:"trials"`
	Importance []struct {
		Setting  string   `json:"setting"`
		Share    *float64 `json:"share"`
		Spearman *float64 `json:"spearman"`
		Best     string   `json:"best"`
		BestMean float64  `json:"best_mean"`
		BestRuns int      `json:"best_runs"`
		Groups   int      `json:"groups"`
		Runs     int      `json:"runs"`
	} `json:"importance"`
}

func sweepStatus(t *testing.T, rd, id string) sweepStatusJSON {
	t.Helper()
	out, err := exec.Command(bin, "sweep", "status", id, "--runs", rd, "--json").Output()
	if err != nil {
		t.Fatalf("sweep status: %v", err)
	}
	var s sweepStatusJSON
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("status JSON: %v\n%s", err, out)
	}
	return s
}

// waitAllDone follows the sweep's status until it has n trials, every
// one done, for 2 minutes at most.
func waitAllDone(t *testing.T, rd, id string, n int) sweepStatusJSON {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		st := sweepStatus(t, rd, id)
		done := 0
		for _, tr := range st.Trials {
			if tr.State == "done" {
				done++
			}
		}
		if done == n && len(st.Trials) == n {
			return st
		}
		if time.Now().After(deadline) {
			status, _ := exec.Command(bin, "sweep", "status", id, "--runs", rd).CombinedOutput()
			t.Fatalf("after 2 minutes %d of %d trials are done, want %d:\n%s", done, len(st.Trials), n, status)
		}
	}
}

func onlySweep(t *testing.T, rd string) string {
	t.Helper()
	sws, err := sweep.List(rd)
	if err != nil || len(sws) != 1 {
		t.Fatalf("want one sweep in %s: %v %v", rd, len(sws), err)
	}
	return sws[0].ID
}

// TestSweepLocal: a grid × seeds sweep on this machine, two at a time:
// every trial trains into the sweep folder, lists and reads as a run.
func TestSweepLocal(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	out, err := run(t, "sweep", "--runs", rd, "--grid", "lr=0.003,0.001", "--seeds", "2", "--parallel", "2", "--wait",
		"--data", data, "--img", "16x16", "--batch", "8", "--epochs", "2")
	if err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	id := onlySweep(t, rd)
	s := sweepStatus(t, rd, id)
	if len(s.Trials) != 4 {
		t.Fatalf("%d trials, want 4", len(s.Trials))
	}
	for _, tr := range s.Trials {
		if tr.State != "done" || tr.BestF1 == nil || tr.Epochs != 2 || tr.Node == "" {
			t.Errorf("trial %s: %+v", tr.Run, tr)
		}
	}
	if s.Trials[3].Params["lr"] != "0.001" {
		t.Errorf("trial 3's settings %v", s.Trials[3].Params)
	}
	// Each trial is an ordinary run: its run.json has the trial's settings.
	info, err := runs.NewStore(s.Dir).Info("t001")
	if err != nil {
		t.Fatal(err)
	}
	if info.LR != 0.003 || info.Config["seed"] != float64(2) || info.DataDir != data {
		t.Errorf("t001 trained with lr %v seed %v data %v", info.LR, info.Config["seed"], info.DataDir)
	}
	// What the rate and the seed account for: both vary, in two groups
	// of two trials each.
	if !strings.Contains(out, "settings by their share of best macro F1's spread (ε², main effects, 4 scored trials; the seeds' share is what noise alone gives):") ||
		!regexp.MustCompile(`(?m)^  lr    [ 01]\.\d\d  best 0\.00[13] \(mean 0\.\d{4} over 2\)  Spearman [+-][01]\.\d\d$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^  seed  [ 01]\.\d\d  best [12] \(mean 0\.\d{4} over 2\)$`).MatchString(out) {
		t.Errorf("the finished sweep does not say what its settings account for:\n%s", out)
	}
	if len(s.Importance) != 2 || s.Importance[0].Groups != 2 || s.Importance[0].Runs != 4 || s.Importance[0].Share == nil {
		t.Errorf("status --json's importance: %+v", s.Importance)
	}
	if !strings.Contains(out, "next: maskdash ensemble --sweep "+id+" --top 5 --out FILE") {
		t.Errorf("the finished sweep does not say what comes next:\n%s", out)
	}
	if o, err := run(t, "runs", "--runs", s.Dir); err != nil || strings.Count(o, "done") != 4 {
		t.Errorf("runs of the sweep folder: %v\n%s", err, o)
	}
	// The sweep exports as a page and a table; as figures, its trials do.
	exp := t.TempDir()
	if o, err := run(t, "export", id, "--runs", rd, "--format", "html", "--out", exp); err != nil || !strings.Contains(o, "wrote "+filepath.Join(exp, id+".html")) {
		t.Errorf("export of a sweep as html: %v\n%s", err, o)
	}
	if o, err := run(t, "export", id, "--runs", rd, "--format", "csv", "--out", exp); err != nil || !strings.Contains(o, "wrote "+filepath.Join(exp, id+"-trials.csv")) ||
		!strings.Contains(o, "wrote "+filepath.Join(exp, id+"-importance.csv")) {
		t.Errorf("export of a sweep as csv: %v\n%s", err, o)
	} else if b, err := os.ReadFile(filepath.Join(exp, id+"-trials.csv")); err != nil || strings.Count(string(b), "\n") != 5 || !strings.HasPrefix(string(b), "trial,state,best_macro_f1,best_epoch,epochs_done,epochs,lr,seed,why\n") {
		t.Errorf("the sweep's table: %v\n%s", err, b)
	}
	if o, err := run(t, "export", id, "--runs", rd, "--format", "png", "--out", exp); err == nil || !strings.Contains(o, "maskdash: sweep "+id+" exports as html or csv; its trials export in every format as "+id+"/TRIAL") {
		t.Errorf("export of a sweep as png: %v\n%s", err, o)
	}
	// The runs folder's own listing is not confused by the sweep folder,
	// and says it holds a sweep of four trials, with its best.
	if o, err := run(t, "runs", "--runs", rd); err != nil || strings.Contains(o, "corrupt") ||
		!strings.Contains(o, "sweep "+id+": 4 trials (4 done), best t0") || !strings.Contains(o, "maskdash sweep status "+id) {
		t.Errorf("runs of the runs folder: %v\n%s", err, o)
	}
}

func TestSweepBadInput(t *testing.T) {
	rd := t.TempDir()
	noSlurm := t.TempDir()
	goDir := filepath.Dir(bin)
	for _, c := range []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"sweep", "--runs", rd, "--epochs", "2"}, nil, "the search space is empty"},
		{[]string{"sweep", "--runs", rd, "--grid", "bogus=1,2"}, nil, `"bogus" is not a train flag`},
		{[]string{"sweep", "--runs", rd, "--grid", "run-id=a,b"}, nil, "is set by the sweep itself"},
		{[]string{"sweep", "--runs", rd, "--grid", "lr=0.1,-1"}, nil, "--lr"},
		{[]string{"sweep", "--runs", rd, "--random", "lr=log:0..1"}, nil, "must be above 0"},
		{[]string{"sweep", "--runs", rd, "--grid", "lr=0.1", "--early-stop", "soon"}, nil, `"soon" is not asha or median`},
		{[]string{"sweep", "--runs", "/proc/version/x", "--grid", "lr=0.1"}, nil, "runs folder"},
		{[]string{"sweep", "--runs", rd, "--grid", "lr=0.1", "--backend", "slurm"}, []string{"PATH=" + noSlurm + ":" + goDir}, "sbatch is not on PATH"},
		{[]string{"sweep", "status", "nope", "--runs", rd}, nil, `no sweep "nope"`},
		{[]string{"sweep", "--runs", rd, "--search", "tpe", "--grid", "lr=0.1,0.01"}, nil, "--search tpe searches --random's space: give --random"},
		{[]string{"sweep", "--runs", rd, "--search", "tpe", "--random", "lr=log:1e-4..1e-2", "--grid", "loss=ce,focal"}, nil, "write --grid's settings as lists in --random"},
		{[]string{"sweep", "--runs", rd, "--search", "bayes", "--random", "lr=log:1e-4..1e-2"}, nil, `--search "bayes" is unknown; use random, tpe or tpe-independent`},
		{[]string{"sweep", "--runs", rd, "--random", "lr=log:1e-4..1e-2", "--startup", "3"}, nil, "--startup is a TPE search's"},
		// Found by a typo that failed every trial, one by one.
		{[]string{"sweep", "--runs", rd, "--grid", "lr=0.1,0.01", "--data", filepath.Join(rd, "nodata")}, nil, "data folder " + filepath.Join(rd, "nodata") + " does not exist"},
		{[]string{"sweep", "--runs", rd, "--random", "lr=log:1e-4..1e-2", "--data", filepath.Join(rd, "nodata")}, nil, "maskdash: data folder " + filepath.Join(rd, "nodata") + " does not exist"},
		// A TPE search draws its first setting and proposes later ones
		// from the whole space: every value of it is checked at the
		// start, and the error names the value, whatever was drawn first.
		{[]string{"sweep", "--runs", rd, "--search", "tpe", "--startup", "1", "--trials", "3", "--random", "erase=0,0.5,7"}, nil, "--random's erase=7: erase 7 is invalid"},
		{[]string{"sweep", "--runs", rd, "--search", "tpe", "--startup", "1", "--trials", "3", "--random", "erase=0..1.5"}, nil, "--random's erase=1.5: erase 1.5 is invalid"},
	} {
		sweepRefused(t, c.args, c.env, c.want)
	}
	// A Slurm client whose controller does not answer (a port nobody
	// listens on): one sentence naming slurmctld, and the sweep folder
	// written stays, to be resumed.
	if conf, err := os.ReadFile("/etc/slurm/slurm.conf"); err == nil {
		if _, err := exec.LookPath("sbatch"); err == nil {
			dead := filepath.Join(t.TempDir(), "slurm.conf")
			if err := os.WriteFile(dead, []byte(strings.Replace(string(conf), "SlurmctldHost=localhost", "SlurmctldHost=localhost\nSlurmctldPort=6999", 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			rd2 := t.TempDir()
			sweepRefused(t, []string{"sweep", "--runs", rd2, "--grid", "lr=0.1", "--backend", "slurm"}, []string{"SLURM_CONF=" + dead}, "slurmctld")
			if sws, _ := sweep.List(rd2); len(sws) != 1 {
				t.Errorf("the unsubmitted sweep's folder: %d sweeps", len(sws))
			}
		}
	}
}

// sweepRefused runs maskdash and wants one sentence with want and a
// non-zero exit.
func sweepRefused(t *testing.T, args, env []string, want string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	{
		o, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(o), want) || strings.Count(strings.TrimSpace(string(o)), "\n") > 0 {
			t.Errorf("%v: want one sentence with %q, got %v %q", args, want, err, o)
		}
	}
}

// slurmUp skips a test when no Slurm cluster answers (CI starts one with
// scripts/slurm-local.sh).
func slurmUp(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("sbatch"); err != nil {
		t.Skip("no Slurm here (scripts/slurm-local.sh start makes a one-node cluster)")
	}
	if out, err := exec.Command("sinfo", "-h", "-o", "%T").Output(); err != nil || !strings.ContainsAny(string(out), "ia") {
		t.Skipf("Slurm does not answer (sinfo: %v %q); scripts/slurm-local.sh start", err, out)
	}
}

// TestSweepSlurmASHA submits a 4-trial sweep of cnn-s to the real Slurm
// cluster with ASHA: every trial ends and lists, and the weakest trial (a
// learning rate of 1e-7, last to start) is stopped by ASHA.
func TestSweepSlurmASHA(t *testing.T) {
	slurmUp(t)
	// A set that a good learning rate learns from in one epoch.
	data := t.TempDir()
	if err := dataset.Synthesize(context.Background(), dataset.SynthConfig{Out: data, Profiles: 80, W: 48, H: 64, Eval: 10, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	rd := t.TempDir()
	out, err := run(t, "sweep", "--runs", rd, "--backend", "slurm", "--parallel", "2", "--grid", "lr=0.003,0.002,0.001,0.0000001",
		"--early-stop", "asha", "--eta", "2", "--wait", "--data", data, "--img", "32x32", "--batch", "16", "--epochs", "3")
	if err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	s := sweepStatus(t, rd, onlySweep(t, rd))
	for _, tr := range s.Trials {
		if tr.State != "done" && tr.State != "stopped" {
			t.Errorf("trial %s ended %s (%s)", tr.Run, tr.State, tr.Why)
		}
		if tr.Node != "localhost" {
			t.Errorf("trial %s ran on %q, want Slurm's node localhost", tr.Run, tr.Node)
		}
	}
	if w := s.Trials[3]; w.State != "stopped" || !strings.Contains(w.Why, "ASHA") {
		t.Errorf("the weakest trial: %s (%s), want stopped by ASHA\n%s", w.State, w.Why, out)
	}
	logs, _ := filepath.Glob(filepath.Join(s.Dir, "logs", "slurm-*_3.out"))
	if len(logs) != 1 {
		t.Errorf("no Slurm output of task 3: %v", logs)
	}
}

// TestSweepSlurmRequeue: a trial scancel'ed mid-run is requeued by the
// waiting sweep and resumes from its checkpoint: every epoch is in its
// log once, none lost and none twice.
func TestSweepSlurmRequeue(t *testing.T) {
	slurmUp(t)
	data := tinySet(t)
	rd := t.TempDir()
	const epochs = 60
	cmd := exec.Command(bin, "sweep", "--runs", rd, "--backend", "slurm", "--parallel", "2", "--grid", "lr=0.002,0.001", "--wait",
		"--data", data, "--img", "16x16", "--batch", "8", "--epochs", fmt.Sprint(epochs))
	var buf strings.Builder
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var sw *sweep.Sweep
	deadline := time.Now().Add(90 * time.Second)
	for {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("trial t000 never reached epoch 3\n%s", buf.String())
		}
		time.Sleep(100 * time.Millisecond)
		if sws, _ := sweep.List(rd); len(sws) == 1 {
			sw = sws[0]
			if info, err := runs.ReadInfo(sw.RunDir(0)); err == nil && info.EpochsDone >= 3 && info.EpochsDone < epochs-30 {
				break
			}
		}
	}
	sw, _ = sweep.Open(rd, sw.Dir)
	job := strings.TrimPrefix(sw.Jobs[0], "slurm:")
	if o, err := exec.Command("scancel", job+"_0").CombinedOutput(); err != nil {
		t.Fatalf("scancel: %v %s", err, o)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sweep --wait: %v\n%s", err, buf.String())
		}
	case <-time.After(3 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("the sweep did not end\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "t000: requeued") {
		t.Errorf("the monitor did not requeue t000:\n%s", buf.String())
	}
	s := sweepStatus(t, rd, sw.ID)
	if tr := s.Trials[0]; tr.State != "done" || tr.Epochs != epochs || tr.Submits != 2 {
		t.Errorf("t000 after its requeue: %+v", tr)
	}
	evs, err := training.ReplayLog(sw.RunDir(0))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for _, e := range evs {
		if e.Kind == training.KindEpoch {
			seen[e.Epoch]++
		}
	}
	for ep := 1; ep <= epochs; ep++ {
		if seen[ep] != 1 {
			t.Errorf("epoch %d is in the log %d times", ep, seen[ep])
		}
	}
	outs, _ := filepath.Glob(filepath.Join(sw.Dir, "logs", "slurm-*_0.out"))
	var all string
	for _, p := range outs {
		b, _ := os.ReadFile(p)
		all += string(b)
	}
	if !strings.Contains(all, "resumes from its last checkpoint") {
		t.Errorf("t000's Slurm output does not show a resume:\n%s", all)
	}
}

// TestSweepFoldsEnsemble: a 3-fold sweep trains one trial per fold, and
// ensemble --sweep votes with every fold.
func TestSweepFoldsEnsemble(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	out, err := run(t, "sweep", "--runs", rd, "--folds", "3", "--parallel", "3", "--wait", "--data", data, "--img", "16x16", "--batch", "8", "--epochs", "1")
	if err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	id := onlySweep(t, rd)
	// The next step, once every fold has ended: their vote, with offsets.
	if !strings.Contains(out, "next: maskdash ensemble --sweep "+id+" --offsets --out FILE") {
		t.Errorf("the finished sweep does not say what comes next:\n%s", out)
	}
	s := sweepStatus(t, rd, id)
	if len(s.Trials) != 3 {
		t.Fatalf("%d trials, want 3 folds", len(s.Trials))
	}
	for i := range 3 {
		info, err := runs.ReadInfo(filepath.Join(s.Dir, s.Trials[i].Run))
		if err != nil {
			t.Fatal(err)
		}
		if info.Config["fold"] != float64(i+1) || info.Config["folds"] != float64(3) {
			t.Errorf("trial %d trained fold %v of %v", i, info.Config["fold"], info.Config["folds"])
		}
	}
	csv := filepath.Join(t.TempDir(), "sub.csv")
	out, err = run(t, "ensemble", "--runs", rd, "--sweep", id, "--out", csv, "--offsets")
	if err != nil || !strings.Contains(out, "soft vote of 3 runs") || !strings.Contains(out, "class offsets on out-of-fold predictions (3 validation splits, 168 images)") {
		t.Fatalf("ensemble --sweep --offsets: %v\n%s", err, out)
	}
	b, err := os.ReadFile(csv)
	if err != nil || !strings.HasPrefix(string(b), "ImageID,ans\n") {
		t.Errorf("submission: %v %.40q", err, b)
	}
	// The folds' vote has an out-of-fold figure (it had none), kept as
	// its validation figure in the record of submissions, marked so.
	m := regexp.MustCompile(`validation, out of fold \(the 168 images of 3 validation splits, each voted by the runs that did not train on it\): macro F1 (\d\.\d{4}) \(each split's \d\.\d{4}, \d\.\d{4}, \d\.\d{4}\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("ensemble of the folds gives no out-of-fold figure:\n%s", out)
	}
	subs, err := runs.ReadSubmissions(rd)
	if err != nil || len(subs) != 1 || subs[0].ValF1 == nil || !subs[0].ValOutOfFold || fmt.Sprintf("%.4f", *subs[0].ValF1) != m[1] {
		t.Errorf("the record of the folds' vote: %v %+v, want out of fold %s", err, subs, m[1])
	}
	if out, err := run(t, "submissions", "--runs", rd); err != nil || !strings.Contains(out, m[1]+" oof") || !strings.Contains(out, "oof: a vote of the folds of a K-fold split") {
		t.Errorf("submissions: %v\n%s", err, out)
	}
}

// TestSweepSettingsOverFolds: a sweep of two rates on two folds each
// names the rate with the better mean over its folds (the
// cross-validation figure; it named only the luckiest trial), and
// ensemble --sweep votes that rate's folds alone (it voted every trial,
// both rates'); --top 2 takes both rates.
func TestSweepSettingsOverFolds(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	out, err := run(t, "sweep", "--runs", rd, "--folds", "2", "--grid", "lr=0.003,0.0003", "--parallel", "2", "--wait", "--data", data, "--img", "16x16", "--batch", "8", "--epochs", "1")
	if err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	id := onlySweep(t, rd)
	mean := map[string]float64{}
	for _, tr := range sweepStatus(t, rd, id).Trials {
		if tr.BestF1 == nil {
			t.Fatalf("trial %s has no figure", tr.Run)
		}
		mean[tr.Params["lr"]] += *tr.BestF1 / 2
	}
	best, other := "0.003", "0.0003"
	if mean[other] > mean[best] {
		best, other = other, best
	}
	js, err := exec.Command(bin, "sweep", "status", id, "--runs", rd, "--json").Output()
	var byMean struct {
		Settings []struct {
			Params string   `json:"params"`
			Mean   float64  `json:"mean_best_macro_f1"`
			Runs   []string `json:"runs"`
		} `json:"settings_by_mean"`
	}
	if err != nil || json.Unmarshal(js, &byMean) != nil || len(byMean.Settings) != 2 || byMean.Settings[0].Params != "lr="+best ||
		math.Abs(byMean.Settings[0].Mean-mean[best]) > 1e-9 || len(byMean.Settings[0].Runs) != 2 {
		t.Errorf("sweep status --json's settings by their mean: %v\n%s", err, js)
	}
	says := fmt.Sprintf("best setting by its mean over its folds: lr=%s, mean macro F1 %.4f over 2 of 2 folds", best, mean[best])
	if !strings.Contains(out, says) || !strings.Contains(out, "(the vote of the best setting's folds, with class offsets") {
		t.Errorf("the sweep's end does not name the best rate by its mean (%q):\n%s", says, out)
	}
	out, err = run(t, "ensemble", "--runs", rd, "--sweep", id, "--out", filepath.Join(t.TempDir(), "v.csv"))
	if err != nil || !strings.Contains(out, "from the sweep, by its mean: lr="+best+": mean macro F1") || !strings.Contains(out, "soft vote of 2 runs") ||
		strings.Count(out, "(lr="+best+" fold=") != 2 || strings.Contains(out, "(lr="+other+" fold=") {
		t.Errorf("ensemble --sweep of rates over folds: %v\n%s", err, out)
	}
	out, err = run(t, "ensemble", "--runs", rd, "--sweep", id, "--top", "2", "--out", filepath.Join(t.TempDir(), "v.csv"))
	if err != nil || !strings.Contains(out, "soft vote of 4 runs") || !strings.Contains(out, "validation, out of fold (the 168 images of 2 validation splits") {
		t.Errorf("ensemble --sweep --top 2: %v\n%s", err, out)
	}
}

// TestSweepTrainAgeBins: a grid over --train-age-bins, whose values are
// written 30:50 (the grid's commas separate values); each trial trains
// with its thresholds.
func TestSweepTrainAgeBins(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	if out, err := run(t, "sweep", "--runs", rd, "--grid", "train-age-bins=30:50,30:60", "--parallel", "2", "--wait",
		"--data", data, "--img", "16x16", "--batch", "8", "--epochs", "1"); err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	s := sweepStatus(t, rd, onlySweep(t, rd))
	for i, want := range []string{"30:50", "30:60"} {
		info, err := runs.ReadInfo(filepath.Join(s.Dir, s.Trials[i].Run))
		if err != nil {
			t.Fatal(err)
		}
		if s.Trials[i].State != "done" || info.Config["train_age_bins"] != want {
			t.Errorf("trial %d: %s, trained with train_age_bins %v, want %s", i, s.Trials[i].State, info.Config["train_age_bins"], want)
		}
	}
}

// TestSweepOverSchedules: a grid over schedules with the plateau's wait
// among the shared flags trains each trial with what goes with its own
// schedule (the none trial without --lr-patience, which train alone
// refuses beside it), and a trial's own --lr-patience stays.
func TestSweepOverSchedules(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	if out, err := run(t, "sweep", "--runs", rd, "--grid", "schedule=none,plateau", "--lr-patience", "2", "--lr-gamma", "0.3", "--parallel", "2", "--wait",
		"--data", data, "--img", "16x16", "--batch", "8", "--epochs", "1"); err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	s := sweepStatus(t, rd, onlySweep(t, rd))
	for i, want := range []map[string]any{{"schedule": "none", "lr_patience": nil, "lr_gamma": nil}, {"schedule": "plateau", "lr_patience": 2.0, "lr_gamma": 0.3}} {
		info, err := runs.ReadInfo(filepath.Join(s.Dir, s.Trials[i].Run))
		if err != nil {
			t.Fatal(err)
		}
		if s.Trials[i].State != "done" {
			t.Errorf("trial %d: %s", i, s.Trials[i].State)
		}
		for k, v := range want {
			if got := info.Config[k]; got != v {
				t.Errorf("trial %d (%s): %s is %v, want %v", i, want["schedule"], k, got, v)
			}
		}
	}
	if out, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--schedule", "none", "--lr-patience", "2"); err == nil || !strings.Contains(out, "--lr-patience 2 is the plateau schedule's") {
		t.Errorf("train --schedule none --lr-patience 2: %v\n%s", err, out)
	}
}

// tpeSweep runs a TPE search of 5 settings (2 at first, at random) of the
// learning rate and the loss, two trials at a time, on backend, waiting
// on it (wait) or not, and checks what a user would: every setting is
// tried (without a waiting process, the trials that end propose the
// next), sweep.json keeps the search, the first two trials are the random
// start and the later ones were added as trials ended, TPE's own among
// them, and status says how far the search came.
func tpeSweep(t *testing.T, backend string, wait bool) {
	t.Helper()
	data := tinySet(t)
	rd := t.TempDir()
	args := []string{"sweep", "--runs", rd, "--backend", backend, "--search", "tpe", "--random", "lr=log:1e-4..1e-2;loss=ce,focal",
		"--trials", "5", "--startup", "2", "--parallel", "2", "--data", data, "--img", "16x16", "--batch", "8", "--epochs", "1"}
	if wait {
		args = append(args, "--wait")
	}
	out, err := run(t, args...)
	if err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	id := onlySweep(t, rd)
	st := waitAllDone(t, rd, id, 5)
	sw, err := sweep.Open(rd, id)
	if err != nil {
		t.Fatal(err)
	}
	if s := sw.Search; s == nil || s.Method != sweep.MethodTPE || s.Points != 5 || s.Startup != 2 || !s.Joint {
		t.Fatalf("sweep.json's search: %+v", s)
	}
	tpe := 0
	for i, tr := range sw.Trials {
		switch {
		case i < 2 && tr.Proposed != "":
			t.Errorf("trial %d of the random start says %q", i, tr.Proposed)
		case i >= 2 && tr.Proposed != sweep.TrialProposedTPE && tr.Proposed != sweep.TrialDrawn:
			t.Errorf("trial %d, added while the sweep ran, says %q", i, tr.Proposed)
		case tr.Proposed == sweep.TrialProposedTPE:
			tpe++
		}
	}
	if tpe == 0 {
		t.Errorf("no trial proposed by TPE:\n%s", out)
	}
	if wait && !strings.Contains(out, "proposed by TPE from the finished trials: lr=") {
		t.Errorf("the waiting sweep does not say what TPE proposed:\n%s", out)
	}
	for _, tr := range st.Trials {
		if tr.BestF1 == nil {
			t.Errorf("trial %s: no F1 (%s)", tr.Run, tr.Why)
		}
	}
	status, err := exec.Command(bin, "sweep", "status", id, "--runs", rd).Output()
	if err != nil || !strings.Contains(string(status), fmt.Sprintf("search: TPE, 5 of 5 settings (%d drawn at random, %d proposed by TPE)", 5-tpe, tpe)) ||
		!regexp.MustCompile(`(?m)^t000 .* start +lr=`).Match(status) || !regexp.MustCompile(`(?m)^t00[234] .* tpe +lr=`).Match(status) {
		t.Errorf("sweep status: %v\n%s", err, status)
	}
}

// tpeFailing runs a TPE search of 4 settings, one at a time, with no
// process waiting on it, whose every trial fails as it trains (its data
// folder's images cannot be read): the search goes on to its last setting, each failure
// counted as the worst score, and status says why each failed. (A
// search used to stop at its first failure, waiting for a requeue that
// only sweep resume or a waiting sweep would make.)
func tpeFailing(t *testing.T, backend string) {
	t.Helper()
	bad := unreadableSet(t)
	rd := t.TempDir()
	// Independent TPE here (the other tests' searches are joint).
	out, err := run(t, "sweep", "--runs", rd, "--backend", backend, "--search", "tpe-independent", "--random", "lr=log:1e-4..1e-2;loss=ce,focal",
		"--trials", "4", "--startup", "2", "--data", bad, "--img", "16x16", "--epochs", "1")
	if err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	id := onlySweep(t, rd)
	want := "epoch 1 trained on no image: none of its"
	var st sweepStatusJSON
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(300 * time.Millisecond) {
		st = sweepStatus(t, rd, id)
		failed := 0
		for _, tr := range st.Trials {
			if tr.State == "failed" && strings.HasPrefix(tr.Why, want) && tr.Submits == 1 {
				failed++
			}
		}
		if failed == 4 && len(st.Trials) == 4 {
			break
		}
		if time.Now().After(deadline) {
			status, _ := exec.Command(bin, "sweep", "status", id, "--runs", rd).CombinedOutput()
			t.Fatalf("after 2 minutes, not 4 trials failed (once each) for the unreadable images:\n%s", status)
		}
	}
	status, err := exec.Command(bin, "sweep", "status", id, "--runs", rd).Output()
	if err != nil || !strings.Contains(string(status), "search: independent TPE, 4 of 4 settings (2 drawn at random, 2 proposed by TPE)") {
		t.Errorf("sweep status: %v\n%s", err, status)
	}
	if sw, err := sweep.Open(rd, id); err != nil || sw.Search == nil || sw.Search.Joint || !slices.Contains(sw.Space, "--search=tpe-independent") {
		t.Errorf("sweep.json of an independent search: %v %+v %v", err, sw.Search, sw.Space)
	}
}

// TestSweepTPEGoesOnPastFailures: tpeFailing on this machine and on the
// real Slurm cluster.
func TestSweepTPEGoesOnPastFailures(t *testing.T) {
	t.Run("local", func(t *testing.T) { tpeFailing(t, "local") })
	t.Run("slurm", func(t *testing.T) {
		slurmUp(t)
		tpeFailing(t, "slurm")
	})
}

// TestSweepWaitGivesUpOnARepeatedFailure: a waiting sweep requeues a
// trial that failed, and when it fails the same way again (its data
// folder's images cannot be read) lets it be: two submissions each, not
// MaxSubmits, and status says why, on this machine and on Slurm. With
// no trial scored, the command exits non-zero. A data folder that holds
// no data set is refused before any trial is submitted.
func TestSweepWaitGivesUpOnARepeatedFailure(t *testing.T) {
	for _, backend := range []string{"local", "slurm"} {
		t.Run(backend, func(t *testing.T) {
			if backend == "slurm" {
				slurmUp(t)
			}
			empty, bad := t.TempDir(), unreadableSet(t)
			rd := t.TempDir()
			// A data folder that holds no data set fails every trial as
			// it starts: refused before any is submitted.
			out, err := run(t, "sweep", "--runs", rd, "--backend", backend, "--grid", "lr=0.001,0.002", "--data", empty, "--img", "16x16", "--epochs", "1", "--wait")
			if entries, _ := os.ReadDir(rd); err == nil || !strings.HasSuffix(out, "maskdash: data folder "+empty+" is in no known format (mask layout, image folder or IDX files).\n") || len(entries) != 0 {
				t.Fatalf("sweep of an empty data folder: %v, %d entries in the runs folder\n%s", err, len(entries), out)
			}
			// Images that cannot be read fail each trial once it trains.
			out, err = run(t, "sweep", "--runs", rd, "--backend", backend, "--grid", "lr=0.001,0.002", "--parallel", "2",
				"--data", bad, "--img", "16x16", "--epochs", "1", "--wait")
			if err == nil || !strings.HasSuffix(out, "maskdash: no trial of "+onlySweep(t, rd)+" finished an epoch (2 failed; the table above says why).\n") {
				t.Fatalf("sweep --wait of trials that all failed: %v\n%s", err, out)
			}
			if n := strings.Count(out, "requeued (submission 2 of at most 4)"); n != 2 || strings.Contains(out, "submission 3") {
				t.Errorf("want each trial requeued once, to its second submission:\n%s", out)
			}
			st := sweepStatus(t, rd, onlySweep(t, rd))
			for _, tr := range st.Trials {
				want := "epoch 1 trained on no image: none of its"
				again := "the same failure as submission 1's, so not requeued again"
				if tr.State != "failed" || tr.Submits != 2 || !strings.HasPrefix(tr.Why, want) || !strings.Contains(tr.Why, again) {
					t.Errorf("trial %s: %s after %d submissions (%s)", tr.Run, tr.State, tr.Submits, tr.Why)
				}
			}
		})
	}
}

// TestSweepExtend: sweep extend adds settings to a finished TPE search,
// proposed by TPE from every trial so far, which train and propose the
// rest with no process waiting; to a random search, drawn; a grid sweep
// is refused in a sentence.
func TestSweepExtend(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	if out, err := run(t, "sweep", "--runs", rd, "--search", "tpe", "--random", "lr=log:1e-4..1e-2;loss=ce,focal", "--trials", "3", "--startup", "2",
		"--data", data, "--img", "16x16", "--batch", "8", "--epochs", "1", "--wait"); err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	id := onlySweep(t, rd)
	out, err := run(t, "sweep", "extend", id, "--runs", rd, "--trials", "2")
	if err != nil || !strings.Contains(out, "sweep "+id+": 2 settings more, 5 in all") || !strings.Contains(out, "t003: proposed by TPE from the finished trials: lr=") {
		t.Fatalf("sweep extend: %v\n%s", err, out)
	}
	waitAllDone(t, rd, id, 5)
	sw, err := sweep.Open(rd, id)
	if err != nil || sw.Search.Points != 5 || sw.Trials[3].Proposed != sweep.TrialProposedTPE || sw.Trials[4].Proposed != sweep.TrialProposedTPE {
		t.Errorf("the extended search: %v %+v %+v", err, sw.Search, sw.Trials)
	}
	if status, err := exec.Command(bin, "sweep", "status", id, "--runs", rd).Output(); err != nil || !strings.Contains(string(status), "search: TPE, 5 of 5 settings (2 drawn at random, 3 proposed by TPE)") {
		t.Errorf("sweep status: %v\n%s", err, status)
	}
	// A random search draws more: each new setting with the sweep's
	// seeds, and sweep.json's space counts them.
	rnd := t.TempDir()
	out, err = run(t, "sweep", "--runs", rnd, "--random", "lr=log:1e-4..1e-2", "--trials", "1", "--seeds", "2",
		"--data", data, "--img", "16x16", "--epochs", "1", "--wait")
	if err != nil {
		t.Fatalf("random sweep: %v\n%s", err, out)
	}
	rid := onlySweep(t, rnd)
	if !strings.Contains(out, "more: maskdash sweep extend "+rid+" --trials 10 --search tpe (TPE proposes them from these draws)") {
		t.Errorf("the finished random search does not say how to go on:\n%s", out)
	}
	out, err = run(t, "sweep", "extend", rid, "--runs", rnd, "--trials", "2", "--wait")
	if err != nil || !strings.Contains(out, "sweep "+rid+": 2 settings more drawn at random, 6 trials in all") || !strings.Contains(out, "6 done") {
		t.Errorf("extend of a random search: %v\n%s", err, out)
	}
	if sw, err := sweep.Open(rnd, rid); err != nil || len(sw.Trials) != 6 || !slices.Contains(sw.Space, "--trials=3") ||
		sw.Trials[4].Seed != 1 || sw.Trials[5].Seed != 2 || sw.Trials[4].Params[0] != sw.Trials[5].Params[0] || sw.Trials[2].Params[0] == sw.Trials[4].Params[0] {
		t.Errorf("the extended random search: %v %v %+v", err, sw.Space, sw.Trials)
	}
	// …and goes on as a TPE search, its draws the random start.
	out, err = run(t, "sweep", "extend", rid, "--runs", rnd, "--trials", "1", "--search", "tpe", "--wait")
	if err != nil || !strings.Contains(out, "sweep "+rid+": 1 setting more, 4 in all") || !strings.Contains(out, "t006: proposed by TPE from the finished trials: lr=") ||
		!strings.Contains(out, "search: TPE, 4 of 4 settings (3 drawn at random, 1 proposed by TPE)") || !strings.Contains(out, "8 done") ||
		!strings.Contains(out, "more: maskdash sweep extend "+rid+" --trials 10 (TPE proposes them from every trial so far)") {
		t.Errorf("a random search extended as TPE: %v\n%s", err, out)
	}
	if out, err := run(t, "sweep", "extend", rid, "--runs", rnd, "--trials", "1", "--search", "tpe-independent"); err == nil ||
		!strings.Contains(out, "maskdash: sweep "+rid+" is a TPE search already: extend it without --search") {
		t.Errorf("extend of a TPE search as independent TPE: %v\n%s", err, out)
	}
	grid := t.TempDir()
	if out, err := run(t, "sweep", "--runs", grid, "--grid", "lr=0.001,0.002", "--data", data, "--img", "16x16", "--epochs", "1", "--wait"); err != nil || strings.Contains(out, "more:") {
		t.Fatalf("grid sweep (nothing more to try): %v\n%s", err, out)
	}
	gid := onlySweep(t, grid)
	if out, err := run(t, "sweep", "extend", gid, "--runs", grid, "--trials", "2"); err == nil ||
		!strings.Contains(out, "maskdash: sweep "+gid+" is a grid, which has no more settings to try") {
		t.Errorf("extend of a grid sweep: %v\n%s", err, out)
	}
}

// TestSweepExtendWhileRunning: extending a local sweep whose runner still
// runs starts a second runner, which waits for the first one's trials:
// with --parallel 1 no two trials of the sweep ever run at once.
func TestSweepExtendWhileRunning(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	if out, err := run(t, "sweep", "--runs", rd, "--random", "lr=log:1e-4..1e-2", "--trials", "2", "--parallel", "1",
		"--data", data, "--img", "16x16", "--batch", "8", "--epochs", "2"); err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	id := onlySweep(t, rd)
	if out, err := run(t, "sweep", "extend", id, "--runs", rd, "--trials", "2"); err != nil {
		t.Fatalf("sweep extend: %v\n%s", err, out)
	}
	sw, err := sweep.Open(rd, id)
	if err != nil || len(sw.Jobs) != 2 {
		t.Fatalf("want two local runners (the sweep's and the extension's): %v %v", err, sw.Jobs)
	}
	waitAllDone(t, rd, id, 4)
	type span struct{ from, to time.Time }
	var spans []span
	for i := range 4 {
		info, err := runs.ReadInfo(sw.RunDir(i))
		if err != nil || info.End.IsZero() {
			t.Fatalf("trial %d: %v %+v", i, err, info)
		}
		spans = append(spans, span{info.Start, info.End})
	}
	for i := range spans {
		for j := range i {
			if spans[i].from.Before(spans[j].to) && spans[j].from.Before(spans[i].to) {
				t.Errorf("trials %d (%v–%v) and %d (%v–%v) ran at once with --parallel 1", j, spans[j].from, spans[j].to, i, spans[i].from, spans[i].to)
			}
		}
	}
}

// TestSweepSlurmExtend: on the real Slurm cluster, a random search is
// extended with a draw (an sbatch of its own) and then as a TPE search,
// whose proposal is submitted the same way.
func TestSweepSlurmExtend(t *testing.T) {
	slurmUp(t)
	data := tinySet(t)
	rd := t.TempDir()
	if out, err := run(t, "sweep", "--runs", rd, "--backend", "slurm", "--random", "lr=log:1e-4..1e-2;loss=ce,focal", "--trials", "2",
		"--data", data, "--img", "16x16", "--batch", "8", "--epochs", "1", "--wait"); err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	id := onlySweep(t, rd)
	if out, err := run(t, "sweep", "extend", id, "--runs", rd, "--trials", "1", "--wait"); err != nil || !strings.Contains(out, "3 done") {
		t.Fatalf("extend by a draw: %v\n%s", err, out)
	}
	out, err := run(t, "sweep", "extend", id, "--runs", rd, "--trials", "1", "--search", "tpe", "--wait")
	if err != nil || !strings.Contains(out, "t003: proposed by TPE from the finished trials: ") || !strings.Contains(out, "search: TPE, 4 of 4 settings (3 drawn at random, 1 proposed by TPE)") || !strings.Contains(out, "4 done") {
		t.Errorf("extend as TPE on Slurm: %v\n%s", err, out)
	}
	if sw, err := sweep.Open(rd, id); err != nil || len(sw.Jobs) != 3 {
		t.Errorf("want three Slurm jobs (the sweep's and one an extension): %v %v", err, sw.Jobs)
	}
}

// TestSweepTPE: a TPE search on this machine, followed by the command
// (--wait) and left to its trials.
func TestSweepTPE(t *testing.T) {
	for _, wait := range []bool{true, false} {
		t.Run(fmt.Sprintf("wait=%v", wait), func(t *testing.T) { tpeSweep(t, "local", wait) })
	}
}

// TestSweepSlurmTPE: a TPE search on the real Slurm cluster, with no
// process waiting on it: each trial that ends proposes the next setting
// and submits it with an sbatch of its own, from its Slurm job.
func TestSweepSlurmTPE(t *testing.T) {
	slurmUp(t)
	tpeSweep(t, "slurm", false)
}

// TestSweepOverTasksVotes: a sweep over --task (and the learning rate)
// votes, with --sweep --top 1, the best trial of each task, and the vote
// is a submission of the 18 classes.
func TestSweepOverTasksVotes(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	if out, err := run(t, "sweep", "--runs", rd, "--grid", "task=mask,gender,age;lr=0.003,0.001", "--parallel", "2", "--wait",
		"--data", data, "--img", "16x16", "--batch", "8", "--epochs", "1"); err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	id := onlySweep(t, rd)
	out, err := run(t, "ensemble", "--sweep", id, "--top", "1", "--runs", rd, "--out", filepath.Join(rd, "vote.csv"))
	if err != nil {
		t.Fatalf("ensemble --sweep: %v\n%s", err, out)
	}
	for _, task := range []string{"mask", "gender", "age"} {
		if strings.Count(out, "task="+task) != 1 || !strings.Contains(out, "of the "+task+" task") {
			t.Errorf("the vote does not take the best %s trial alone:\n%s", task, out)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(rd, "vote.csv")); !strings.HasPrefix(string(b), "ImageID,ans\n") {
		t.Errorf("the vote's file: %.40q", b)
	}
}

// TestSweepOverTasksFoldsOffsets: a K-fold sweep over --task votes every
// fold of each task, with class offsets fitted on the folds' out-of-fold
// predictions combined task by task.
func TestSweepOverTasksFoldsOffsets(t *testing.T) {
	data := tinySet(t)
	rd := t.TempDir()
	if out, err := run(t, "sweep", "--runs", rd, "--grid", "task=mask,gender,age", "--folds", "2", "--parallel", "2", "--wait",
		"--data", data, "--img", "16x16", "--batch", "8", "--epochs", "1"); err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	out, err := run(t, "ensemble", "--sweep", onlySweep(t, rd), "--offsets", "--runs", rd, "--out", filepath.Join(rd, "vote.csv"))
	if err != nil || !strings.Contains(out, "class offsets on out-of-fold predictions (2 validation splits") || strings.Count(out, "from the sweep: ") != 6 {
		t.Errorf("ensemble --sweep --offsets of a K-fold sweep over tasks: %v\n%s", err, out)
	}
}

// TestSweepFromAParent: a sweep with --from makes every trial a child run
// of that run (in another runs folder than the sweep's trials): each
// trial starts from its weights, for another task with a fresh head, and
// a grid over --freeze-epochs gives each trial its own. A trial that
// starts over (killed before its first checkpoint) finds the parent again
// by its folder. An unknown parent is refused before anything runs.
func TestSweepFromAParent(t *testing.T) {
	data, parents, rd := tinySet(t), t.TempDir(), t.TempDir()
	out, err := run(t, "train", "--headless", "--data", data, "--runs", parents, "--img", "16x16", "--batch", "8", "--epochs", "1", "--name", "base")
	if err != nil {
		t.Fatalf("parent: %v\n%s", err, out)
	}
	list, err := runs.NewStore(parents).List()
	if err != nil || len(list) != 1 {
		t.Fatalf("the parent's runs folder: %v %v", list, err)
	}
	parent := list[0].Info.Dir
	if parent, err = filepath.Abs(parent); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "sweep", "--runs", rd, "--from", parent, "--task", "age", "--grid", "freeze-epochs=0,1", "--wait", "--epochs", "2")
	if err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	s := sweepStatus(t, rd, onlySweep(t, rd))
	for i, tr := range s.Trials {
		info, err := runs.NewStore(s.Dir).Info(tr.Run)
		if err != nil {
			t.Fatal(err)
		}
		if tr.State != "done" || info.Parent != filepath.Base(parent) || info.Config["task"] != "age" || (i > 0) != (info.Config["freeze_epochs"] == float64(i)) ||
			info.Config["from_dir"] != parent || info.Config["img"] != "16x16" {
			t.Errorf("trial %s: %+v, config %v", tr.Run, tr, info.Config)
		}
		log, err := os.ReadFile(filepath.Join(s.Dir, tr.Run, "metrics.jsonl"))
		if err != nil || !strings.Contains(string(log), "fresh: fc.weight, fc.bias (18 classes there, 3 here)") {
			t.Errorf("trial %s's log does not say what it took from its parent (%v)", tr.Run, err)
		}
	}
	// Started over with no checkpoint of its own, a trial finds its
	// parent by the folder it recorded, not in the sweep's folder.
	t0 := filepath.Join(s.Dir, s.Trials[0].Run)
	if err := os.RemoveAll(filepath.Join(t0, "checkpoints")); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "resume", s.Trials[0].Run, "--runs", s.Dir, "--epochs", "3", "--headless"); err != nil || !strings.Contains(out, "4 tensors of its weights") {
		t.Errorf("a trial resumed without a checkpoint: %v\n%s", err, out)
	}
	out, err = run(t, "sweep", "--runs", rd, "--from", "nobody", "--grid", "lr=0.1,0.01", "--epochs", "1")
	if err == nil || !strings.Contains(out, `--from: no run "nobody"`) {
		t.Errorf("--from nobody: %v\n%s", err, out)
	}
	// Layers the parent's model does not have, or all of its layers, are
	// refused before any trial starts (each trial failed as it began);
	// so are a frozen layer that starts fresh (the head of another task)
	// and frozen epochs with nothing fresh, which a trial's start finds
	// once its data and its parent's weights are read.
	before, err := os.ReadDir(rd)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--grid", "freeze-layers=conv1,b1"}, `trial t001 (freeze-layers=b1): --freeze-layers: "b1" is no layer of cnn-s; its layers are conv1, conv2, fc`},
		{[]string{"--grid", "freeze-layers=conv1+conv2+fc"}, "--freeze-layers conv1+conv2+fc holds every tensor of cnn-s: nothing would train"},
		{[]string{"--task", "age", "--grid", "freeze-layers=conv1,conv2+fc"}, "trial t001 (freeze-layers=conv2+fc): --freeze-layers conv2+fc holds fc.weight, which starts fresh"},
		{[]string{"--grid", "freeze-epochs=0,1"}, "trial t001 (freeze-epochs=1): --freeze-epochs 1 keeps the tensors from"},
	} {
		out, err = run(t, append([]string{"sweep", "--runs", rd, "--from", parent, "--epochs", "1"}, c.args...)...)
		if err == nil || !strings.Contains(out, c.says) {
			t.Errorf("%s from a cnn-s parent: %v\n%s", strings.Join(c.args, " "), err, out)
		}
	}
	if after, err := os.ReadDir(rd); err != nil || len(after) != len(before) {
		t.Errorf("a refused sweep wrote to the runs folder: %d entries before, %d after (%v)", len(before), len(after), err)
	}
}

// TestSweepSpaceDefaults: without --trials a random search draws
// sweep.DefaultDraws settings and a TPE search tries sweep.DefaultPoints
// (the first DefaultStartup at random), as --trials' help says; the TPE
// search's default was the random search's 10 before.
func TestSweepSpaceDefaults(t *testing.T) {
	tfs, _, _ := trainFlagSet()
	o := &sweepOptions{random: "lr=log:1e-4..1e-2", search: "random", parallel: 1}
	sp, tpe, _, err := o.space(tfs)
	if err != nil || tpe != nil || sp.Draws != sweep.DefaultDraws || o.draws != sweep.DefaultDraws {
		t.Errorf("a random search: %d draws (sweep.json %d), search %v, %v", sp.Draws, o.draws, tpe, err)
	}
	o = &sweepOptions{random: "lr=log:1e-4..1e-2", search: "tpe", parallel: 1}
	sp, tpe, _, err = o.space(tfs)
	if err != nil || tpe == nil || tpe.Points != sweep.DefaultPoints || tpe.Startup != sweep.DefaultStartup || sp.Draws != sweep.DefaultStartup || o.draws != sweep.DefaultPoints {
		t.Errorf("a TPE search: %+v, %d drawn at first, sweep.json %d, %v", tpe, sp.Draws, o.draws, err)
	}
	o = &sweepOptions{random: "lr=log:1e-4..1e-2", search: "tpe", parallel: 1, draws: 7}
	if _, tpe, _, err = o.space(tfs); err != nil || tpe.Points != 7 {
		t.Errorf("a TPE search of --trials 7: %+v, %v", tpe, err)
	}
}
