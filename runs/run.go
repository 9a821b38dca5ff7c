package runs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Run is a run open for writing: it holds the run's lock until Close.
type Run struct {
	Info Info
	Dir  string

	mu      sync.Mutex
	lock    *os.File
	log     *os.File
	logSize int64 // bytes of whole lines in the log
	torn    bool  // a write failed part-way: cut the log back to logSize before the next
	hist    *columns
}

// ID returns the run id.
func (r *Run) ID() string { return r.Info.ID }

// SaveInfo writes run.json atomically.
func (r *Run) SaveInfo() error {
	b, err := json.MarshalIndent(r.Info, "", "  ")
	if err != nil {
		return fmt.Errorf("run.json: %w", err)
	}
	return WriteFileAtomic(filepath.Join(r.Dir, "run.json"), append(b, '\n'))
}

// ErrUnencodable marks an event that JSON cannot hold (a NaN or an
// infinity in it): writing it again will not help.
var ErrUnencodable = errors.New("the event cannot be written as JSON")

// Append writes one event to metrics.jsonl (one JSON object a line). A
// write that fails part-way (a full disk) is cut off again, so the log
// never holds a torn line before a good one; the caller may simply retry.
func (r *Run) Append(event any) error {
	b, err := json.Marshal(event)
	if err != nil {
		return fmt.Errorf("metrics event: %w: %w", ErrUnencodable, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.torn {
		if err := r.log.Truncate(r.logSize); err != nil {
			return fmt.Errorf("metrics log %s: %w", r.log.Name(), err)
		}
		r.torn = false
	}
	n, err := r.log.Write(append(b, '\n'))
	if err != nil {
		if n > 0 {
			r.torn = r.log.Truncate(r.logSize) != nil
		}
		return fmt.Errorf("metrics log %s: %w", r.log.Name(), err)
	}
	r.logSize += int64(n)
	return nil
}

// AppendHistory adds one row of step metrics to the columnar history.
func (r *Run) AppendHistory(step int, vals map[string]float64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hist.append(step, vals)
}

// Sync flushes the log and history to disk (at each epoch end).
func (r *Run) Sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.hist.sync(); err != nil {
		return err
	}
	return r.log.Sync()
}

// Close records the final status and releases the lock. It reports the
// first error among writing run.json and flushing the log and history.
func (r *Run) Close(status Status, runErr error) error {
	r.Info.Status = status
	r.Info.End = time.Now()
	if runErr != nil {
		r.Info.Error = runErr.Error()
	}
	err := r.SaveInfo()
	r.mu.Lock()
	err = errors.Join(err, r.hist.close(), r.log.Sync(), r.log.Close())
	r.mu.Unlock()
	return errors.Join(err, r.lock.Close())
}

// Abandon releases the run's files without recording an end, as a killed
// process would: the run then lists as crashed. For tests of what a dead
// writer leaves.
func (r *Run) Abandon() {
	r.mu.Lock()
	_ = r.hist.close()
	_ = r.log.Close()
	r.mu.Unlock()
	_ = r.lock.Close()
}

// CheckpointDir is where checkpoints go.
func (r *Run) CheckpointDir() string { return filepath.Join(r.Dir, "checkpoints") }

// PredictionDir is where prediction CSVs go.
func (r *Run) PredictionDir() string { return filepath.Join(r.Dir, "predictions") }

// repairLog cuts a torn last line (from a killed writer) so that appends
// start on a fresh line, and notes the log's size.
func (r *Run) repairLog() error {
	st, err := r.log.Stat()
	if err != nil {
		return err
	}
	if st.Size() == 0 {
		return nil
	}
	f, err := os.Open(r.log.Name())
	if err != nil {
		return err
	}
	defer f.Close() //nolint:errcheck // read-only: nothing to lose
	n := min(st.Size(), 1<<20)
	b := make([]byte, n)
	if _, err := f.ReadAt(b, st.Size()-n); err != nil && err != io.EOF {
		return err
	}
	r.logSize = st.Size()
	if b[len(b)-1] == '\n' {
		return nil
	}
	r.logSize = st.Size() - n + int64(bytes.LastIndexByte(b, '\n')+1)
	return os.Truncate(r.log.Name(), r.logSize)
}

// ReadLog reads metrics.jsonl, calling f for each complete JSON line. A
// torn or corrupt last line is ignored; a corrupt line elsewhere is
// reported.
func ReadLog(dir string, f func(line []byte) error) error { return ReadLogWhere(dir, nil, f) }

// ReadLogKinds is ReadLog for the events of the given kinds only. The
// trainer writes each event with its kind first ({"kind":"step",…), so a
// line of another kind is passed over unparsed and unchecked: on a long
// run's log, almost all of it step events (one every 250 ms, about 1.5
// KB each: 134 MB for 300,000), reading the epochs took seconds and now
// takes a tenth of one. A line that does not start with a kind is read
// as ReadLog reads it.
func ReadLogKinds(dir string, kinds []string, f func(line []byte) error) error {
	return ReadLogWhere(dir, OfKinds(kinds...), f)
}

// OfKinds is a ReadLogWhere test: the lines of the given event kinds,
// and those that do not start with a kind.
func OfKinds(kinds ...string) func(line []byte) bool {
	want := make([][]byte, len(kinds))
	for i, k := range kinds {
		want[i] = KindLine(k)
	}
	pre := []byte(kindPrefix)
	return func(b []byte) bool {
		if !bytes.HasPrefix(b, pre) {
			return true
		}
		for _, w := range want {
			if bytes.HasPrefix(b, w) {
				return true
			}
		}
		return false
	}
}

// kindPrefix is how every event line of the trainer's starts.
const kindPrefix = `{"kind":"`

// KindLine is how the trainer writes every line of an event of kind to
// start ({"kind":"step"), so that a reader can tell a line's kind without
// decoding it (ReadLogKinds; a viewer counting a log's step events).
func KindLine(kind string) []byte { return []byte(kindPrefix + kind + `"`) }

// ReadLogWhere is ReadLog for the lines keep lets through (nil: all),
// the others passed over unparsed and unchecked.
func ReadLogWhere(dir string, keep func(line []byte) bool, f func(line []byte) error) error {
	file, err := os.Open(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		return fmt.Errorf("metrics log: %w", err)
	}
	defer file.Close() //nolint:errcheck // read-only: nothing to lose
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var pending []byte
	line := 0
	for sc.Scan() {
		line++
		if pending != nil {
			return fmt.Errorf("%s: line %d is not JSON", file.Name(), line-1)
		}
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 || keep != nil && !keep(b) {
			continue
		}
		if !json.Valid(b) {
			pending = append([]byte(nil), b...)
			continue
		}
		if err := f(b); err != nil {
			return err
		}
	}
	return sc.Err()
}

// scanLines calls more with each line of r from where it stands (the
// last one without its newline when it has none), until more returns
// false or r ends; read is the bytes before the line more refused (all
// of them when none was).
func scanLines(r io.Reader, more func(line []byte) bool) (read int64, err error) {
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if !more(line) {
				return read, nil
			}
			read += int64(len(line))
		}
		if err == io.EOF {
			return read, nil
		}
		if err != nil {
			return read, err
		}
	}
}

