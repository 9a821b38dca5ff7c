package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/internal/pyref"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
)

// TestSubmissions: predict and ensemble record the files they write in
// the runs folder; the eval set's truth (the synthetic set's
// eval/truth.csv, standing in for a leaderboard) is given as each
// prediction's score, one through a renamed copy; submissions lists them
// with their validation figures and measures the agreement, Spearman's
// ρ as SciPy computes it; bad scores and unknown files get a sentence.
func TestSubmissions(t *testing.T) {
	data := tinySet(t)
	rd, work := t.TempDir(), t.TempDir()
	truth := regexp.MustCompile(`against the truth beside it: accuracy ([\d.]+), macro F1 ([\d.]+)`)
	var val, lb []float64
	for i, lr := range []string{"0.003", "0.0003", "0.01"} {
		name := fmt.Sprintf("r%d", i)
		if out, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "2", "--lr", lr, "--name", name); err != nil {
			t.Fatalf("train: %v\n%s", err, out)
		}
		sub := filepath.Join(work, name+".csv")
		out, err := run(t, "predict", name, "--runs", rd, "--out", sub)
		m := truth.FindStringSubmatch(out)
		if err != nil || m == nil || !strings.Contains(out, "recorded in "+filepath.Join(rd, "submissions.json")) {
			t.Fatalf("predict: %v\n%s", err, out)
		}
		f1, _ := strconv.ParseFloat(m[2], 64)
		if i == 1 { // uploaded under another name
			b, _ := os.ReadFile(sub)
			sub = filepath.Join(t.TempDir(), "final.csv")
			if err := os.WriteFile(sub, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out, err = run(t, "submissions", "score", sub, "--runs", rd, "--f1", m[2], "--acc", m[1])
		if err != nil || !strings.Contains(out, fmt.Sprintf("public leaderboard macro F1 %s, validation ", m[2])) {
			t.Fatalf("submissions score: %v\n%s", err, out)
		}
		lb = append(lb, f1)
	}
	// Runs named as arguments and with --run are one list.
	ensOut, err := run(t, "ensemble", "r0", "r1", "--run", "r2", "--runs", rd, "--out", filepath.Join(work, "vote.csv"))
	if err != nil || !strings.Contains(ensOut, "recorded in") || !strings.Contains(ensOut, "soft vote of 3 runs") {
		t.Fatalf("ensemble: %v\n%s", err, ensOut)
	}
	out, err := run(t, "submissions", "--runs", rd, "--json")
	if err != nil {
		t.Fatalf("submissions --json: %v\n%s", err, out)
	}
	var doc struct {
		Submissions []struct {
			File   string   `json:"file"`
			Runs   []string `json:"runs"`
			Ckpt   string   `json:"ckpt"`
			ValF1  *float64 `json:"val_macro_f1"`
			Public *struct {
				MacroF1  float64  `json:"macro_f1"`
				Accuracy *float64 `json:"accuracy"`
			} `json:"public"`
		} `json:"submissions"`
		Public struct {
			N    int      `json:"submissions"`
			Rank *float64 `json:"spearman"`
			Gap  *float64 `json:"mean_gap"`
		} `json:"public_agreement"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err, out)
	}
	if len(doc.Submissions) != 4 {
		t.Fatalf("want 4 submissions (3 predictions and the vote): %s", out)
	}
	gap := 0.0
	for i, s := range doc.Submissions[:3] {
		if s.ValF1 == nil || s.Public == nil || s.Public.MacroF1 != lb[i] || s.Public.Accuracy == nil || len(s.Runs) != 1 || !strings.HasPrefix(s.Ckpt, "epoch ") {
			t.Fatalf("submission %d: %+v", i, s)
		}
		val = append(val, *s.ValF1)
		gap += lb[i] - *s.ValF1
	}
	// The three runs validated on the same images (one seed, one data
	// set): the vote's record has its macro F1 there, the kept
	// probabilities of each run's best epoch averaged, as scikit-learn
	// scores them; ensemble says it beside each run's.
	v := doc.Submissions[3]
	if len(v.Runs) != 3 || v.ValF1 == nil || v.Public != nil || filepath.Base(v.File) != "vote.csv" {
		t.Fatalf("the vote's record: %+v", v)
	}
	kept := map[string]any{}
	var probs [][]float32
	for _, name := range []string{"r0", "r1", "r2"} {
		dir, err := runs.NewStore(rd).Resolve(name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := runs.ReadInfo(dir)
		if err != nil {
			t.Fatal(err)
		}
		p, err := runs.ReadValPreds(dir, info.Best.Epoch)
		if err != nil {
			t.Fatal(err)
		}
		probs = append(probs, p.Probs)
		kept["truth"], kept["classes"] = p.Truth, p.Classes
	}
	kept["probs"] = probs
	var voted struct {
		F1 float64 `json:"f1"`
	}
	pyref.Run(t, "sklearn.metrics", "python3-sklearn", `
import json, sys
import numpy as np
from sklearn.metrics import f1_score
d = json.load(sys.stdin)
p = np.array(d["probs"], dtype=np.float64).reshape(len(d["probs"]), len(d["truth"]), d["classes"]).mean(axis=0)
print(json.dumps({"f1": f1_score(d["truth"], p.argmax(axis=1), average="macro")}))`, kept, &voted)
	if math.Abs(*v.ValF1-voted.F1) > 1e-9 || !strings.Contains(ensOut, fmt.Sprintf("the vote's macro F1 %.4f", voted.F1)) {
		t.Errorf("the vote's validation macro F1 %v, scikit-learn's %v\n%s", *v.ValF1, voted.F1, ensOut)
	}
	var want struct {
		Rho *float64 `json:"rho"`
	}
	pyref.Run(t, "scipy.stats", "python3-scipy", `
import json, math, sys
from scipy.stats import spearmanr
d = json.load(sys.stdin)
r = spearmanr(d["val"], d["lb"]).correlation
print(json.dumps({"rho": None if math.isnan(r) else r}))`, map[string][]float64{"val": val, "lb": lb}, &want)
	if doc.Public.N != 3 || doc.Public.Gap == nil || math.Abs(*doc.Public.Gap-gap/3) > 1e-12 ||
		(want.Rho == nil) != (doc.Public.Rank == nil) || want.Rho != nil && math.Abs(*want.Rho-*doc.Public.Rank) > 1e-9 {
		t.Errorf("agreement %+v (ρ %v), want 3 submissions, gap %g, SciPy's ρ %v", doc.Public, doc.Public.Rank, gap/3, want.Rho)
	}
	out, err = run(t, "submissions", "--runs", rd)
	if err != nil || !strings.Contains(out, "4 submissions in "+rd+", 3 scored on a leaderboard") || !regexp.MustCompile(`vote of 3: \S+-r0 \+ 2 more`).MatchString(out) ||
		!strings.Contains(out, "validation against the public leaderboard over 3 submissions") && !strings.Contains(out, "3 submissions with both figures") {
		t.Errorf("submissions:\n%s", out)
	}
	// maskdash runs gives each run its leaderboard score, and sorts by it.
	out, err = run(t, "runs", "--runs", rd)
	if err != nil || !strings.Contains(out, "PUBLIC F1") || !regexp.MustCompile(fmt.Sprintf(`-r0 .* %.4f `, lb[0])).MatchString(out) {
		t.Errorf("runs with leaderboard scores (r0's %.4f):\n%s", lb[0], out)
	}
	out, err = run(t, "runs", "--runs", rd, "--sort", "public", "--json")
	var listed []struct {
		ID     string   `json:"id"`
		Public *float64 `json:"public_macro_f1"`
	}
	if err != nil || json.Unmarshal([]byte(out), &listed) != nil || len(listed) != 3 {
		t.Fatalf("runs --sort public --json: %v\n%s", err, out)
	}
	for i := 1; i < len(listed); i++ {
		if listed[i].Public == nil || *listed[i].Public > *listed[i-1].Public {
			t.Errorf("runs --sort public: %s (%v) after %s (%v)", listed[i].ID, listed[i].Public, listed[i-1].ID, listed[i-1].Public)
		}
	}
	stranger := filepath.Join(work, "stranger.csv")
	if err := os.WriteFile(stranger, []byte("ImageID,ans\nx.jpg,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"submissions", "score", stranger, "--f1", "0.5"}, "stranger.csv is not among the predictions files recorded in"},
		{[]string{"submissions", "score", filepath.Join(work, "r0.csv"), "--f1", "70.21"}, "--f1 70.21 is not a macro F1"},
		{[]string{"submissions", "score", filepath.Join(work, "r0.csv")}, "submissions score needs --f1"},
		{[]string{"submissions", "score", filepath.Join(work, "r0.csv"), "--f1", "0.5", "--acc", "120"}, "--acc 120 is neither a share"},
	} {
		out, err := run(t, append(c.args, "--runs", rd)...)
		if err == nil || !strings.Contains(out, c.want) || strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("%v: %v\n%s", c.args, err, out)
		}
	}
	// A record that does not read: the runs still list, with a warning;
	// submissions says which file.
	if err := os.WriteFile(filepath.Join(rd, "submissions.json"), []byte("[{"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "runs", "--runs", rd)
	if err != nil || !strings.Contains(out, "warning: the runs are listed without their leaderboard scores") || !strings.Contains(out, "-r0") || strings.Contains(out, "PUBLIC F1") {
		t.Errorf("runs with a torn submissions.json: %v\n%s", err, out)
	}
	if out, err := run(t, "submissions", "--runs", rd); err == nil || !strings.Contains(out, filepath.Join(rd, "submissions.json")+" does not read as a record of submissions") {
		t.Errorf("submissions with a torn record: %v\n%s", err, out)
	}
	// predict still writes its file, and warns that it is not recorded.
	out, err = run(t, "predict", "r0", "--runs", rd, "--out", filepath.Join(work, "again.csv"))
	if _, serr := os.Stat(filepath.Join(work, "again.csv")); err != nil || serr != nil || !strings.Contains(out, "warning: "+filepath.Join(work, "again.csv")+" is written but not recorded") {
		t.Errorf("predict with a torn record: %v %v\n%s", err, serr, out)
	}
}

// TestEnsembleWeights: ensemble --weights fits a weight per run on the
// validation images the runs share, as training.FitVoteWeights does;
// when held-out halves say they help the vote takes them and the record
// keeps them, else it says so and the runs vote equally. Runs of other
// splits are refused with a sentence.
func TestEnsembleWeights(t *testing.T) {
	data := tinySet(t)
	rd, work := t.TempDir(), t.TempDir()
	for i, args := range [][]string{{"--lr", "0.003"}, {"--lr", "0.0002"}, {"--lr", "0.003", "--seed", "7"}} {
		args = append([]string{"train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "2", "--name", fmt.Sprintf("w%d", i)}, args...)
		if out, err := run(t, args...); err != nil {
			t.Fatalf("train: %v\n%s", err, out)
		}
	}
	vote := filepath.Join(work, "weighted.csv")
	out, err := run(t, "ensemble", "--run", "w0", "--run", "w1", "--runs", rd, "--weights", "--out", vote)
	if err != nil || !strings.Contains(out, "vote weights, by ensemble selection for macro F1 on the") {
		t.Fatalf("ensemble --weights: %v\n%s", err, out)
	}
	var prs []training.RunPredictor
	for _, name := range []string{"w0", "w1"} {
		pr, err := training.OpenRunPredictor(runs.NewStore(rd), name, "best")
		if err != nil {
			t.Fatal(err)
		}
		prs = append(prs, pr)
	}
	want, err := training.FitVoteWeights(prs)
	if err != nil {
		t.Fatal(err)
	}
	said := regexp.MustCompile(`w0 ([\d.]+), w1 ([\d.]+)`).FindStringSubmatch(out)
	if said == nil || said[1] != fmt.Sprintf("%.3f", want.Weights[0]) || said[2] != fmt.Sprintf("%.3f", want.Weights[1]) {
		t.Errorf("the weights said %v, FitVoteWeights's %v\n%s", said, want.Weights, out)
	}
	subs, err := runs.ReadSubmissions(rd)
	if err != nil || len(subs) != 1 {
		t.Fatalf("the record: %v %+v", err, subs)
	}
	switch {
	case want.Worth() && (!strings.Contains(out, "vote weights used") || !slices.Equal(subs[0].VoteWeights, want.Weights)):
		t.Errorf("worth it (%+v), but the vote or its record does not take them (%v)\n%s", want.HeldOut, subs[0].VoteWeights, out)
	case !want.Worth() && (!strings.Contains(out, "vote weights not used") || subs[0].VoteWeights != nil):
		t.Errorf("not worth it (%+v), but the vote or its record takes them (%v)\n%s", want.HeldOut, subs[0].VoteWeights, out)
	}
	out, err = run(t, "ensemble", "--run", "w0", "--run", "w2", "--runs", rd, "--weights", "--out", filepath.Join(work, "x.csv"))
	if err == nil || !strings.Contains(out, "ensemble --weights: ") || !strings.Contains(out, "give runs of one validation split") || strings.Contains(out, "offsets") || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("ensemble --weights of two splits: %v\n%s", err, out)
	}
	if _, serr := os.Stat(filepath.Join(work, "x.csv")); serr == nil {
		t.Error("the refused vote was written")
	}
}
