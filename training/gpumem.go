package training

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// gpuMemory reads the first GPU's memory in use and in all (MiB) from
// nvidia-smi, the one tool every NVIDIA driver ships; the CUDA driver API
// would need a context on the calling thread, which the tape machine owns.
// It also reads the GPU's utilisation (percent of the last sample period
// a kernel ran).
func gpuMemory(ctx context.Context) (used, total, util float64, err error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "nvidia-smi", "--query-gpu=memory.used,memory.total,utilization.gpu",
		"--format=csv,noheader,nounits").Output()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("nvidia-smi: %w", err)
	}
	used, total, err = parseGPUMemory(string(out))
	if err != nil {
		return 0, 0, 0, err
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if f := strings.Split(line, ","); len(f) >= 3 {
		util, _ = strconv.ParseFloat(strings.TrimSpace(f[2]), 64) // "[N/A]" on some boards: 0
	}
	return used, total, util, nil
}

// parseGPUMemory reads nvidia-smi's "used, total[, …]" line (MiB, the
// first GPU).
func parseGPUMemory(s string) (used, total float64, err error) {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	a, b, ok := strings.Cut(line, ",")
	if !ok {
		return 0, 0, fmt.Errorf("nvidia-smi printed %q, not \"used, total\"", line)
	}
	b, _, _ = strings.Cut(b, ",")
	if used, err = strconv.ParseFloat(strings.TrimSpace(a), 64); err != nil {
		return 0, 0, fmt.Errorf("nvidia-smi memory used %q: %w", a, err)
	}
	if total, err = strconv.ParseFloat(strings.TrimSpace(b), 64); err != nil {
		return 0, 0, fmt.Errorf("nvidia-smi memory total %q: %w", b, err)
	}
	return used, total, nil
}

// gpuMemPoller keeps the latest GPU memory reading, refreshed in the
// background so that the training loop never waits on nvidia-smi.
type gpuMemPoller struct {
	used, total atomic.Uint64 // MiB; 0: no reading yet
	util        atomic.Uint64 // percent
}

// run polls every period until ctx ends; it stops at the first failure
// (no nvidia-smi: the dashboard then shows no GPU memory).
func (p *gpuMemPoller) run(ctx context.Context, period time.Duration) {
	for {
		used, total, util, err := gpuMemory(ctx)
		if err != nil {
			return
		}
		p.util.Store(uint64(util))
		p.used.Store(uint64(used))
		p.total.Store(uint64(total))
		select {
		case <-ctx.Done():
			return
		case <-time.After(period):
		}
	}
}

// read returns the latest reading (0, 0 before the first).
func (p *gpuMemPoller) read() (used, total float64) {
	return float64(p.used.Load()), float64(p.total.Load())
}

// utilisation returns the latest GPU utilisation in percent.
func (p *gpuMemPoller) utilisation() float64 { return float64(p.util.Load()) }
