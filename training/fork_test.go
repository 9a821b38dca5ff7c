package training

import (
	"context"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

func TestParseFork(t *testing.T) {
	for in, want := range map[string]Fork{
		"focal 0.0005":                        {Loss: "focal", LR: 5e-4},
		"ce 1e-3 task=age":                    {Loss: "ce", LR: 1e-3, Task: "age"},
		"ce 0.001 task=none":                  {Loss: "ce", LR: 1e-3, Task: NoneSetting},
		"ce 0.001 fresh-head freeze-epochs=3": {Loss: "ce", LR: 1e-3, FreshHead: true, FreezeEpochs: 3},
		"ce 0.001 freeze-layers=b1,b2":        {Loss: "ce", LR: 1e-3, FreezeLayers: "b1,b2"},
		"0.6focal+0.4f1 0.01 task=gender freeze-epochs=2 from-lr-scale=0.1": {
			Loss: "0.6focal+0.4f1", LR: 0.01, Task: "gender", FreezeEpochs: 2, FromLRScale: 0.1},
	} {
		got, err := ParseFork(in)
		if err != nil || got != want {
			t.Errorf("ParseFork(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if again, err := ParseFork(got.String()); err != nil || again != got {
			t.Errorf("%q read back from %q as %+v, %v", in, got.String(), again, err)
		}
	}
	for in, why := range map[string]string{
		"focal":                             "a loss and a learning rate",
		"hinge 0.001":                       "hinge",
		"ce -1":                             "not a positive number",
		"ce 0.001 age":                      `"age" is not a setting`,
		"ce 0.001 task=hair":                "hair",
		"ce 0.001 freeze-epochs=-1":         "freeze-epochs",
		"ce 0.001 from-lr-scale=2":          "from-lr-scale",
		"ce 0.001 epochs=3":                 `"epochs" is not a setting`,
		"ce 0.001 task=age freeze-epochs=x": "freeze-epochs",
	} {
		if _, err := ParseFork(in); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("ParseFork(%q): %v, want it to say %q", in, err, why)
		}
	}
}

// TestForkToAnotherTask: a fork of an 18-class run with task=age starts a
// child of the age task that takes the parent's trunk, keeps it fixed for
// its first epoch and says so; a fork that cannot start (freeze-epochs
// without other classes) is refused in a sentence and the parent trains
// on.
func TestForkToAnotherTask(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t, dir)
	cfg.Epochs = 2
	hub := NewHub()
	mgr := NewManager(cfg, hub)
	steps, started := 0, 0
	stop := collect(hub, func(e Event) {
		switch e.Kind {
		case KindRun:
			started++
		case KindStep:
			steps++
			if started != 1 {
				return
			}
			switch steps {
			case 1:
				mgr.Send(Command{Kind: CmdFork, Fork: Fork{Loss: "ce", LR: 1e-3, FreezeEpochs: 1}, Who: "test"})
			case 3:
				mgr.Send(Command{Kind: CmdFork, Fork: Fork{Loss: "ce", LR: 2e-3, Task: "age", FreezeEpochs: 1}, Who: "test"})
			}
		}
	})
	if err := mgr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var ids, notices, refusals []string
	for _, e := range stop() {
		switch e.Kind {
		case KindRun:
			ids = append(ids, e.Settings.ID)
		case KindNotice:
			notices = append(notices, e.Msg)
		case KindError:
			refusals = append(refusals, e.Msg)
		}
	}
	if len(refusals) != 1 || !strings.Contains(refusals[0], "freeze-epochs") || !strings.Contains(refusals[0], "fresh head") {
		t.Errorf("refusals %q, want one for freeze-epochs without a fresh head", refusals)
	}
	if len(ids) != 2 {
		t.Fatalf("runs %v: want the parent and one child", ids)
	}
	store := runs.NewStore(dir)
	parent, _ := store.Info(ids[0])
	child, err := store.Info(ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if parent.Status != runs.StatusStopped || parent.Steps < 3 {
		t.Errorf("parent %s after %d steps, want it stopped by the fork after 3 or more", parent.Status, parent.Steps)
	}
	if child.Parent != ids[0] || child.Task != "age" || child.LR != 2e-3 || child.Status != runs.StatusDone {
		t.Errorf("child: parent %q task %q lr %v status %s", child.Parent, child.Task, child.LR, child.Status)
	}
	if fe, _ := child.Config["freeze_epochs"].(float64); fe != 1 {
		t.Errorf("child's freeze_epochs %v, want 1", child.Config["freeze_epochs"])
	}
	all := strings.Join(notices, "\n")
	for _, want := range []string{"fresh: fc.weight, fc.bias (18 classes there, 3 here)", "stay fixed for 1 epoch", "epoch 2: the tensors from " + ids[0] + " train from now on"} {
		if !strings.Contains(all, want) {
			t.Errorf("no notice says %q:\n%s", want, all)
		}
	}
}
