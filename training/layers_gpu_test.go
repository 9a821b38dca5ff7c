//go:build cuda || gpuemu

package training

import (
	"math"
	"testing"

	"github.com/maskdash/maskdash/models"
)

// TestGPULayerStatsMatchCPU: a cuda run's first step measures its
// parameters as the CPU's does (the weights and gradients come down for
// that step): the same names, norms within 1e-2 (a whole step's
// gradients, as TestGPUTrainStepMatchesCPU holds them), and in bf16
// (float32 master weights and gradients) within 5e-2.
func TestGPULayerStatsMatchCPU(t *testing.T) {
	if p := models.GPUProblem(); p != "" {
		t.Skip("no GPU here: " + p)
	}
	first := func(device, precision string) []LayerStat {
		cfg := tinyConfig(t, t.TempDir())
		cfg.Device, cfg.Precision, cfg.Epochs = device, precision, 1
		tr, evs, err := runTrainer(t, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tr.device != device {
			t.Fatalf("asked for %s, trained on %s", device, tr.device)
		}
		return firstLayers(evs)
	}
	cpu := first("cpu", "")
	for _, c := range []struct {
		precision string
		tol       float64
	}{{"strict", 1e-2}, {"bf16", 5e-2}} {
		gpu := first("cuda", c.precision)
		if len(cpu) == 0 || len(gpu) != len(cpu) {
			t.Fatalf("%s: %d layer stats on the GPU, %d on the CPU", c.precision, len(gpu), len(cpu))
		}
		near := func(a, b float64) bool { return math.Abs(a-b) <= c.tol*math.Max(math.Abs(b), 1e-6) }
		for i, want := range cpu {
			g := gpu[i]
			if g.Name != want.Name || g.Size != want.Size || !near(g.Weight, want.Weight) || !near(g.Grad, want.Grad) || !near(g.Update, want.Update) {
				t.Errorf("%s: GPU %+v, CPU %+v", c.precision, g, want)
			}
		}
	}
}
