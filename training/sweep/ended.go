package sweep

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A trial's process ends some time after its training does: it records
// the end, proposes a search's next settings and exits, and until then
// the backend still holds it (squeue lists it, the local runner waits on
// it). The end marker, logs/<run id>.ended, says which submission
// ended, so that the sweep counts the trial as ended (not as pending)
// while its process finishes, and as pending again once it is requeued
// (a later submission).

// endedFile names trial i's end marker.
func (sw *Sweep) endedFile(i int) string {
	return filepath.Join(sw.Dir, "logs", sw.Trials[i].RunID+".ended")
}

// MarkEnded records that trial i's current submission has ended, as
// the trial's own process does after training (done, stopped or failed;
// not when a signal interrupted it: that trial is to resume).
func (sw *Sweep) MarkEnded(i int) error {
	if _, err := sw.logDir(); err != nil {
		return err
	}
	if err := os.WriteFile(sw.endedFile(i), fmt.Appendf(nil, "%d\n", sw.Trials[i].Submits), 0o644); err != nil {
		return fmt.Errorf("record trial %s's end: %w", sw.Trials[i].RunID, err)
	}
	return nil
}

// endedNow reports whether trial i's latest submission has ended (its
// marker names that submission).
func (sw *Sweep) endedNow(i int) bool {
	b, err := os.ReadFile(sw.endedFile(i))
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return err == nil && n == sw.Trials[i].Submits
}
