package training

import (
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
	path := filepath.Join(runDir, "metrics.jsonl")
	var off int64
	var partial []byte
	var last os.FileInfo // the file read so far
	crashed := false     // reported as such
	chunk := make([]byte, 1<<20)
	for {
		f, err := os.Open(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err == nil {
			if st, serr := f.Stat(); serr == nil {
				if last != nil && (!os.SameFile(last, st) || st.Size() < off) {
					off, partial = 0, nil
					hub.Publish(Event{Kind: KindRewound, Time: time.Now(), Msg: "the run's log was cut back (a resume redoing steps): read again from its start"})
				}
				last = st
			}
			if _, err := f.Seek(off, io.SeekStart); err == nil {
				var n int
				n, partial = publishLines(f, partial, chunk, hub)
				off += int64(n)
			}
			_ = f.Close() // read-only
		}
		if info, err := runs.ReadInfo(runDir); err == nil {
			now := info.Status == runs.StatusCrashed
			if now && !crashed { // ReadInfo dates its end at the log's last write
				hub.Publish(Event{Kind: KindState, Run: info.ID, State: StateFailed, Time: info.End, Epoch: info.EpochsDone, Step: info.Steps,
					Msg: fmt.Sprintf("crashed: its writer died (maskdash resume %s continues it)", info.ID)})
			}
			crashed = now // a resume that takes the run up again re-arms it
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(poll):
		}
	}
}

// publishLines reads r to its end (or its first error: the next poll
// reads on from there) a chunk at a time and publishes each whole line
// as an event, the bytes after the last newline kept in partial for the
// next read; n is how many bytes it read. A chunk at a time, so that a
// long run's log (hundreds of megabytes of step events) is not held in
// memory whole: `watch` of a run with 300,000 step events held 296 MB.
func publishLines(r io.Reader, partial, chunk []byte, hub *Hub) (n int, rest []byte) {
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
			if json.Unmarshal(partial[start:start+i], &e) == nil {
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
