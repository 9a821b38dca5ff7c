package ui

import (
	"sync"
	"time"
)

// outbox keeps a session's control commands in the order their keys were
// pressed. Each send runs in a command of its own (I/O stays out of
// Update), and commands run concurrently: two keys pressed together (the
// new-run prompt's enter, then q) could reach the trainer in the other
// order, and the stop then ended the parent before the fork, which left
// the child run training with the dashboard waiting to quit. Each send now
// waits for the one before it, at most outboxWait, so that a send that
// never runs (the program ended first) holds up the next one only that
// long.
type outbox struct {
	mu   sync.Mutex
	tail chan struct{} // closed when the last queued send is done
}

// outboxWait bounds how long a send waits for the one before it.
const outboxWait = 5 * time.Second

// turn is called in Update, in key order: it returns a channel closed when
// the previous send is done, and done, to call once this one is.
func (o *outbox) turn() (prev <-chan struct{}, done func()) {
	if o == nil {
		return nil, func() {}
	}
	mine := make(chan struct{})
	o.mu.Lock()
	prev, o.tail = o.tail, mine
	o.mu.Unlock()
	return prev, sync.OnceFunc(func() { close(mine) })
}

// awaitTurn blocks until prev is closed (nil: at once) or outboxWait
// passes.
func awaitTurn(prev <-chan struct{}) {
	if prev == nil {
		return
	}
	t := time.NewTimer(outboxWait)
	defer t.Stop()
	select {
	case <-prev:
	case <-t.C:
	}
}
