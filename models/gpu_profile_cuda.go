//go:build cuda || gpuemu

package models

import (
	"fmt"
	"sort"
	"strings"
	"time"

	G "gorgonia.org/gorgonia"
)

// The per-op profile of a GPU run (MASKDASH_GPU_PROFILE=1): the run waits
// after every op and adds its time to its kind's.

// opTime is one kind of op's share of a profiled step.
type opTime struct {
	d time.Duration
	n int
}

// timeOp adds one op's time (launch to finish) to its kind's.
func (r *gpuRun) timeOp(nd *G.Node, d time.Duration) { addTime(&r.prof, opKind(nd), d) }

// addTime adds one d to row k of *rows (made on first use).
func addTime(rows *map[string]*opTime, k string, d time.Duration) {
	if *rows == nil {
		*rows = map[string]*opTime{}
	}
	t := (*rows)[k]
	if t == nil {
		t = &opTime{}
		(*rows)[k] = t
	}
	t.d += d
	t.n++
}

// opKind names nd's kind of op (its Go type) in the profiles.
func opKind(nd *G.Node) string {
	return strings.TrimPrefix(strings.TrimPrefix(fmt.Sprintf("%T", nd.Op()), "*models."), "*ops.")
}

// profile is the profiled steps' time per kind of op, largest first.
func (r *gpuRun) profile() string {
	type row struct {
		k string
		t *opTime
	}
	var rows []row
	var total time.Duration
	for k, t := range r.prof {
		rows = append(rows, row{k, t})
		total += t.d
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].t.d > rows[j].t.d })
	var b strings.Builder
	steps := max(1, r.profSteps)
	fmt.Fprintf(&b, "GPU time per step by op (synchronised after each op, %d steps): %.3f ms\n", steps, total.Seconds()*1e3/float64(steps))
	for _, x := range rows {
		fmt.Fprintf(&b, "  %-18s %8.3f ms %5.1f%%  (%d a step)\n", x.k, x.t.d.Seconds()*1e3/float64(steps), 100*x.t.d.Seconds()/total.Seconds(), x.t.n/steps)
	}
	b.WriteString(r.convPicks())
	return b.String()
}

// convPicks lists each convolution's three passes as cuDNN runs them
// (what to read first when a convolution op is slow), by input shape.
func (r *gpuRun) convPicks() string {
	var lines []string
	for _, cv := range r.convs {
		s, a := cv.Shape(), cv.Algorithms()
		if !a.Searched {
			continue
		}
		lines = append(lines, fmt.Sprintf("  conv %dx%dx%dx%d→%d %dx%d: forward %v; input gradient %v; kernel gradient %v\n",
			s.N, s.C, s.H, s.W, s.K, s.R, s.R, a.Forward, a.InputGrad, a.KernelGrad))
	}
	for _, c := range r.dxChoices {
		if !c.searched && c.err == nil {
			continue
		}
		s, form, fwd := c.shape, "backward-data", any(c.fwd)
		if c.forward {
			form = "forward"
		}
		if c.err != nil {
			fwd = c.err
		}
		lines = append(lines, fmt.Sprintf("  conv %dx%dx%dx%d→%d %dx%d: bf16 input gradient by %s; as a forward conv: %v\n",
			s.N, s.C, s.H, s.W, s.K, s.R, s.R, form, fwd))
	}
	if len(lines) == 0 {
		return ""
	}
	sort.Strings(lines)
	return "cuDNN's picks (algorithm, math type, workspace, its time in the search):\n" + strings.Join(lines, "")
}
