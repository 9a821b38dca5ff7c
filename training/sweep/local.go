package sweep

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Local runs trials on this machine: a runner process (maskdash sweep
// run-local, started in its own session so that it outlives the command
// that submitted) runs Parallel trials at a time, sharing the CPU threads
// out (GOMAXPROCS) and, with several GPUs, one GPU each
// (CUDA_VISIBLE_DEVICES). Its handle in sweep.json is local:<pid>:<trials>.
type Local struct{}

// Submit implements Backend.
func (Local) Submit(_ context.Context, sw *Sweep, trials []int) error {
	logs, err := sw.logDir()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(fmt.Sprintf("%s/runner.log", logs), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("sweep runner log: %w", err)
	}
	defer out.Close() //nolint:errcheck // the runner has its own copy of the descriptor
	cmd := exec.Command(sw.Binary, "sweep", "run-local", sw.Dir, "--trials", intsArg(trials))
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	// The count is saved before the trials can start: each records its
	// end with its submission's number (ended.go).
	if err := sw.countSubmits(trials, 1); err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return errors.Join(fmt.Errorf("start the local runner: %w", err), sw.countSubmits(trials, -1))
	}
	sw.Jobs = append(sw.Jobs, fmt.Sprintf("local:%d:%s", cmd.Process.Pid, intsArg(trials)))
	go func() { _ = cmd.Wait() }() // reap it if this process lives on (--wait)
	return sw.Save()
}

// countSubmits adds by to the trials' submission counts and saves the
// sweep.
func (sw *Sweep) countSubmits(trials []int, by int) error {
	for _, i := range trials {
		sw.Trials[i].Submits += by
	}
	return sw.Save()
}

// runners lists the local runners in sweep.json that still run, with the
// trials each holds.
func runners(sw *Sweep) map[int][]int {
	out := map[int][]int{}
	for _, j := range sw.Jobs {
		rest, ok := strings.CutPrefix(j, "local:")
		if !ok {
			continue
		}
		pidS, list, _ := strings.Cut(rest, ":")
		pid, err := strconv.Atoi(pidS)
		if err != nil || syscall.Kill(pid, 0) != nil {
			continue
		}
		out[pid] = ParseInts(list)
	}
	return out
}

// Queued implements Backend: a live runner holds its trials until each
// has a finished run (running ones show as running in their folders).
func (Local) Queued(_ context.Context, sw *Sweep) (map[int]Queued, error) {
	q := map[int]Queued{}
	host, _ := os.Hostname()
	for _, trials := range runners(sw) {
		for _, i := range trials {
			if i >= 0 && i < len(sw.Trials) {
				q[i] = Queued{State: StatePending, Node: host}
			}
		}
	}
	return q, nil
}

// Cancel implements Backend: the runners get SIGTERM and pass it to their
// trials, which stop with a checkpoint.
func (Local) Cancel(_ context.Context, sw *Sweep, _ []int) error {
	for pid := range runners(sw) {
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
			return fmt.Errorf("stop local runner %d: %w", pid, err)
		}
	}
	return nil
}

// RunLocal is the local runner: it runs the given trials, parallel at a
// time (counting every runner of the sweep: see takeSlot), each as `<Binary> sweep trial <dir> <i>` with its output in
// logs/<run id>.out, until all have ended or ctx is cancelled (then every
// trial gets SIGTERM and is waited for).
func RunLocal(ctx context.Context, sw *Sweep, trials []int) error {
	p := max(1, sw.Parallel)
	threads := max(1, runtime.NumCPU()/p)
	gpus := countGPUs()
	logs, err := sw.logDir()
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []string
	for _, i := range trials {
		slot, release, err := takeSlot(ctx, logs, p)
		if err != nil {
			wg.Wait()
			return err
		}
		if slot < 0 { // cancelled while waiting
			wg.Wait()
			return nil
		}
		wg.Add(1)
		go func(i, slot int) {
			defer wg.Done()
			defer release()
			out, err := os.OpenFile(fmt.Sprintf("%s/%s.out", logs, sw.Trials[i].RunID), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				mu.Lock()
				errs = append(errs, err.Error())
				mu.Unlock()
				return
			}
			defer out.Close() //nolint:errcheck // the trial's own output; its run folder has the record
			cmd := exec.Command(sw.Binary, "sweep", "trial", sw.Dir, strconv.Itoa(i))
			cmd.Stdout, cmd.Stderr = out, out
			cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(threads))
			if gpus > 1 {
				cmd.Env = append(cmd.Env, "CUDA_VISIBLE_DEVICES="+strconv.Itoa(slot%gpus))
			}
			if err := cmd.Start(); err != nil {
				mu.Lock()
				errs = append(errs, err.Error())
				mu.Unlock()
				return
			}
			done := make(chan struct{})
			go func() {
				select {
				case <-ctx.Done():
					_ = cmd.Process.Signal(syscall.SIGTERM) // it stops with a checkpoint
				case <-done:
				}
			}()
			_ = cmd.Wait() // the trial's run folder records how it ended
			close(done)
		}(i, slot)
	}
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("local runner: %s", strings.Join(errs, "; "))
	}
	return nil
}

// countGPUs counts NVIDIA GPUs (0 without nvidia-smi).
func countGPUs() int {
	out, err := exec.Command("nvidia-smi", "-L").Output()
	if err != nil {
		return 0
	}
	return strings.Count(string(out), "GPU ")
}

// intsArg writes indexes as Slurm's --array does: runs of consecutive
// numbers as a range ("0-7,9").
func intsArg(v []int) string {
	var parts []string
	for i := 0; i < len(v); {
		j := i
		for j+1 < len(v) && v[j+1] == v[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", v[i], v[j]))
		} else {
			parts = append(parts, strconv.Itoa(v[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// ParseInts reads what intsArg writes ("0-3,5"; the runner's --trials).
func ParseInts(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(f), "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		for n := a; n <= b; n++ {
			out = append(out, n)
		}
	}
	return out
}
