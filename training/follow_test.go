package training

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestStepsKeptIsTheHubsThinning: the step events stepsKept keeps are
// those a hub keeps when they are published one after another, around
// the cap and past several thinnings.
func TestStepsKeptIsTheHubsThinning(t *testing.T) {
	for _, n := range []int{0, 1, HistorySteps, HistorySteps + 1, HistorySteps + 2, 3*HistorySteps + 7, 95123} {
		hub := NewHub()
		t0 := time.Unix(0, 0)
		for i := range n {
			hub.Publish(Event{Kind: KindStep, Step: i, Time: t0})
		}
		_, snap := hub.Subscribe(0)
		want := make([]bool, n)
		for _, e := range snap {
			want[e.Step] = true
		}
		if got := stepsKept(n); !reflect.DeepEqual(got, want) {
			kept := 0
			for _, k := range got {
				if k {
					kept++
				}
			}
			t.Errorf("n=%d: stepsKept keeps %d step events, the hub %d (or others)", n, kept, len(snap))
		}
	}
}

// TestFollowLogStartsWithTheWholeLog: a viewer that subscribes to
// FollowLog's hub starts with the log as a hub that was handed every line
// keeps it (every other event, the step events thinned as the hub thins
// them, the last step among them) though the step events the hub would
// drop were never decoded; lines written afterwards are followed.
func TestFollowLogStartsWithTheWholeLog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "metrics.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	t0 := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	write := func(e Event) {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(append(b, '\n')) //nolint:errcheck // Flush reports it
	}
	const steps = 2*HistorySteps + 4321
	for i := range steps {
		write(Event{Kind: KindStep, Step: i, Loss: float64(i), Time: t0.Add(time.Duration(i) * time.Millisecond)})
		if i%5000 == 4999 {
			write(Event{Kind: KindEpoch, Epoch: i / 5000, Step: i, Time: t0})
			w.WriteString("not an event\n") //nolint:errcheck // Flush reports it
		}
	}
	w.WriteString(`{"kind":"step","step":`) //nolint:errcheck // a torn last line: not yet an event
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	every := NewHub() // the hub handed every line
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	publishLines(strings.NewReader(string(b)), nil, make([]byte, 1<<16), every, nil)
	_, want := every.Subscribe(0)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hub := FollowLog(ctx, dir, 5*time.Millisecond)
	sub, got := hub.Subscribe(0)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("FollowLog's history has %d events, the hub given every line %d, or others", len(got), len(want))
	}
	lastStep := -1
	for _, e := range got {
		if e.Kind == KindStep {
			lastStep = e.Step
		}
	}
	if lastStep != steps-1 {
		t.Errorf("the history's last step event is step %d, not the log's last, %d", lastStep, steps-1)
	}

	// the torn line, finished, is followed
	a, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.WriteString(`123456,"t":"2026-12-06T01:00:00Z"}` + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	wait, done := context.WithTimeout(ctx, 10*time.Second)
	defer done()
	es, _, ok := sub.Next(wait)
	if !ok || len(es) != 1 || es[0].Kind != KindStep || es[0].Step != 123456 {
		t.Errorf("after the log grew, the viewer got %v", es)
	}
}
