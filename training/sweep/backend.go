package sweep

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Backend runs a sweep's trials somewhere: this machine, a Slurm cluster,
// and one day Kubernetes Jobs. It only submits, reports what it holds and
// cancels; the trials' run folders say the rest.
type Backend interface {
	// Submit starts (or queues) the trials with these indexes, each
	// running `<Binary> sweep trial <sweep folder> <index>`.
	Submit(ctx context.Context, sw *Sweep, trials []int) error
	// Queued reports the trials the backend still holds (pending or
	// running) and where.
	Queued(ctx context.Context, sw *Sweep) (map[int]Queued, error)
	// Cancel takes the trials back: pending ones never start, running
	// ones stop (with a checkpoint, so that they can be resumed).
	Cancel(ctx context.Context, sw *Sweep, trials []int) error
}

// Backends are the names --backend takes.
var Backends = []string{"local", "slurm"}

// NewBackend returns the named backend.
func NewBackend(name string) (Backend, error) {
	switch name {
	case "local":
		return Local{}, nil
	case "slurm":
		return Slurm{}, nil
	}
	return nil, fmt.Errorf("backend %q is unknown: local or slurm", name)
}

// logDir is where the trials' standard output goes.
func (sw *Sweep) logDir() (string, error) {
	d := filepath.Join(sw.Dir, "logs")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", fmt.Errorf("sweep logs: %w", err)
	}
	return d, nil
}

// Interrupted marks a trial whose process was stopped by a signal (Slurm's
// scancel or preemption, Ctrl-C): its run says "stopped", but it did not
// end on purpose, so the sweep resumes it.
const interruptedFile = "interrupted"

// MarkInterrupted records that the run in dir was interrupted.
func MarkInterrupted(runDir string) error {
	return os.WriteFile(filepath.Join(runDir, interruptedFile), []byte("stopped by a signal; the sweep resumes it from its last checkpoint\n"), 0o644)
}

// ClearInterrupted removes the mark when the trial resumes.
func ClearInterrupted(runDir string) error {
	err := os.Remove(filepath.Join(runDir, interruptedFile))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

func interrupted(runDir string) bool {
	_, err := os.Stat(filepath.Join(runDir, interruptedFile))
	return err == nil
}
