package training

import (
	"context"
	"fmt"
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
	// it keeps the newest steps: its view of the run is current
	var kept []int
	for _, e := range evs {
		if e.Kind == KindStep && len(e.Layers) == 0 {
			kept = append(kept, e.Step)
		}
	}
	if fmt.Sprint(kept) != "[96 97 98 99]" {
		t.Errorf("a slow reader kept the steps %v, want the newest, [96 97 98 99]", kept)
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
	if evs, dropped, _ := frozen.Next(context.Background()); len(evs) != 3 || dropped != 7 || evs[0].Step != 7 || evs[2].Step != 9 {
		t.Errorf("a frozen reader of measured steps: %d kept (%v), %d dropped; want the newest 3", len(evs), evs, dropped)
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

// TestSlowSubscriberStaysBounded: a reader that does not read while a
// whole log is published (100,000 step events: a resumed run's rewound
// log read again) holds a bounded queue throughout, and then gets the
// newest steps of each class, every other event, and the count of those
// that made room.
func TestSlowSubscriberStaysBounded(t *testing.T) {
	h := NewHub()
	s, _ := h.Subscribe(16)
	epochs, measured := 0, 0
	for i := range 100000 {
		e := Event{Kind: KindStep, Step: i}
		if i%100 == 0 {
			e.Layers = []LayerStat{{Name: "w"}}
			measured++
		}
		h.Publish(e)
		if i%1000 == 999 {
			h.Publish(Event{Kind: KindEpoch, Epoch: i / 1000})
			epochs++
		}
		s.mu.Lock()
		n := len(s.queue)
		s.mu.Unlock()
		if n > 2*(2*16+epochs)+1 {
			t.Fatalf("after %d steps the queue holds %d events", i+1, n)
		}
	}
	evs, dropped, _ := s.Next(context.Background())
	var plain, withStats []int
	got := 0
	for _, e := range evs {
		switch {
		case e.Kind == KindEpoch:
			got++
		case e.Kind == KindStep && len(e.Layers) > 0:
			withStats = append(withStats, e.Step)
		case e.Kind == KindStep:
			plain = append(plain, e.Step)
		default:
			t.Fatalf("a hole reached the reader: %+v", e)
		}
	}
	if got != epochs || len(plain) != 16 || plain[0] != 99984 || plain[15] != 99999 || len(withStats) != 16 || withStats[15] != 99900 {
		t.Errorf("%d epochs of %d, plain steps %v, measured %v", got, epochs, plain, withStats)
	}
	if want := 100000 - 32; dropped != want {
		t.Errorf("dropped %d, want %d", dropped, want)
	}
}
