//go:build cuda || gpuemu

package training

import (
	"strings"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// TestGPUModelWithoutAGPUForm: resnet18, whose subsample and 3×3 max
// pool have no GPU form yet, trains on the CPU under --device auto in a
// GPU build where a GPU answers, and says so; --device cuda refuses it in
// a sentence.
func TestGPUModelWithoutAGPUForm(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	cfg.Model, cfg.W, cfg.H, cfg.Epochs, cfg.Limit, cfg.Device = "resnet18", 32, 32, 1, 16, "auto"
	hub := NewHub()
	tr := testTrainer(t, cfg, hub)
	if tr.device != "cpu" {
		t.Errorf("--device auto: resnet18 on %s", tr.device)
	}
	if _, evs := hub.Subscribe(0); !strings.Contains(allMessages(evs), "model resnet18 has no GPU form yet: it trains on the CPU") {
		t.Errorf("no word of it: %v", evs)
	}
	cfg.Device = "cuda"
	if _, _, err := start(t.Context(), cfg, NewHub()); err == nil || !strings.Contains(err.Error(), "--device cuda: model resnet18 has no GPU form yet") {
		t.Errorf("--device cuda: %v", err)
	}
	cfg.Device = "auto"
	if tr, _, err := runTrainer(t, cfg, nil); err != nil || tr.Status() != runs.StatusDone {
		t.Errorf("--device auto: %v", err)
	}
}

// allMessages joins the events' messages, a line each.
func allMessages(evs []Event) string {
	var b strings.Builder
	for _, e := range evs {
		b.WriteString(e.Msg + "\n")
	}
	return b.String()
}
