package training

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/maskdash/maskdash/runs"
)

// TestTailLogReadsARewoundLogAgain: a followed log that a resume cuts
// back (runs.Run.RewindTo, a new file in the old one's place) and that
// has grown past its old length by the next look is read again from its
// start, after a KindRewound event; what follows the event is the log as
// it now is, each epoch once.
func TestTailLogReadsARewoundLogAgain(t *testing.T) {
	r, err := runs.NewStore(t.TempDir()).Create(runs.Info{ID: "r", Model: "cnn-s"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(runs.StatusStopped, nil)
	epoch := func(n int, f1 float64) Event {
		return Event{Kind: KindEpoch, Epoch: n, Step: 10 * n, Val: &Metrics{MacroF1: f1}}
	}
	write := func(es ...Event) {
		t.Helper()
		for _, e := range es {
			if err := r.Append(e); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(Event{Kind: KindRun, Settings: &RunHeader{ID: "r", Model: "cnn-s"}}, epoch(1, 0.1), epoch(2, 0.2))
	hub := NewHub()
	sub, _ := hub.Subscribe(1024)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() { _ = TailLog(ctx, r.Dir, hub, 5*time.Millisecond) }()
	var got []Event
	until := func(done func() bool) {
		t.Helper()
		for !done() {
			es, _, ok := sub.Next(ctx)
			if !ok {
				t.Fatalf("the tail ended after %d events", len(got))
			}
			got = append(got, es...)
		}
	}
	until(func() bool { return len(got) >= 3 })
	if err := r.RewindTo(10); err != nil { // the resume redoes epoch 2
		t.Fatal(err)
	}
	write(epoch(2, 0.25), epoch(3, 0.3), Event{Kind: KindState, State: StateRunning})
	rewound := -1
	until(func() bool {
		for i, e := range got {
			if e.Kind == KindRewound {
				rewound = i
			}
		}
		return rewound >= 0 && len(got) > rewound && got[len(got)-1].Kind == KindState
	})
	var epochs []int
	var f1s []float64
	for _, e := range got[rewound+1:] {
		if e.Kind == KindEpoch {
			epochs, f1s = append(epochs, e.Epoch), append(f1s, e.Val.MacroF1)
		}
	}
	if len(epochs) != 3 || epochs[0] != 1 || epochs[1] != 2 || epochs[2] != 3 || f1s[1] != 0.25 {
		t.Fatalf("after the rewind: epochs %v, F1 %v; want 1 2 3 with epoch 2's redone 0.25", epochs, f1s)
	}
	if rewound != 3 {
		t.Errorf("the rewind came after %d events, want 3", rewound)
	}
}

// TestTailLogSaysACrashedRunEnded: a followed run whose writer died (its
// run.json says running, nobody holds its lock) gets a final state from
// the tail, failed and dated when its log was last written: a viewer
// watching it from its folder showed it running, with an ETA, forever.
func TestTailLogSaysACrashedRunEnded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "run.json"), []byte(`{"status":"running","model":"cnn-s","epochs_done":3,"steps":30}`), 0o644); err != nil {
		t.Fatal(err)
	}
	lines := `{"kind":"run","settings":{"id":"r","model":"cnn-s"}}` + "\n" + `{"kind":"state","state":"running"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	// The log's last write is its end (run.json, written at its last
	// epoch, is older).
	died := time.Date(2026, 12, 5, 0, 34, 30, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "metrics.jsonl"), died, died); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(dir, "run.json"), died.Add(-time.Minute), died.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	hub := NewHub()
	sub, _ := hub.Subscribe(1024)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() { _ = TailLog(ctx, dir, hub, 5*time.Millisecond) }()
	var states []Event
	for len(states) < 2 {
		es, _, ok := sub.Next(ctx)
		if !ok {
			t.Fatalf("the tail gave %d states: %+v", len(states), states)
		}
		for _, e := range es {
			if e.Kind == KindState {
				states = append(states, e)
			}
		}
	}
	if e := states[1]; e.State != StateFailed || !strings.Contains(e.Msg, "crashed") || !e.Time.Equal(died) || e.Epoch != 3 {
		t.Errorf("the crash: %+v", e)
	}
	// Once only, however often it looks.
	quiet, stop := context.WithTimeout(ctx, 100*time.Millisecond)
	defer stop()
	for quiet.Err() == nil {
		es, _, _ := sub.Next(quiet)
		for _, e := range es {
			if e.Kind == KindState {
				t.Errorf("another state: %+v", e)
			}
		}
	}
}

// TestPublishLinesAcrossChunks: lines cut anywhere by the reads and the
// chunk (a byte at a time, seven bytes a chunk) are published whole and
// in order, a line that is not an event is passed over, and what follows
// the last newline is kept for the next read, within the chunk's memory.
func TestPublishLinesAcrossChunks(t *testing.T) {
	var log strings.Builder
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&log, `{"kind":"epoch","epoch":%d}`+"\n", i)
		if i == 3 {
			log.WriteString("not an event\n")
		}
	}
	log.WriteString(`{"kind":"step","ep`)
	hub := NewHub()
	sub, _ := hub.Subscribe(64)
	n, rest := publishLines(iotest.OneByteReader(strings.NewReader(log.String())), nil, make([]byte, 7), hub, nil)
	if n != log.Len() || string(rest) != `{"kind":"step","ep` {
		t.Errorf("read %d bytes of %d, kept %q", n, log.Len(), rest)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var epochs []int
	for len(epochs) < 5 {
		es, _, ok := sub.Next(ctx)
		if !ok {
			break
		}
		for _, e := range es {
			epochs = append(epochs, e.Epoch)
		}
	}
	if fmt.Sprint(epochs) != "[1 2 3 4 5]" {
		t.Errorf("published epochs %v, want [1 2 3 4 5]", epochs)
	}
	// the rest of the torn line, in the next read
	n, rest = publishLines(strings.NewReader(`och":6}`+"\n"), rest, make([]byte, 7), hub, nil)
	if es, _, ok := sub.Next(ctx); n != 8 || len(rest) != 0 || !ok || len(es) != 1 || es[0].Kind != KindStep || es[0].Epoch != 6 {
		t.Errorf("the torn line finished: %d bytes, %q kept, %v", n, rest, es)
	}
}
