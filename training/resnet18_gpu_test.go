//go:build cuda || gpuemu

package training

import (
	"strings"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// TestGPUResNet18: resnet18 trains on the GPU (its subsample and 3×3 max
// pool through md_subsample* and md_maxpool3*), from a pretrained file
// too; --precision bf16, which those have no form for yet, is refused in
// a sentence.
func TestGPUResNet18(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	cfg.Model, cfg.W, cfg.H, cfg.Epochs, cfg.Limit, cfg.Device = "resnet18", 32, 32, 1, 16, "cuda"
	tr, _, err := runTrainer(t, cfg, nil)
	if err != nil || tr.Status() != runs.StatusDone || tr.device != "cuda" {
		t.Fatalf("resnet18 on the GPU: %v, %s on %s", err, tr.Status(), tr.device)
	}
	cfg.Precision = "bf16"
	if _, _, err := start(t.Context(), cfg, NewHub()); err == nil || !strings.Contains(err.Error(), "model resnet18 has no bfloat16 form yet") {
		t.Errorf("--precision bf16: %v", err)
	}
}
