package training

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// TestDivergingRunAlertsEverywhere: a run whose loss diverges raises the
// non-finite and finished alerts once each, in the log, and through a
// real shell command and a real HTTP server.
func TestDivergingRunAlertsEverywhere(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t, dir)
	cfg.Epochs = 3
	var mu sync.Mutex
	var posted []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Error(err)
		}
		mu.Lock()
		posted = append(posted, body)
		mu.Unlock()
	}))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "alerts.txt")
	n := Notifier{Cmd: `echo "$MASKDASH_ALERT_RULE $MASKDASH_RUN: $MASKDASH_ALERT" >> ` + out, URL: srv.URL}
	hub := NewHub()
	mgr := NewManager(cfg, hub)
	nsub, _ := hub.Subscribe(64)
	delivered := make(chan struct{})
	var warns []error
	go func() {
		defer close(delivered)
		n.Watch(nsub, func(err error) { warns = append(warns, err) })
	}()
	sent := false
	stop := collect(hub, func(e Event) {
		if e.Kind == KindEpoch && !sent {
			sent = true
			if err := mgr.Send(Command{Kind: CmdSetLR, Value: 1e30}); err != nil {
				t.Error(err)
			}
		}
	})
	if err := mgr.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "not finite") {
		t.Fatalf("want the non-finite error, got %v", err)
	}
	evs := stop()
	<-delivered
	if len(warns) > 0 {
		t.Fatalf("delivery failed: %v", warns)
	}
	count := map[Alert]int{}
	for _, e := range evs {
		if e.Kind == KindAlert {
			count[e.Alert]++
		}
	}
	if count[AlertNonFinite] != 1 || count[AlertFinished] != 1 || len(count) != 2 {
		t.Errorf("alerts %v, want non-finite and finished once each", count)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "non-finite ") || !strings.HasPrefix(lines[1], "finished ") || !strings.Contains(lines[1], "failed") {
		t.Errorf("the command got %q", b)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posted) != 2 || posted[0]["alert"] != "non-finite" || posted[1]["alert"] != "finished" || posted[0]["run"] == "" {
		t.Errorf("the server got %v", posted)
	}
	list, _ := runs.NewStore(dir).List()
	logged := 0
	if err := runs.ReadLog(list[0].Info.Dir, func(line []byte) error {
		if strings.Contains(string(line), `"kind":"alert"`) {
			logged++
		}
		return nil
	}); err != nil || logged != 2 {
		t.Errorf("%d alerts in the log (%v), want 2", logged, err)
	}
}

// TestEarlyStopKeepsTheBest: with nothing to learn (a tiny rate), a run
// with --early-stop 1 stops after its second epoch, says why, and keeps
// the best checkpoint.
func TestEarlyStopKeepsTheBest(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t, dir)
	cfg.Epochs, cfg.EarlyStop, cfg.LR = 5, 1, 1e-12
	tr, evs, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var stopped bool
	for _, e := range evs {
		stopped = stopped || e.Kind == KindAlert && e.Alert == AlertEarlyStop && strings.Contains(e.Msg, "not improved for 1 epochs")
	}
	info, err := runs.ReadInfo(tr.RunDir())
	if err != nil {
		t.Fatal(err)
	}
	if !stopped || info.Status != runs.StatusStopped || info.EpochsDone != 2 || info.Best.Epoch != 1 {
		t.Errorf("early stop %v; run %s after %d epochs, best at %d", stopped, info.Status, info.EpochsDone, info.Best.Epoch)
	}
	m, err := ReadCkptMeta(filepath.Join(tr.RunDir(), "checkpoints", "best.json"))
	if err != nil || m.Epoch != 1 {
		t.Errorf("best checkpoint from epoch %d (%v), want 1", m.Epoch, err)
	}
}
