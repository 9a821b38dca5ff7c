package training

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseGPUMemory(t *testing.T) {
	used, total, err := parseGPUMemory("1234, 81559\n567, 81559\n")
	if err != nil || used != 1234 || total != 81559 {
		t.Fatalf("got %v %v %v", used, total, err)
	}
	for _, bad := range []string{"", "N/A", "12 MiB, 80 GiB", "1,x"} {
		if _, _, err := parseGPUMemory(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestGPUMemPoller runs the poller against a fake nvidia-smi on PATH, and
// checks that without one it gives up and reports nothing.
func TestGPUMemPoller(t *testing.T) {
	dir := t.TempDir()
	fake := "#!/bin/sh\necho '2048, 81559, 37'\n"
	if err := os.WriteFile(filepath.Join(dir, "nvidia-smi"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	var p gpuMemPoller
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.run(ctx, 10*time.Millisecond); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if u, tot := p.read(); u == 2048 && tot == 81559 && p.utilisation() == 37 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no reading from the fake nvidia-smi")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	t.Setenv("PATH", t.TempDir()) // no nvidia-smi at all
	var q gpuMemPoller
	q.run(context.Background(), time.Millisecond) // returns at the first failure
	if u, tot := q.read(); u != 0 || tot != 0 {
		t.Fatalf("reading without nvidia-smi: %v %v", u, tot)
	}
}
