package training

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
)

// collect gathers a hub's events in the background; call the returned
// function to stop and get them.
func collect(hub *Hub, hook func(Event)) func() []Event {
	sub, _ := hub.Subscribe(1 << 20)
	var evs []Event
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			batch, _, ok := sub.Next(context.Background())
			if !ok {
				return
			}
			for _, e := range batch {
				evs = append(evs, e)
				if hook != nil {
					hook(e)
				}
			}
		}
	}()
	return func() []Event { <-done; return evs }
}

// TestLingeringManagerAnswersAfterTheEnd: once a dashboard's run has ended,
// predict still writes a prediction with its weights, n starts a child run,
// checkpoint answers with the last checkpoint, and pause or a new rate say
// the run has finished.
func TestLingeringManagerAnswersAfterTheEnd(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t, dir)
	cfg.Epochs = 1
	hub := NewHub()
	mgr := NewManager(cfg, hub).Linger()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ended := make(chan struct{}, 4)
	stop := collect(hub, func(e Event) {
		if e.Kind == KindState && e.State.Ended() {
			ended <- struct{}{}
		}
	})
	errc := make(chan error, 1)
	go func() { errc <- mgr.Run(ctx) }()
	select {
	case <-ended:
	case <-time.After(60 * time.Second):
		t.Fatal("the run did not end")
	}
	if err := mgr.Send(Command{Kind: CmdPause, Who: "t"}); !errors.Is(err, ErrEnded) {
		t.Errorf("pause after the end: %v, want ErrEnded", err)
	}
	if err := mgr.Send(Command{Kind: CmdScaleLR, Value: 2, Who: "t"}); !errors.Is(err, ErrEnded) {
		t.Errorf("lr after the end: %v, want ErrEnded", err)
	}
	for _, k := range []CommandKind{CmdCheckpoint, CmdPredict} {
		if err := mgr.Send(Command{Kind: k, Who: "t"}); err != nil {
			t.Errorf("%s after the end: %v", k, err)
		}
	}
	// Wait for the prediction, then fork.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, runDir := mgr.Current()
		// The class probabilities are written second, beside the classes.
		if m, _ := filepath.Glob(filepath.Join(runDir, "predictions", "*-probs.csv")); len(m) == 1 {
			samePredictions(t, strings.TrimSuffix(m[0], "-probs.csv")+".csv", m[0])
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no prediction file after predict on a finished run")
		}
		time.Sleep(50 * time.Millisecond)
	}
	parent, _ := mgr.Current()
	if err := mgr.Send(Command{Kind: CmdFork, Fork: Fork{Loss: "focal", LR: 5e-4}, Who: "t"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended: // the child's end
	case <-time.After(60 * time.Second):
		t.Fatal("the child run did not end")
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	evs := stop()
	var notice, prediction bool
	for _, e := range evs {
		notice = notice || e.Kind == KindNotice && strings.Contains(e.Msg, "its last checkpoint is") && e.Who == "t"
		prediction = prediction || e.Kind == KindPrediction && e.Who == "t"
	}
	if !notice || !prediction {
		t.Errorf("notice %v, prediction event %v", notice, prediction)
	}
	list, err := runs.NewStore(dir).List()
	if err != nil || len(list) != 2 {
		t.Fatalf("runs: %v %v", list, err)
	}
	child := list[0].Info
	if child.Parent != parent.ID || child.Loss != "focal" || child.Status != runs.StatusDone {
		t.Errorf("child %+v of %s", child, parent.ID)
	}
	// The prediction of the eval set is in the runs folder's record of
	// submissions, with the validation F1 of its weights: the finished
	// run's one epoch, its best.
	subs, err := runs.ReadSubmissions(dir)
	if err != nil || len(subs) != 1 || len(subs[0].Runs) != 1 || subs[0].Runs[0] != parent.ID || subs[0].ValF1 == nil ||
		*subs[0].ValF1 != list[1].Info.Best.MacroF1 || subs[0].Ckpt != "epoch 1, step "+strconv.Itoa(list[1].Info.Steps) {
		t.Errorf("the runs folder's submissions: %v %+v (the run: %+v)", err, subs, list[1].Info)
	}
}

// TestCheckpointsArePrunedAndSmall: a run keeps best, latest and the last
// K numbered checkpoints; the pointers are small; the optimizer state is
// binary; files are readable by others (0644).
func TestCheckpointsArePrunedAndSmall(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t, dir)
	cfg.Epochs, cfg.KeepCheckpoints = 5, 2
	tr, _, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ck := filepath.Join(tr.RunDir(), "checkpoints")
	metas, _ := filepath.Glob(filepath.Join(ck, "[0-9]*.json"))
	weights, _ := filepath.Glob(filepath.Join(ck, "[0-9]*[0-9].safetensors"))
	optims, _ := filepath.Glob(filepath.Join(ck, "*.optim.safetensors"))
	best, _ := readPointer(filepath.Join(ck, "best.json"))
	keep := 2
	if best.Epoch < 4 {
		keep = 3 // the best is older than the last two
	}
	if len(metas) != keep || len(weights) != keep || len(optims) != keep {
		t.Errorf("kept %d metas, %d weights, %d optimizer files; want %d each: %v", len(metas), len(weights), len(optims), keep, metas)
	}
	for _, p := range []string{"best.json", "latest.json"} {
		st, err := os.Stat(filepath.Join(ck, p))
		if err != nil || st.Size() > 200 {
			t.Errorf("%s is %v bytes (%v): want a small pointer", p, st.Size(), err)
		}
	}
	for _, p := range append(append(metas, weights...), filepath.Join(tr.RunDir(), "run.json"), filepath.Join(ck, "latest.json")) {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("%s has mode %v (%v), want 0644", p, st.Mode().Perm(), err)
		}
	}
	m, err := ReadCkptMeta(filepath.Join(ck, "latest.json"))
	if err != nil || m.OptFile == "" || len(m.Slots) != 0 {
		t.Fatalf("latest meta: %+v %v", m.OptFile, err)
	}
	st, err := m.optState()
	if err != nil || len(st.Slots) == 0 {
		t.Fatalf("optimizer state: %v %d slots", err, len(st.Slots))
	}
	for name, v := range st.Slots {
		if len(v) != 2 || len(v[0]) == 0 || len(v[0]) != len(v[1]) {
			t.Errorf("adam slot %s: %d moments", name, len(v))
		}
	}
}

