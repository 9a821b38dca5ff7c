package training

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"
)

// TailLog publishes a run's log to hub as it grows: every event already
// in metrics.jsonl, then each new whole line, looked for every poll, until
// ctx ends. It is how a dashboard shows a run that trains in another
// process or on another machine (a Slurm node) through its run folder. A
// log that is cut back (a resume rewinding redone steps) is read again
// from its start, after a KindRewound event: the log is cut back by
// writing a new file in its place (runs.Run.RewindTo), which this sees
// even when the new file has grown past the old one's length by then.
func TailLog(ctx context.Context, runDir string, hub *Hub, poll time.Duration) error {
	path := filepath.Join(runDir, "metrics.jsonl")
	var off int64
	var partial []byte
	var last os.FileInfo // the file read so far
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
				b, _ := io.ReadAll(f)
				off += int64(len(b))
				partial = append(partial, b...)
				for {
					i := bytes.IndexByte(partial, '\n')
					if i < 0 {
						break
					}
					var e Event
					if json.Unmarshal(partial[:i], &e) == nil {
						hub.Publish(e)
					}
					partial = partial[i+1:]
				}
			}
			_ = f.Close() // read-only
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(poll):
		}
	}
}
