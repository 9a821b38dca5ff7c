package training

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/maskdash/maskdash/runs"
)

// TailLog publishes a run's log to hub as it grows: every event already
// in metrics.jsonl, then each new whole line, looked for every poll, until
// ctx ends. It is how a dashboard shows a run that trains in another
// process or on another machine (a Slurm node) through its run folder. A
// log that is cut back (a resume rewinding redone steps) is read again
// from its start, after a KindRewound event: the log is cut back by
// writing a new file in its place (runs.Run.RewindTo), which this sees
// even when the new file has grown past the old one's length by then.
// A run whose writer died (run.json says running, no process holds its
// lock: runs.StatusCrashed) leaves no final state in its log; the tail
// then publishes one, failed, dated when the log was last written, so
// that a viewer does not show it running (and its ETA) forever.
func TailLog(ctx context.Context, runDir string, hub *Hub, poll time.Duration) error {
	t := newLogTail(runDir)
	if err := t.read(hub); err != nil {
		return err
	}
	return t.follow(ctx, hub, poll)
}

// FollowLog reads a run's log to its end into a new hub, then follows it
// as TailLog does in a goroutine until ctx ends. A viewer that subscribes
// to the hub it returns starts with the whole log in the subscription's
// history, thinned as the hub thins it: one that subscribed before the log
// was read took it as it was published, tens of thousands of step events
// in a second through a queue bounded for live steps, and lost steps
// while the queue was full (a day's log opened with its
// recent-loss chart short of its last steps, and "skipped 105931 step
// updates"). A log that cannot be read leaves the hub empty; the viewer
// shows nothing, and the tail goes on trying every poll.
func FollowLog(ctx context.Context, runDir string, poll time.Duration) *Hub {
	hub := NewHub()
	t := newLogTail(runDir)
	_ = t.read(hub) // follow tries again, and says nothing either: the viewer's header shows no run
	go func() { _ = t.follow(ctx, hub, poll) }()
	return hub
}

// logTail is where a followed log has been read to.
type logTail struct {
	runDir  string
	path    string
	off     int64
	partial []byte      // the bytes after the last newline read
	last    os.FileInfo // the file read so far
	crashed bool        // reported as such
	chunk   []byte
}

func newLogTail(runDir string) *logTail {
	return &logTail{runDir: runDir, path: filepath.Join(runDir, "metrics.jsonl"), chunk: make([]byte, 1<<20)}
}

// follow reads the log on every poll until ctx ends.
func (t *logTail) follow(ctx context.Context, hub *Hub, poll time.Duration) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(poll):
		}
		if err := t.read(hub); err != nil {
			return err
		}
	}
}

// read publishes what the log holds past what was read before. A log
// read from its start into a hub without step events (a viewer opening
// a run) is counted first, and the step events the hub's thinning would
// drop are passed over undecoded: opening a day's log (320,000 step
// events, 160 MB) took 3 s of CPU, nearly all of it decoding events the
// hub then dropped.
func (t *logTail) read(hub *Hub) error {
	f, err := os.Open(t.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err == nil {
		if st, serr := f.Stat(); serr == nil {
			if t.last != nil && (!os.SameFile(t.last, st) || st.Size() < t.off) {
				t.off, t.partial = 0, nil
				hub.Publish(Event{Kind: KindRewound, Time: time.Now(), Msg: "the run's log was cut back (a resume redoing steps): read again from its start"})
			}
			t.last = st
		}
		var skip *stepSkip
		if t.off == 0 && hub.stepEvents() == 0 {
			if n, cerr := countStepLines(f); cerr == nil {
				skip = &stepSkip{keep: stepsKept(n)}
			}
		}
		if _, err := f.Seek(t.off, io.SeekStart); err == nil {
			var n int
			n, t.partial = publishLines(f, t.partial, t.chunk, hub, skip)
			t.off += int64(n)
		}
		_ = f.Close() // read-only
	}
	if info, err := runs.ReadInfo(t.runDir); err == nil {
		now := info.Status == runs.StatusCrashed
		if now && !t.crashed { // ReadInfo dates its end at the log's last write
			hub.Publish(Event{Kind: KindState, Run: info.ID, State: StateFailed, Time: info.End, Epoch: info.EpochsDone, Step: info.Steps,
				Msg: fmt.Sprintf("crashed: its writer died (maskdash resume %s continues it)", info.ID)})
		}
		t.crashed = now // a resume that takes the run up again re-arms it
	}
	return nil
}

// stepLine is how every step event's line starts.
var stepLine = runs.KindLine(string(KindStep))

// countStepLines counts the whole lines of r that are step events.
func countStepLines(r io.Reader) (int, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	n := 0
	start := true // at a line's start
	step := false // the line being read is a step event's
	for {
		b, err := br.ReadSlice('\n')
		if start {
			step = bytes.HasPrefix(b, stepLine)
		}
		start = err == nil // a line longer than the buffer goes on
		if start && step {
			n++
		}
		if err != nil && err != bufio.ErrBufferFull {
			if err == io.EOF {
				return n, nil
			}
			return n, err
		}
	}
}

// stepSkip passes over the step events of a log that a hub would not
// keep: the i-th step line is decoded only if keep[i] (or i is past
// keep, a line written after the log was counted).
type stepSkip struct {
	keep []bool
	seen int
}

// pass says whether line is a step event to pass over.
func (s *stepSkip) pass(line []byte) bool {
	if s == nil || !bytes.HasPrefix(line, stepLine) {
		return false
	}
	i := s.seen
	s.seen++
	return i < len(s.keep) && !s.keep[i]
}

// publishLines reads r to its end (or its first error: the next poll
// reads on from there) a chunk at a time and publishes each whole line
// as an event, the bytes after the last newline kept in partial for the
// next read; n is how many bytes it read. A chunk at a time, so that a
// long run's log (hundreds of megabytes of step events) is not held in
// memory whole: `watch` of a run with 300,000 step events held 296 MB.
func publishLines(r io.Reader, partial, chunk []byte, hub *Hub, skip *stepSkip) (n int, rest []byte) {
	for {
		k, err := r.Read(chunk)
		n += k
		partial = append(partial, chunk[:k]...)
		start := 0
		for {
			i := bytes.IndexByte(partial[start:], '\n')
			if i < 0 {
				break
			}
			var e Event
			if line := partial[start : start+i]; !skip.pass(line) && json.Unmarshal(line, &e) == nil {
				hub.Publish(e)
			}
			start += i + 1
		}
		// the unfinished line, moved to the front: partial's memory is
		// reused, never grown past a chunk and a line
		partial = partial[:copy(partial, partial[start:])]
		if err != nil || k == 0 {
			return n, partial
		}
	}
}