// TestLiveChangesReachRunJSON: a learning rate or loss changed while
// training is in run.json, in order, with who changed it.
func TestLiveChangesReachRunJSON(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t, dir)
	sent := false
	tr, _, err := runTrainer(t, cfg, func(tr *Trainer, e Event) {
		if e.Kind == KindStep && !sent {
			sent = true
			tr.Send(Command{Kind: CmdScaleLR, Value: 0.5, Who: "alice"})
			tr.Send(Command{Kind: CmdSetLoss, Text: "focal", Who: "bob"})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	info, err := runs.ReadInfo(tr.RunDir())
	if err != nil {
		t.Fatal(err)
	}
	c := info.Changes
	if len(c) != 2 || c[0].Setting != "lr" || c[0].Value != "0.0005" || c[0].Who != "alice" || c[1].Setting != "loss" || c[1].Value != "focal" {
		t.Errorf("changes %+v", c)
	}
	if info.DataDir != tinyData(t) {
		t.Errorf("data_dir %q, want %q", info.DataDir, tinyData(t))
	}
}

// TestStepsCarryTheMachine: step events carry the process's CPU and
// memory and the loader's queue and waits, and the history keeps them.
func TestStepsCarryTheMachine(t *testing.T) {
	tr, evs, err := runTrainer(t, tinyConfig(t, t.TempDir()), nil)
	if err != nil {
		t.Fatal(err)
	}
	n, cpu := 0, 0.0
	for _, e := range evs {
		if e.Kind != KindStep {
			continue
		}
		n++
		s := e.SysStats
		cpu += s.CPU
		if s.CPU < 0 || s.RSS <= 0 || s.Queue < 0 || s.Queue > 1 || s.DataWait < 0 || s.DataWait > 1 {
			t.Fatalf("step %d: implausible machine figures %+v", e.Step, s)
		}
	}
	if n == 0 || cpu == 0 {
		t.Fatalf("%d step events, CPU used %v", n, cpu)
	}
	h, err := runs.ReadHistory(tr.RunDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, col := range []string{"cpu", "rss_mib", "queue", "data_wait"} {
		if _, ok := h.Series[col]; !ok {
			t.Errorf("history lacks %s (has %v)", col, h.Names())
		}
	}
	if rss := h.Series["rss_mib"].Last; len(rss) == 0 || !(rss[len(rss)-1] > 10) {
		t.Errorf("rss in the history: %v", rss)
	}
}

// TestControlFilesSteerTheRun: commands left in the run folder's control/
// by another process are carried out and logged with who sent them; a
// broken file is skipped with a sentence; a fork is refused.
func TestControlFilesSteerTheRun(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	cfg.Epochs, cfg.ControlPoll = 50, 10*time.Millisecond
	sent := false
	tr, evs, err := runTrainer(t, cfg, func(tr *Trainer, e Event) {
		if e.Kind == KindStep && !sent {
			sent = true
			dir := tr.RunDir()
			// The broken file first and the stop last: a poll that sees the
			// stop sees everything before it.
			if err := os.MkdirAll(runs.ControlDir(dir), 0o755); err != nil {
				t.Error(err)
			}
			if err := os.WriteFile(filepath.Join(runs.ControlDir(dir), "00000000000000000001-1-0.json"), []byte("{not json"), 0o644); err != nil {
				t.Error(err)
			}
			for _, r := range []runs.ControlRequest{{Kind: "scale-lr", Value: 0.5, Who: "alice@lab"}, {Kind: "fork", Who: "mallory"}, {Kind: "stop", Text: "enough", Who: "bob@lab"}} {
				if err := runs.SendControl(dir, r); err != nil {
					t.Error(err)
				}
				time.Sleep(time.Millisecond) // distinct names in order
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Status() != runs.StatusStopped {
		t.Fatalf("status %s, want stopped by the control file", tr.Status())
	}
	var got []string
	for _, e := range evs {
		switch e.Kind {
		case KindControl:
			got = append(got, fmt.Sprintf("%s:%s=%s", e.Who, e.Setting, e.Value))
		case KindError:
			got = append(got, "error:"+e.Msg)
		}
	}
	s := strings.Join(got, " | ")
	for _, want := range []string{"alice@lab:lr=0.0005", "bob@lab:stop=enough", "control: skipped 00000000000000000001-1-0.json", `"fork" is not a command another process may send`} {
		if !strings.Contains(s, want) {
			t.Errorf("want %q in %s", want, s)
		}
	}
	if left, _ := os.ReadDir(runs.ControlDir(tr.RunDir())); len(left) != 0 {
		t.Errorf("%d control files left behind", len(left))
	}
}

// TestCommandsWaitForAStartingRun: a command sent while a run is being
// prepared waits for it instead of being lost. A stop sent with the
// first run's start, and one sent right behind a fork (q pressed as the
// child run starts), each stop that run at once; the stop behind the fork
// used to go to the parent that had just ended and do nothing, so the
// child trained on (TestTmuxSmoke's q after n, once in a while).
func TestCommandsWaitForAStartingRun(t *testing.T) {
	run := func(t *testing.T, cfg Config, send func(m *Manager, e Event)) []runs.Listed {
		t.Helper()
		hub := NewHub()
		mgr := NewManager(cfg, hub)
		stop := collect(hub, func(e Event) { send(mgr, e) })
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		errc := make(chan error, 1)
		go func() { errc <- mgr.Run(ctx) }()
		send(mgr, Event{}) // as Run starts
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if ctx.Err() != nil {
			t.Fatal("the runs did not stop")
		}
		stop()
		list, err := runs.NewStore(cfg.Runs).List()
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	t.Run("first", func(t *testing.T) {
		cfg := tinyConfig(t, t.TempDir())
		cfg.Epochs = 1000
		list := run(t, cfg, func(m *Manager, e Event) {
			if e.Kind == "" {
				if err := m.Send(Command{Kind: CmdStop, Who: "t"}); err != nil {
					t.Errorf("stop while the run starts: %v", err)
				}
			}
		})
		if len(list) != 1 || list[0].Info.Status != runs.StatusStopped || list[0].Info.EpochsDone > 1 {
			t.Errorf("runs: %+v", list)
		}
	})
	t.Run("behind-a-fork", func(t *testing.T) {
		cfg := tinyConfig(t, t.TempDir())
		cfg.Epochs = 1000
		sent := false
		list := run(t, cfg, func(m *Manager, e Event) {
			if e.Kind == KindEpoch && !sent {
				sent = true
				if err := m.Send(Command{Kind: CmdFork, Text: "focal", Value: 1e-4, Who: "t"}); err != nil {
					t.Error(err)
				}
				if err := m.Send(Command{Kind: CmdStop, Who: "t"}); err != nil {
					t.Error(err)
				}
			}
		})
		if len(list) != 2 {
			t.Fatalf("%d runs, want the parent and its child", len(list))
		}
		for _, l := range list {
			if l.Info.Status != runs.StatusStopped || l.Info.EpochsDone > 2 {
				t.Errorf("run %s: %s after %d epochs", l.Info.ID, l.Info.Status, l.Info.EpochsDone)
			}
		}
	})
}

// samePredictions fails unless the predictions file and the class
// probabilities file name the same images with the same classes (each
// image's most probable), the probabilities being real ones.
func samePredictions(t *testing.T, classes, probs string) {
	t.Helper()
	c, skips, err := dataset.ReadPseudoLabels(classes)
	if err != nil || len(skips) > 0 || c.Probs {
		t.Fatalf("%s: %v, %d skips, probabilities %v", classes, err, len(skips), c.Probs)
	}
	p, skips, err := dataset.ReadPseudoLabels(probs)
	if err != nil || len(skips) > 0 || !p.Probs {
		t.Fatalf("%s: %v, %d skips, probabilities %v", probs, err, len(skips), p.Probs)
	}
	if len(c.ByImage) == 0 || len(c.ByImage) != len(p.ByImage) {
		t.Fatalf("%d images with classes, %d with probabilities", len(c.ByImage), len(p.ByImage))
	}
	for id, l := range c.ByImage {
		q, ok := p.ByImage[id]
		if !ok || q.Class != l.Class || !(q.Prob > 0 && q.Prob <= 1) {
			t.Fatalf("%s: class %d, in the probabilities %+v (there: %v)", id, l.Class, q, ok)
		}
	}
}
