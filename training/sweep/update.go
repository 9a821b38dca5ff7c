package sweep

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFile is the sweep folder's lock, held while sweep.json is read,
// changed and written (Update).
const lockFile = "sweep.lock"

// Update changes sweep.json under the sweep folder's lock: it reads the
// file again (another process, a trial proposing the next setting of a
// search or a waiting sweep requeueing, may have changed it since sw was
// read), runs change on sw and writes sw back. Every change to a sweep
// that may have other writers goes through it, so none is lost.
func (sw *Sweep) Update(change func() error) error {
	f, err := os.OpenFile(filepath.Join(sw.Dir, lockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("sweep lock: %w", err)
	}
	defer f.Close() //nolint:errcheck // only held for its lock
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("sweep lock: %w", err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing the file lets go too
	b, err := os.ReadFile(filepath.Join(sw.Dir, File))
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	fresh := Sweep{Dir: sw.Dir}
	if err := json.Unmarshal(b, &fresh); err != nil {
		return fmt.Errorf("%s is corrupt: %v", filepath.Join(sw.Dir, File), err)
	}
	*sw = fresh
	if err := change(); err != nil {
		return err
	}
	return sw.Save()
}
