package training

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/maskdash/maskdash/runs"
)

// TestCrashedWriterAlerts: a run whose writer goes away while it says
// running raises one crashed alert; a run that ends properly does not.
func TestCrashedWriterAlerts(t *testing.T) {
	dir := t.TempDir()
	store := runs.NewStore(dir)
	doomed, err := store.Create(runs.Info{Model: "cnn-s", Loss: "ce", Name: "doomed"})
	if err != nil {
		t.Fatal(err)
	}
	fine, err := store.Create(runs.Info{Model: "cnn-s", Loss: "ce", Name: "fine"})
	if err != nil {
		t.Fatal(err)
	}
	hub := NewHub()
	sub, _ := hub.Subscribe(64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); WatchCrashes(ctx, dir, hub, 20*time.Millisecond) }()
	time.Sleep(100 * time.Millisecond) // the watcher has seen both running
	if err := fine.Close(runs.StatusDone, nil); err != nil {
		t.Fatal(err)
	}
	doomed.Abandon() // what a killed process leaves: the lock released, run.json says running
	deadline := time.Now().Add(5 * time.Second)
	var alerts []Event
	for time.Now().Before(deadline) && len(alerts) == 0 {
		nctx, ncancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		evs, _, _ := sub.Next(nctx)
		ncancel()
		for _, e := range evs {
			if e.Kind == KindAlert {
				alerts = append(alerts, e)
			}
		}
	}
	time.Sleep(100 * time.Millisecond) // more looks: no second alert
	cancel()
	<-done
	hub.Close()
	evs, _, _ := sub.Next(context.Background())
	for _, e := range evs {
		if e.Kind == KindAlert {
			alerts = append(alerts, e)
		}
	}
	if len(alerts) != 1 || alerts[0].Alert != AlertCrashed || alerts[0].Run != doomed.ID() || !strings.Contains(alerts[0].Msg, "maskdash resume") {
		t.Errorf("alerts %+v, want one crashed alert for %s", alerts, doomed.ID())
	}
}
