package training

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maskdash/maskdash/runs"
)

// TestResumeUndoesTheChangesAfterItsCheckpoint: a run that changed its
// rate and loss after its last checkpoint and then died (here: its
// folder as such a death leaves it, the second epoch's end logged and its
// checkpoint never named) resumes from that checkpoint with the
// checkpoint's settings. run.json then says so too: the changes are
// gone from it (the runs table and a child run took the undone rate and
// loss from them), the best and done epochs are the log's, the plan is
// resume's --epochs, and the resume says which changes it undid.
func TestResumeUndoesTheChangesAfterItsCheckpoint(t *testing.T) {
	dir, id, before := crashedAfterChanges(t)
	store := runs.NewStore(dir)
	_, evs, err := runTrainer(t, Config{Runs: dir, Resume: id, Epochs: 2, StepEvery: time.Nanosecond, Workers: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	said := ""
	for _, e := range evs {
		if e.Kind == KindNotice && strings.Contains(e.Msg, "undone") {
			said = e.Msg
		}
		if e.Kind == KindStep && e.LR > 0.004 {
			t.Fatalf("the resumed run trained at the undone rate: %+v", e)
		}
	}
	if !strings.Contains(said, "lr 0.0042") || !strings.Contains(said, "loss focal") || !strings.Contains(said, "by bob") {
		t.Errorf("the resume's notice: %q", said)
	}
	after, err := store.Info(id)
	if err != nil {
		t.Fatal(err)
	}
	if loss, lr := FinalSettings(after); len(after.Changes) != 0 || loss != before.Loss || lr != before.LR {
		t.Errorf("after the resume: changes %v, final loss %s lr %g (it started with %s %g)", after.Changes, loss, lr, before.Loss, before.LR)
	}
	// the best epoch is the log's
	var best runs.Best
	if err := runs.ReadLogKinds(after.Dir, []string{string(KindEpoch)}, func(line []byte) error {
		var e Event
		if err := json.Unmarshal(line, &e); err == nil && e.Best {
			best = runs.Best{MacroF1: e.Val.MacroF1, Epoch: e.Epoch}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if after.Best.Epoch != best.Epoch || after.Best.MacroF1 != best.MacroF1 || after.EpochsDone != 2 || after.Epochs != 2 || after.Status != runs.StatusDone {
		t.Errorf("after the resume: best %+v (the log's %+v), %d of %d epochs, %s", after.Best, best, after.EpochsDone, after.Epochs, after.Status)
	}
}

// TestResumeDropsTheLaterEpochsPredictions: the validation predictions of
// the epochs past the checkpoint a resume goes on from are gone with their
// log lines; a resume to fewer epochs (here 1, the checkpoint's) kept them
// for good, and errors and cam could take them for the run's last epoch.
func TestResumeDropsTheLaterEpochsPredictions(t *testing.T) {
	dir, id, before := crashedAfterChanges(t)
	if epochs, err := runs.ValEpochs(before.Dir); err != nil || len(epochs) != 2 {
		t.Fatalf("before: the kept epochs %v (%v)", epochs, err)
	}
	if _, _, err := runTrainer(t, Config{Runs: dir, Resume: id, Epochs: 1, StepEvery: time.Nanosecond, Workers: 2}, nil); err != nil {
		t.Fatal(err)
	}
	if epochs, err := runs.ValEpochs(before.Dir); err != nil || len(epochs) != 1 || epochs[0] != 1 {
		t.Errorf("after a resume to epoch 1: the kept epochs %v (%v), want [1]", epochs, err)
	}
}

// crashedAfterChanges trains a tiny run of two epochs that changes its
// rate and loss early in the second, then leaves its folder as a death
// before the second epoch's checkpoint would: latest.json naming the
// first's, run.json failed. It returns the runs folder, the run and its
// run.json before the resume.
func crashedAfterChanges(t *testing.T) (string, string, runs.Info) {
	t.Helper()
	dir := t.TempDir()
	cfg := tinyConfig(t, dir)
	changed := false
	tr, _, err := runTrainer(t, cfg, func(tr *Trainer, e Event) {
		if e.Kind == KindStep && e.Epoch == 1 && !changed {
			changed = true
			tr.Send(Command{Kind: CmdSetLR, Value: 0.0042, Who: "bob"})
			tr.Send(Command{Kind: CmdSetLoss, Text: "focal", Who: "bob"})
		}
	})
	if err != nil || !changed {
		t.Fatalf("first run: %v, changed %v", err, changed)
	}
	id := tr.RunID()
	store := runs.NewStore(dir)
	before, err := store.Info(id)
	if err != nil || len(before.Changes) != 2 || before.EpochsDone != 2 {
		t.Fatalf("before the crash: %+v %v", before, err)
	}

	// the crash: latest.json still names the first epoch's checkpoint
	ck := filepath.Join(before.Dir, "checkpoints")
	metas, _ := filepath.Glob(filepath.Join(ck, "001-*.json"))
	if len(metas) != 1 {
		t.Fatalf("epoch 1's checkpoint: %v", metas)
	}
	m, err := ReadCkptMeta(metas[0])
	if err != nil {
		t.Fatal(err)
	}
	p, _ := json.Marshal(ckptPointer{Meta: filepath.Base(metas[0]), Weights: m.Weights, Epoch: m.Epoch, Step: m.Step})
	if err := os.WriteFile(filepath.Join(ck, "latest.json"), p, 0o644); err != nil {
		t.Fatal(err)
	}
	before.Status = runs.StatusFailed
	b, _ := json.Marshal(before)
	if err := os.WriteFile(filepath.Join(before.Dir, "run.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}

	return dir, id, before
}
