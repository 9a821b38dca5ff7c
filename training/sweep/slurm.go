package sweep

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Slurm runs trials as the tasks of sbatch --array jobs: task i runs
// trial i (`<Binary> sweep trial <dir> $SLURM_ARRAY_TASK_ID`) on a node
// that sees the sweep folder (a shared filesystem). --requeue lets Slurm
// put a preempted task back in the queue; the trial then resumes from its
// last checkpoint. Its handles in sweep.json are slurm:<job id>.
type Slurm struct{}

// slurmTool runs a Slurm client command and turns its failures into one
// sentence.
func slurmTool(ctx context.Context, name string, args ...string) (string, error) {
	if _, err := exec.LookPath(name); err != nil {
		return "", fmt.Errorf("%s is not on PATH: the slurm backend needs Slurm's client tools (apt-get install slurm-client), or use --backend local", name)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var stderr strings.Builder
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "Unable to contact slurm controller") || strings.Contains(msg, "Connection refused") || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", fmt.Errorf("%s: the Slurm controller (slurmctld) does not answer: %s", name, firstLine(msg))
		}
		if msg == "" {
			msg = err.Error()
		}
		return string(out), fmt.Errorf("%s: %s", name, firstLine(msg))
	}
	return string(out), nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// script is the batch script every task runs.
func (sw *Sweep) script() string {
	return fmt.Sprintf(`#!/bin/sh
# maskdash sweep %s: task N trains trial N into this folder.
# Threads: the CPUs Slurm gave the task.
if [ -n "$SLURM_CPUS_PER_TASK" ]; then export GOMAXPROCS="$SLURM_CPUS_PER_TASK"; fi
exec %q sweep trial %q "$SLURM_ARRAY_TASK_ID"
`, sw.ID, sw.Binary, sw.Dir)
}

// Submit implements Backend: one sbatch --array job for the trials.
func (Slurm) Submit(ctx context.Context, sw *Sweep, trials []int) error {
	logs, err := sw.logDir()
	if err != nil {
		return err
	}
	path := filepath.Join(sw.Dir, "slurm.sh")
	if err := os.WriteFile(path, []byte(sw.script()), 0o755); err != nil {
		return fmt.Errorf("sweep batch script: %w", err)
	}
	args := []string{"--parsable", "--job-name=maskdash-" + sw.ID,
		fmt.Sprintf("--array=%s%%%d", intsArg(trials), max(1, sw.Parallel)),
		"--output=" + filepath.Join(logs, "slurm-%A_%a.out"), "--requeue", "--open-mode=append"}
	args = append(append(args, sw.SlurmArgs...), path)
	// Counted before the tasks can start (see Local.Submit).
	if err := sw.countSubmits(trials, 1); err != nil {
		return err
	}
	out, err := slurmTool(ctx, "sbatch", args...)
	if err != nil {
		return errors.Join(err, sw.countSubmits(trials, -1))
	}
	job, _, _ := strings.Cut(strings.TrimSpace(out), ";") // "id" or "id;cluster"
	if _, err := strconv.Atoi(job); err != nil {
		// sbatch said something else: whether it queued is unknown, so
		// the count stays (at worst a trial is retried once fewer).
		return fmt.Errorf("sbatch printed %q, not a job id", strings.TrimSpace(out))
	}
	sw.Jobs = append(sw.Jobs, "slurm:"+job)
	return sw.Save()
}

func (sw *Sweep) slurmJobs() []string {
	var out []string
	for _, j := range sw.Jobs {
		if id, ok := strings.CutPrefix(j, "slurm:"); ok {
			out = append(out, id)
		}
	}
	return out
}

// Queued implements Backend with squeue (every array task on its own
// line). Jobs that ended long ago are gone from squeue; their trials'
// folders say how they ended.
func (Slurm) Queued(ctx context.Context, sw *Sweep) (map[int]Queued, error) {
	jobs := sw.slurmJobs()
	q := map[int]Queued{}
	if len(jobs) == 0 {
		return q, nil
	}
	out, err := slurmTool(ctx, "squeue", "-h", "-r", "-o", "%i|%T|%N", "-j", strings.Join(jobs, ","))
	if err != nil {
		if strings.Contains(err.Error(), "Invalid job id") {
			return q, nil // every job has left the queue
		}
		return nil, err
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, "|")
		if len(f) < 3 {
			continue
		}
		_, task, ok := strings.Cut(f[0], "_")
		i, err := strconv.Atoi(task)
		if !ok || err != nil || i < 0 || i >= len(sw.Trials) {
			continue
		}
		st := StatePending
		switch f[1] {
		case "RUNNING", "COMPLETING", "CONFIGURING":
			st = StateRunning
		}
		q[i] = Queued{State: st, Node: f[2]}
	}
	return q, nil
}

// Cancel implements Backend with scancel: pending tasks never start, and
// running ones get SIGTERM, on which a trial stops with a checkpoint
// (Slurm waits KillWait seconds before SIGKILL).
func (Slurm) Cancel(ctx context.Context, sw *Sweep, trials []int) error {
	var targets []string
	if trials == nil {
		targets = sw.slurmJobs()
	} else {
		for _, j := range sw.slurmJobs() {
			for _, i := range trials {
				targets = append(targets, fmt.Sprintf("%s_%d", j, i))
			}
		}
	}
	if len(targets) == 0 {
		return nil
	}
	_, err := slurmTool(ctx, "scancel", targets...)
	if err != nil && strings.Contains(err.Error(), "Invalid job id") {
		return nil
	}
	return err
}
