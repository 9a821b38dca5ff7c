//go:build cuda || gpuemu

package training

import (
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// TestGPUResNet18: resnet18 trains on the GPU (its subsample and 3×3 max
// pool through md_subsample* and md_maxpool3*), in float32 and in
// bfloat16 (their _h forms).
func TestGPUResNet18(t *testing.T) {
	for _, prec := range []string{"fp32", "bf16"} {
		cfg := tinyConfig(t, t.TempDir())
		cfg.Model, cfg.W, cfg.H, cfg.Epochs, cfg.Limit, cfg.Device, cfg.Precision = "resnet18", 32, 32, 1, 16, "cuda", prec
		tr, _, err := runTrainer(t, cfg, nil)
		if err != nil || tr.Status() != runs.StatusDone || tr.device != "cuda" {
			t.Fatalf("resnet18 on the GPU in %s: %v, %s on %s", prec, err, tr.Status(), tr.device)
		}
	}
}
