package sweep

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// slotWait is how often a runner that found every slot taken looks again.
const slotWait = 250 * time.Millisecond

// takeSlot waits for one of the sweep's p slots and returns its number
// (which GPU a trial gets) and the function that frees it. A slot is a
// file, logs/slot-<n>.lock, held with flock while a trial runs, so the
// limit counts every runner of the sweep: a second runner (started by
// `sweep extend` or a requeue while the first still runs) waits for the
// first one's trials to end instead of running beside them, and a runner
// that dies lets its slots go with its process. It returns slot -1 when
// ctx ends first.
func takeSlot(ctx context.Context, logs string, p int) (int, func(), error) {
	for {
		for n := range p {
			f, err := os.OpenFile(filepath.Join(logs, fmt.Sprintf("slot-%d.lock", n)), os.O_CREATE|os.O_RDWR, 0o644)
			if err != nil {
				return 0, nil, fmt.Errorf("sweep slot: %w", err)
			}
			err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
			if err == nil {
				return n, func() { _ = f.Close() }, nil // closing lets the lock go
			}
			_ = f.Close() // only read from; the lock was not taken
			if !errors.Is(err, syscall.EWOULDBLOCK) {
				return 0, nil, fmt.Errorf("sweep slot %d: %w", n, err)
			}
		}
		select {
		case <-ctx.Done():
			return -1, nil, nil
		case <-time.After(slotWait):
		}
	}
}
