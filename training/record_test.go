package training

import (
	"math"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// TestUnencodableEventIsLoggedAsAnError: an event that JSON cannot hold
// (a NaN figure) does not stall the run's sink: the log says in its
// place that it could not be written, and the events after it are logged.
func TestUnencodableEventIsLoggedAsAnError(t *testing.T) {
	r, err := runs.NewStore(t.TempDir()).Create(runs.Info{Model: "cnn-s"})
	if err != nil {
		t.Fatal(err)
	}
	sink := &runSink{hub: NewHub(), run: r}
	if err := sink.Record(Event{Kind: KindStep, Step: 3, Loss: 1, IPS: math.NaN()}); err != nil {
		t.Fatalf("an event with a NaN: %v", err)
	}
	if err := sink.Record(Event{Kind: KindCheckpoint, Step: 4, Msg: "checkpoint saved"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(runs.StatusDone, nil); err != nil {
		t.Fatal(err)
	}
	evs, err := ReplayLog(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Kind != KindError || evs[0].Step != 3 || !strings.Contains(evs[0].Msg, "a step event could not be logged") ||
		evs[1].Kind != KindCheckpoint {
		t.Errorf("the log: %+v", evs)
	}
}
