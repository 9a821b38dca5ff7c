//go:build cuda || gpuemu

package training

import (
	"math"
	"testing"

	"github.com/maskdash/maskdash/models"
)

// TestLayerStatsOnTheGPU: a cuda run's first step measures its
// parameters as the CPU's does (the weights and gradients come down for
// that step): the same names, norms within 1e-2 (a whole step's
// gradients, as TestGPUTrainStepMatchesCPU holds them).
func TestLayerStatsOnTheGPU(t *testing.T) {
	if p := models.GPUProblem(); p != "" {
		t.Skip("no GPU here: " + p)
	}
	first := func(device string) []LayerStat {
		cfg := tinyConfig(t, t.TempDir())
		cfg.Device, cfg.Epochs = device, 1
		tr, evs, err := runTrainer(t, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tr.device != device {
			t.Fatalf("asked for %s, trained on %s", device, tr.device)
		}
		return firstLayers(evs)
	}
	cpu, gpu := first("cpu"), first("cuda")
	if len(cpu) == 0 || len(gpu) != len(cpu) {
		t.Fatalf("%d layer stats on the GPU, %d on the CPU", len(gpu), len(cpu))
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-2*math.Max(math.Abs(b), 1e-6) }
	for i, c := range cpu {
		g := gpu[i]
		if g.Name != c.Name || g.Size != c.Size || !near(g.Weight, c.Weight) || !near(g.Grad, c.Grad) || !near(g.Update, c.Update) {
			t.Errorf("GPU %+v, CPU %+v", g, c)
		}
	}
}
