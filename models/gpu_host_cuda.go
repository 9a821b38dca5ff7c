//go:build cuda || gpuemu

package models

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The host's own time in a GPU run's training steps (every run, not only
// the per-op profile): how long it took to queue each kind of op, the
// batch's upload and the optimizer's update, with the waits for the
// device left out. Beside the steps' wall time it says whether the host's
// queueing sets the pace when the GPU is not busy all the time: a cuDNN
// or cuBLAS call that costs the host more than the GPU's work on a small
// layer leaves the GPU idle however well the kernels run. Timing costs two
// clock reads an op (tens of nanoseconds, against microseconds a launch).

// Host time's rows besides the ops' kinds.
const (
	hostUpload = "batch upload (copy into page-locked memory)"
	hostUpdate = "optimizer update"
	hostOther  = "other (the loss's results, bf16 copies, locks)"
)

// hostTime is the host's time by what it was doing.
type hostTime struct {
	by    map[string]*opTime
	total time.Duration // steps' and updates' wall time less their waits
	steps int
}

// add adds d to kind's row.
func (h *hostTime) add(kind string, d time.Duration) { addTime(&h.by, kind, d) }

// step counts one step whose own host time was d.
func (h *hostTime) step(d time.Duration) {
	h.total += d
	h.steps++
}

// text is the host's time per step, largest row first, with what the rows
// do not account for as other.
func (h *hostTime) text() string {
	if h.steps == 0 {
		return ""
	}
	type row struct {
		k string
		t opTime
	}
	var rows []row
	var listed time.Duration
	for k, t := range h.by {
		rows = append(rows, row{k, *t})
		listed += t.d
	}
	if rest := h.total - listed; rest > 0 {
		rows = append(rows, row{hostOther, opTime{d: rest}})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].t.d > rows[j].t.d })
	per := func(d time.Duration) float64 { return d.Seconds() * 1e6 / float64(h.steps) }
	var b strings.Builder
	fmt.Fprintf(&b, "host time per step queueing the GPU's work (%d steps, waits left out): %.0f µs\n", h.steps, per(h.total))
	for _, r := range rows {
		calls := ""
		if r.t.n > 0 {
			calls = fmt.Sprintf("  (%d a step)", r.t.n/h.steps)
		}
		fmt.Fprintf(&b, "  %-46s %8.1f µs%s\n", r.k, per(r.t.d), calls)
	}
	return b.String()
}
