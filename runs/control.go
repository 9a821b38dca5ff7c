package runs

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// ControlRequest is a command for a run's trainer, left in the run
// folder's control/ by any process on any machine that sees the folder
// (the dashboard of another run, maskdash control, a sweep's early
// stopping). The trainer polls the folder, carries the requests out in
// order and logs each with who sent it.
type ControlRequest struct {
	Kind  string    `json:"kind"` // a training command kind: pause, resume, stop, checkpoint, predict, set-lr, scale-lr, set-loss
	Value float64   `json:"value,omitempty"`
	Text  string    `json:"text,omitempty"`
	Who   string    `json:"who"`
	T     time.Time `json:"t"`
	// File is the request's file name (set when taken).
	File string `json:"-"`
}

// ControlDir is the folder of a run's pending commands.
func ControlDir(runDir string) string { return filepath.Join(runDir, "control") }

// SendControl leaves a request in the run's control/ folder as its own
// file, written under a temporary name and renamed, so that a reader never
// sees half of it and many senders never collide (names carry the time,
// the process and a random part). It works on a shared filesystem (NFS)
// where appends from two machines could interleave.
func SendControl(runDir string, c ControlRequest) error {
	if _, err := os.Stat(filepath.Join(runDir, "run.json")); err != nil {
		return fmt.Errorf("%s is not a run folder", runDir)
	}
	if c.T.IsZero() {
		c.T = time.Now()
	}
	dir := ControlDir(runDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("control: %w", err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("control: %w", err)
	}
	name := fmt.Sprintf("%020d-%d-%08x.json", c.T.UnixNano(), os.Getpid(), rand.Uint32())
	if err := WriteFileAtomic(filepath.Join(dir, name), b); err != nil {
		return fmt.Errorf("control: %w", err)
	}
	return nil
}

// TakeControl returns the requests waiting in the run's control/ folder,
// oldest first, and removes their files. A file that does not parse is
// removed too and reported in bad (its name and why), so that one broken
// sender cannot stop the others.
func TakeControl(runDir string) (reqs []ControlRequest, bad []string, err error) {
	dir := ControlDir(runDir)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("control: %w", err)
	}
	var names []string
	for _, e := range ents {
		if n := e.Name(); strings.HasSuffix(n, ".json") && !strings.HasPrefix(n, ".") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, n)
		b, rerr := os.ReadFile(p)
		if rerr != nil {
			continue // taken by another reader, or not yet visible: next poll
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return reqs, bad, fmt.Errorf("control: %w", err)
		}
		var c ControlRequest
		if err := json.Unmarshal(b, &c); err != nil || c.Kind == "" {
			why := "no kind"
			if err != nil {
				why = err.Error()
			}
			bad = append(bad, fmt.Sprintf("%s (%s)", n, why))
			continue
		}
		c.File = n
		reqs = append(reqs, c)
	}
	return reqs, bad, nil
}
