package training

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// TestSubmissionFrom: runs are named as their runs folder names them (a
// sweep's trial as sweep/trial); a run given as a folder elsewhere puts
// the record in its own runs folder, the sweep's runs folder for a
// trial; one checkpoint at an epoch's end gives its validation F1, one
// mid-epoch none, and a vote of runs that kept no validation predictions
// none (the vote's own figure is TestSubmissions's, in package main).
func TestSubmissionFrom(t *testing.T) {
	rd, other := t.TempDir(), t.TempDir()
	sw := filepath.Join(other, "sweep-1")
	if err := os.MkdirAll(filepath.Join(sw, "t003"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sw, runs.SweepFile), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	at := func(dir string, batch int) RunPredictor {
		return RunPredictor{Predictor: &Predictor{Meta: CkptMeta{Epoch: 4, Step: 200, Batch: batch, Metrics: &Metrics{MacroF1: 0.5}}}, RunDir: dir}
	}
	home, s := SubmissionFrom(rd, []RunPredictor{at(filepath.Join(rd, "r1"), 0)}, true, false)
	if home != rd || !slices.Equal(s.Runs, []string{"r1"}) || s.ValF1 == nil || *s.ValF1 != 0.5 || s.Ckpt != "epoch 4, step 200" || !s.TTA {
		t.Errorf("a run of the runs folder: %s %+v", home, s)
	}
	home, s = SubmissionFrom(rd, []RunPredictor{at(filepath.Join(sw, "t003"), 7)}, false, false)
	if home != other || !slices.Equal(s.Runs, []string{"sweep-1/t003"}) || s.ValF1 != nil {
		t.Errorf("a sweep's trial given as a folder elsewhere, mid-epoch: %s %+v", home, s)
	}
	home, s = SubmissionFrom(rd, []RunPredictor{at(filepath.Join(rd, "sweep-2", "t000"), 0), at(filepath.Join(rd, "r2"), 0)}, false, true)
	if home != rd || !slices.Equal(s.Runs, []string{"sweep-2/t000", "r2"}) || s.ValF1 != nil || s.Ckpt != "" || !s.Offsets {
		t.Errorf("a vote: %s %+v", home, s)
	}
}

// TestDashboardPredictionsValidationFigure: the dashboard's x records
// the validation F1 of the weights of the moment: the epoch's when they
// were just validated (an epoch's end, best or not), mid-epoch that of a
// validation pass made then (it used to record none), and none once the
// weights have trained on the validation images (--val-train).
func TestDashboardPredictionsValidationFigure(t *testing.T) {
	rd := t.TempDir()
	tr := testTrainer(t, tinyConfig(t, rd), nil)
	tr.id, tr.dir = "r", filepath.Join(rd, "r")
	tr.epoch, tr.step, tr.bestF1, tr.bestEpoch, tr.lastF1, tr.lastF1Epoch = 3, 300, 0.5, 2, 0.4, 3
	now, _, _, err := tr.validate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "p.csv")
	var said []string
	for i, c := range []struct {
		batch      int
		valTrained bool
	}{{0, false}, {5, false}, {5, true}} {
		if err := os.WriteFile(file, []byte("ImageID,ans\nx.jpg,"+string(rune('0'+i))+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		tr.batchInEpoch, tr.valTrained = c.batch, c.valTrained
		figure, err := tr.recordSubmission(file)
		if err != nil {
			t.Fatal(err)
		}
		said = append(said, figure)
	}
	subs, err := runs.ReadSubmissions(rd)
	if err != nil || len(subs) != 3 || !slices.Equal(subs[0].Runs, []string{"r"}) || subs[0].ValF1 == nil || *subs[0].ValF1 != 0.4 ||
		subs[0].Ckpt != "epoch 3, step 300" || subs[1].ValF1 == nil || *subs[1].ValF1 != now.MacroF1 || subs[2].ValF1 != nil {
		t.Fatalf("the dashboard's predictions: %v %+v", err, subs)
	}
	for i, want := range []string{"0.4000, epoch 3's", fmt.Sprintf("%.4f, validated now", now.MacroF1), "--val-train"} {
		if !strings.Contains(said[i], want) {
			t.Errorf("prediction %d: the message says %q, want %q", i, said[i], want)
		}
	}
}
