package training

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/maskdash/maskdash/runs"
)

// tmpfs mounts a small tmpfs (a real filesystem that fills up) for the
// test; mounting needs root, which CI and the development machines have.
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fill writes a file until the filesystem is full, then frees leave
// bytes of it.
func fill(t *testing.T, path string, leave int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	if st, err := f.Stat(); err == nil && leave > 0 {
		if err := f.Truncate(max(st.Size()-leave, 0)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFullDiskStallsAndResumes: when the run folder's disk fills up, the
// trainer pauses with one clear event, keeps what it could not write, and
// carries on when told after space is freed; the run ends complete: every
// epoch logged once, steps increasing, history aligned, status done. Once
// with no space at all (the log fails first) and once with room for log
// lines but not for a checkpoint.
func TestFullDiskStallsAndResumes(t *testing.T) {
	for _, leave := range []int64{0, 48 << 10} {
		t.Run(fmt.Sprintf("leave %dKiB", leave>>10), func(t *testing.T) { fullDisk(t, leave) })
	}
}

func fullDisk(t *testing.T, leave int64) {
	disk := tmpfs(t, "6m")
	cfg := tinyConfig(t, filepath.Join(disk, "runs"))
	cfg.Epochs = 4
	cfg.StallRetry = 20 * time.Second // the resume command retries at once
	filler := filepath.Join(disk, "filler")
	var stalled, filled, freed bool
	stalls := 0
	tr, evs, err := runTrainer(t, cfg, func(tr *Trainer, e Event) {
		switch {
		case e.Kind == KindEpoch && e.Epoch == 1 && !filled:
			filled = true
			fill(t, filler, leave)
		case e.Kind == KindState && e.State == StateStalled:
			stalls++
			t.Logf("stall %d: %s", stalls, e.Msg)
			if !freed {
				stalled = true
				// Send a command that cannot apply while stalled, then
				// free the disk and resume.
				tr.Send(Command{Kind: CmdCheckpoint, Who: "t"})
				time.Sleep(50 * time.Millisecond)
				if err := os.Remove(filler); err != nil {
					t.Error(err)
				}
				freed = true
				tr.Send(Command{Kind: CmdResume, Who: "t"})
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !filled || !stalled {
		t.Fatalf("the disk filled %v, the trainer stalled %v", filled, stalled)
	}
	if stalls != 1 {
		t.Errorf("stalled %d times, want once", stalls)
	}
	info, err := runs.ReadInfo(tr.RunDir())
	if err != nil || info.Status != runs.StatusDone || info.EpochsDone != 4 {
		t.Fatalf("after the stall: %+v %v", info, err)
	}
	logged, err := ReplayLog(tr.RunDir())
	if err != nil {
		t.Fatal(err)
	}
	last, epochs, steps := -1, map[int]int{}, 0
	for _, e := range logged {
		switch e.Kind {
		case KindStep:
			if e.Step <= last {
				t.Errorf("step %d after %d in the log", e.Step, last)
			}
			last = e.Step
			steps++
		case KindEpoch:
			epochs[e.Epoch]++
		}
	}
	for ep := 1; ep <= 4; ep++ {
		if epochs[ep] != 1 {
			t.Errorf("epoch %d logged %d times", ep, epochs[ep])
		}
	}
	live := 0
	for _, e := range evs {
		if e.Kind == KindStep {
			live++
		}
	}
	if steps != live {
		t.Errorf("%d step events live, %d in the log: some were lost", live, steps)
	}
	h, err := runs.ReadHistory(tr.RunDir(), 0)
	if err != nil || h.Rows != steps || h.Series["loss"].Count != steps {
		t.Errorf("history %d rows (%v), log %d steps", h.Rows, err, steps)
	}
	p, err := CheckpointPath(tr.RunDir(), "latest")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPredictor(p); err != nil {
		t.Errorf("latest checkpoint after the stall: %v", err)
	}
}
