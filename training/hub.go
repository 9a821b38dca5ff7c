package training

import (
	"context"
	"sync"
	"time"
)

// Hub fans events out to any number of subscribers. Publish never blocks:
// each subscriber has a queue in which step events are bounded (a slow
// reader loses the oldest queued ones until it catches up, and is told
// how many)
// while every other event is kept; step events that carry layer stats
// are bounded apart from the plain ones, so a slow reader keeps them. The hub also keeps the history so that
// a late subscriber starts with the whole run: every non-step event, and
// step events thinned to at most HistorySteps (when the cap is reached,
// every other one is dropped but the newest half, so a run of days keeps
// the shape of its curves in bounded memory and its recent steps whole;
// the run's history columns on disk keep every step).
type Hub struct {
	mu      sync.Mutex
	subs    map[*Sub]struct{}
	history []Event
	steps   int // step events in history
	closed  bool
}

// HistorySteps caps the step events a Hub keeps for late subscribers.
const HistorySteps = 20000

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[*Sub]struct{}{}} }

// Sub is one subscription.
type Sub struct {
	hub   *Hub
	mu    sync.Mutex
	queue []Event
	// stepAt are the queue's positions of its plain step events ([0])
	// and of those with layer stats ([1]), oldest first; holes counts
	// the positions whose event made room for a newer one (holeKind,
	// left out by Next, compacted away when they are half the queue).
	stepAt  [2][]int
	holes   int
	limit   int
	dropped int
	closed  bool
	notify  chan struct{}
}

// Subscribe returns a subscription and, atomically with it, every event
// published so far. stepLimit bounds queued step events (default 256).
func (h *Hub) Subscribe(stepLimit int) (*Sub, []Event) {
	if stepLimit <= 0 {
		stepLimit = 256
	}
	s := &Sub{hub: h, limit: stepLimit, notify: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	snap := append([]Event(nil), h.history...)
	if h.closed {
		s.closed = true
	} else {
		h.subs[s] = struct{}{}
	}
	return s, snap
}

// Publish sends an event to every subscriber without blocking.
func (h *Hub) Publish(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	h.mu.Lock()
	h.history = append(h.history, e)
	if e.Kind == KindStep {
		h.steps++
		if h.steps > HistorySteps {
			h.thin()
		}
	}
	subs := make([]*Sub, 0, len(h.subs))
	for s := range h.subs {
		subs = append(subs, s)
	}
	h.mu.Unlock()
	for _, s := range subs {
		s.push(e)
	}
}

// thin drops every other step event from the history but the newest
// HistorySteps/2, which stay whole: a viewer who joins a long run late
// sees its recent steps (the overview's "recent" loss chart) in full
// detail, and older stretches lose detail the older they are.
func (h *Hub) thin() {
	kept, steps := thinSteps(h.history, h.steps, func(e Event) bool { return e.Kind == KindStep })
	clear(h.history[len(kept):])
	h.history, h.steps = kept, steps
}

// thinSteps is the hub's thinning of a history of which steps items are
// step events: every other one of them is dropped but the newest
// HistorySteps/2; every other item stays. It works in place and returns
// what is kept and how many of those are step events.
func thinSteps[T any](history []T, steps int, isStep func(T) bool) ([]T, int) {
	dense := HistorySteps / 2
	kept := history[:0]
	odd := false
	seen, left := 0, 0
	old := steps - dense // the step events that may be thinned
	for _, e := range history {
		if isStep(e) {
			seen++
			if seen <= old {
				odd = !odd
				if !odd {
					continue
				}
			}
			left++
		}
		kept = append(kept, e)
	}
	return kept, left
}

// stepsKept says which of n step events published one after another
// into an empty hub it keeps in its history (the thinning's outcome,
// worked out on their numbers): a log read from its start into a hub
// need not decode the step events the hub would drop.
func stepsKept(n int) []bool {
	var history []int32
	for i := range n {
		history = append(history, int32(i))
		if len(history) > HistorySteps {
			history, _ = thinSteps(history, len(history), func(int32) bool { return true })
		}
	}
	keep := make([]bool, n)
	for _, i := range history {
		keep[i] = true
	}
	return keep
}

// Close ends every subscription (after their queues drain).
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	subs := h.subs
	h.subs = map[*Sub]struct{}{}
	h.mu.Unlock()
	for s := range subs {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.wake()
	}
}

// stepEvents is how many step events the history holds.
func (h *Hub) stepEvents() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.steps
}

// Subscribers is the number of live subscriptions.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

func (s *Sub) push(e Event) {
	s.mu.Lock()
	// Step events with the parameters' norms have a bound of their own:
	// there is one every Config.LayersEvery, and a reader slow enough to
	// lose plain steps keeps its measures (a lost one leaves the layers
	// view a measure short), up to the same number (256 by default,
	// some 21 minutes of them), so a reader that never reads stays
	// bounded.
	//
	// When the bound is reached the oldest queued step event of its class
	// makes room, not the new one: a reader that falls behind (a viewer
	// over a slow link, or any viewer while a resumed run's rewound log
	// is read again at once) keeps the run's latest steps, so its
	// progress line and the end of its recent-loss chart are current;
	// the gap is in the middle, and the reader is told its size.
	if e.Kind == KindStep {
		c := 0
		if len(e.Layers) > 0 {
			c = 1
		}
		if len(s.stepAt[c]) >= s.limit {
			oldest := s.stepAt[c][0]
			s.stepAt[c] = s.stepAt[c][1:]
			s.queue[oldest] = Event{Kind: holeKind}
			s.holes++
			s.dropped++
		}
		s.stepAt[c] = append(s.stepAt[c], len(s.queue))
	}
	s.queue = append(s.queue, e)
	if s.holes > len(s.queue)/2 {
		s.compact()
	}
	s.mu.Unlock()
	s.wake()
}

// holeKind marks a queued step event that made room for a newer one.
const holeKind EventKind = "\x00hole"

// compact takes the holes out of the queue and renumbers stepAt: a reader
// that does not read holds at most twice its bounds' events (and every
// other event), whatever is published.
func (s *Sub) compact() {
	kept := s.queue[:0]
	s.stepAt[0], s.stepAt[1] = s.stepAt[0][:0], s.stepAt[1][:0]
	for _, q := range s.queue {
		if q.Kind == holeKind {
			continue
		}
		if q.Kind == KindStep {
			c := 0
			if len(q.Layers) > 0 {
				c = 1
			}
			s.stepAt[c] = append(s.stepAt[c], len(kept))
		}
		kept = append(kept, q)
	}
	clear(s.queue[len(kept):])
	s.queue, s.holes = kept, 0
}

func (s *Sub) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Next waits for events and returns all queued ones with the number of
// step events dropped since the last call. ok is false once the hub is
// closed and the queue is empty, or ctx is done.
func (s *Sub) Next(ctx context.Context) (events []Event, dropped int, ok bool) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 || s.dropped > 0 {
			if s.holes > 0 {
				s.compact()
			}
			events, dropped = s.queue, s.dropped
			s.queue, s.stepAt, s.dropped = nil, [2][]int{}, 0
			s.mu.Unlock()
			return events, dropped, true
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return nil, 0, false
		}
		select {
		case <-s.notify:
		case <-ctx.Done():
			return nil, 0, false
		}
	}
}

// Cancel ends the subscription.
func (s *Sub) Cancel() {
	s.hub.mu.Lock()
	delete(s.hub.subs, s)
	s.hub.mu.Unlock()
	s.mu.Lock()
	s.closed = true
	s.queue = nil
	s.mu.Unlock()
	s.wake()
}
