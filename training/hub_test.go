package training

import (
	"context"
	"testing"
	"time"
)

func TestHubSlowSubscriberLosesOnlySteps(t *testing.T) {
	h := NewHub()
	slow, _ := h.Subscribe(4)
	fast, _ := h.Subscribe(1000)
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100; i++ {
			e := Event{Kind: KindStep, Step: i}
			if i == 50 {
				// A measured step: kept even for a slow reader.
				e.Layers = []LayerStat{{Name: "conv1.weight", Size: 1, Weight: 1, Grad: 1, Update: 1e-3}}
			}
			h.Publish(e)
			if i%10 == 9 {
				h.Publish(Event{Kind: KindEpoch, Epoch: i / 10})
			}
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a subscriber that does not read")
	}
	evs, dropped, ok := slow.Next(context.Background())
	steps, epochs, measured := 0, 0, 0
	for _, e := range evs {
		switch {
		case e.Kind == KindStep && len(e.Layers) > 0:
			measured++
		case e.Kind == KindStep:
			steps++
		default:
			epochs++
		}
	}
	if !ok || steps != 4 || epochs != 10 || measured != 1 || dropped != 95 {
		t.Errorf("slow: %d steps, %d measured steps, %d epochs, %d dropped", steps, measured, epochs, dropped)
	}
	evs, dropped, _ = fast.Next(context.Background())
	if len(evs) != 110 || dropped != 0 {
		t.Errorf("fast: %d events, %d dropped", len(evs), dropped)
	}
	// Measured steps have their own bound: a reader that never reads
	// keeps at most that many.
	h2 := NewHub()
	frozen, _ := h2.Subscribe(3)
	for i := range 10 {
		h2.Publish(Event{Kind: KindStep, Step: i, Layers: []LayerStat{{Name: "w"}}})
	}
	if evs, dropped, _ := frozen.Next(context.Background()); len(evs) != 3 || dropped != 7 {
		t.Errorf("a frozen reader of measured steps: %d kept, %d dropped", len(evs), dropped)
	}
	// A late subscriber gets the whole history; Close ends everyone.
	late, snap := h.Subscribe(0)
	if len(snap) != 110 {
		t.Errorf("late snapshot has %d events", len(snap))
	}
	h.Close()
	if _, _, ok := late.Next(context.Background()); ok {
		t.Error("Next after Close should report the end")
	}
	fast.Cancel()
	if h.Subscribers() != 0 {
		t.Errorf("%d subscribers left", h.Subscribers())
	}
}

func TestHubHistoryStaysBounded(t *testing.T) {
	h := NewHub()
	// A count that does not end just after a thinning (the steps since
	// the last are whole whatever the thinning keeps).
	const n = 3*HistorySteps + HistorySteps/3
	for i := 0; i < n; i++ {
		h.Publish(Event{Kind: KindStep, Step: i})
		if i%1000 == 999 {
			h.Publish(Event{Kind: KindEpoch, Epoch: i / 1000})
		}
	}
	_, snap := h.Subscribe(0)
	steps, epochs, last := 0, 0, -1
	for _, e := range snap {
		switch e.Kind {
		case KindStep:
			steps++
			if e.Step <= last {
				t.Fatalf("history out of order: %d after %d", e.Step, last)
			}
			last = e.Step
		case KindEpoch:
			epochs++
		}
	}
	if steps > HistorySteps || steps < HistorySteps/2 || epochs != n/1000 {
		t.Errorf("kept %d steps and %d epochs", steps, epochs)
	}
	if last != n-1 {
		t.Errorf("the newest steps were lost (last %d)", last)
	}
	// The newest half of the cap is whole (a late viewer's recent chart),
	// and the run's first step is still there (the curve's start).
	var got []int
	for _, e := range snap {
		if e.Kind == KindStep {
			got = append(got, e.Step)
		}
	}
	if got[0] != 0 {
		t.Errorf("the first step was thinned away: history starts at %d", got[0])
	}
	tail := got[len(got)-HistorySteps/2:]
	for i, st := range tail {
		if want := n - HistorySteps/2 + i; st != want {
			t.Fatalf("the newest %d steps are not whole: %d where %d was", HistorySteps/2, st, want)
		}
	}
}