// WriteFileAtomic writes data to a temporary file in the same folder,
// syncs it and renames it over path.
func WriteFileAtomic(path string, data []byte) error {
	return WriteFileAtomicFrom(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFileAtomicFrom is WriteFileAtomic of what fill writes, which
// need not be in memory at once.
func WriteFileAtomicFrom(path string, fill func(w io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	fail := func(err error) error {
		// The first error is what went wrong; cleaning up is best effort
		// (a temporary name is never read).
		_ = tmp.Close()
		_ = os.Remove(name)
		return err
	}
	// CreateTemp makes 0600 files; a run folder is the user's to share.
	if err := tmp.Chmod(0o644); err != nil {
		return fail(err)
	}
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := fill(bw); err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(name)
		return err
	}
	return os.Rename(name, path)
}

// RewindTo drops from the log every line whose "step" is past step, and
// from the history every row past it. Resuming from a checkpoint at step
// calls it, so that work redone after a crash is not logged twice. It
// reads the log a line at a time, up to the first line to drop, and only
// then writes the log anew (the lines before that copied as they are):
// a long run's log (hundreds of megabytes of step events) is never held
// in memory, which a Slurm job's memory limit would not allow twice.
func (r *Run) RewindTo(step int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := filepath.Join(r.Dir, "metrics.jsonl")
	in, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("rewind log: %w", err)
	}
	defer in.Close() //nolint:errcheck // read-only: nothing to lose
	keep := func(line []byte) bool {
		if len(bytes.TrimSpace(line)) == 0 || line[len(line)-1] != '\n' {
			return false // a blank or torn line
		}
		var s struct {
			Step *int `json:"step"`
		}
		return json.Unmarshal(line, &s) != nil || s.Step == nil || *s.Step <= step
	}
	// each line kept up to the first to drop
	first, err := scanLines(in, func(line []byte) bool { return keep(line) })
	if err != nil {
		return fmt.Errorf("rewind log: %w", err)
	}
	if st, err := in.Stat(); err != nil {
		return fmt.Errorf("rewind log: %w", err)
	} else if first == st.Size() {
		r.logSize = first
		return r.hist.rewind(step)
	}
	if err := r.log.Close(); err != nil {
		return fmt.Errorf("rewind log: %w", err)
	}
	kept := first
	err = WriteFileAtomicFrom(p, func(w io.Writer) error {
		if _, err := in.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if _, err := io.CopyN(w, in, first); err != nil {
			return err
		}
		_, err := scanLines(in, func(line []byte) bool {
			if keep(line) {
				n, _ := w.Write(line) // a failed write fails the flush
				kept += int64(n)
			}
			return true
		})
		return err
	})
	if err != nil {
		// the log is as it was (the new one never replaced it): open it
		// again, so that the run's next events still go there
		if f, oerr := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0o644); oerr == nil {
			r.log = f
		}
		return fmt.Errorf("rewind log: %w", err)
	}
	r.logSize = kept
	if r.log, err = os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		return fmt.Errorf("rewind log: %w", err)
	}
	return r.hist.rewind(step)
}
