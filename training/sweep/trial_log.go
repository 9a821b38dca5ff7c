package sweep

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// errorPrefix starts the line maskdash writes to standard error when a
// command fails (main's "maskdash: <error>").
const errorPrefix = "maskdash: "

// logTail is how much of a trial's log startError reads: the error is
// the process's last line.
const logTail = 4096

// trialLogs lists the files trial i's standard output went to: the local
// runner's logs/<run id>.out, Slurm's logs/slurm-<job>_<i>.out (one a
// submission).
func (sw *Sweep) trialLogs(i int) []string {
	logs := filepath.Join(sw.Dir, "logs")
	out := []string{filepath.Join(logs, sw.Trials[i].RunID+".out")}
	slurm, _ := filepath.Glob(filepath.Join(logs, fmt.Sprintf("slurm-*_%d.out", i))) // the pattern is well formed
	return append(out, slurm...)
}

// startError is the error a trial that never made its run folder ended
// with, as its newest log's last line says ("data folder … does not
// exist."), or "" when no log has one (it never ran, or still starts).
func (sw *Sweep) startError(i int) string {
	var newest string
	var at int64
	for _, p := range sw.trialLogs(i) {
		fi, err := os.Stat(p)
		if err != nil || fi.Size() == 0 {
			continue
		}
		if t := fi.ModTime().UnixNano(); newest == "" || t > at {
			newest, at = p, t
		}
	}
	if newest == "" {
		return ""
	}
	f, err := os.Open(newest)
	if err != nil {
		return ""
	}
	defer f.Close() //nolint:errcheck // read only
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	buf := make([]byte, min(fi.Size(), logTail))
	if _, err := f.ReadAt(buf, fi.Size()-int64(len(buf))); err != nil && err != io.EOF {
		return ""
	}
	// The error is the last line that starts with the prefix and every
	// line after it (a joined error spans lines).
	lines := strings.Split(strings.TrimRight(string(buf), "\n"), "\n")
	for k := len(lines) - 1; k >= 0; k-- {
		if msg, ok := strings.CutPrefix(lines[k], errorPrefix); ok {
			return strings.Join(append([]string{strings.TrimSpace(msg)}, lines[k+1:]...), " ")
		}
	}
	return ""
}
