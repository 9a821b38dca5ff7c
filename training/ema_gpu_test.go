//go:build cuda || gpuemu

package training

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/maskdash/maskdash/models"
)

// TestGPUAverageMatchesCPU: the moving average kept on the GPU (md_ema,
// md_swap) follows the same weights as the CPU's average does: the same
// values within float32 rounding after 30 updates of three steps each,
// the average in the weights' place inside with and the training weights
// back after it, and a checkpoint's training weights (trainTensors) the
// GPU's own.
func TestGPUAverageMatchesCPU(t *testing.T) {
	if p := models.GPUProblem(); p != "" {
		t.Skip("no GPU here: " + p)
	}
	spec := models.Spec{Name: "vgg-s", Batch: 2, W: 16, H: 16, Seed: 3}
	cpuNet, err := models.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer closeNet(t, cpuNet)
	spec.Device = models.DeviceCUDA
	gpuNet, err := models.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer closeNet(t, gpuNet)
	cpuAvg, err := newWeightAverage(cpuNet, 0.95, 3)
	if err != nil {
		t.Fatal(err)
	}
	gpuAvg, err := newWeightAverage(gpuNet, 0.95, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !gpuAvg.gpu || gpuAvg.avg != nil {
		t.Fatal("the GPU net's average is not kept on the device")
	}
	cpuTs := slices.Concat(cpuNet.Params(), cpuNet.Buffers())
	gpuTs := slices.Concat(gpuNet.Params(), gpuNet.Buffers())
	r := rand.New(rand.NewPCG(6, 7))
	for step := range 90 {
		for i, p := range cpuTs {
			if i == 0 {
				continue // one tensor never moves
			}
			for j := range p.Data {
				p.Data[j] += float32(r.NormFloat64() * 0.05)
			}
			copy(gpuTs[i].Data, p.Data)
		}
		if err := gpuNet.WeightsToDevice(); err != nil {
			t.Fatal(err)
		}
		if err := cpuAvg.observe(cpuNet, step); err != nil {
			t.Fatal(err)
		}
		if err := gpuAvg.observe(gpuNet, step); err != nil {
			t.Fatal(err)
		}
	}
	if gpuAvg.updates != 30 || cpuAvg.updates != 30 {
		t.Fatalf("updates: the GPU's %d, the CPU's %d; want 30", gpuAvg.updates, cpuAvg.updates)
	}
	own := make([][]float32, len(gpuTs))
	for i, p := range gpuTs {
		own[i] = slices.Clone(p.Data)
	}
	var kept []tensor
	if err := gpuAvg.with(gpuNet, func() error {
		if err := gpuNet.WeightsToHost(); err != nil {
			return err
		}
		worst := 0.0
		for i, p := range gpuTs {
			for j, v := range p.Data {
				want := float64(cpuAvg.avg[i][j])
				worst = max(worst, math.Abs(float64(v)-want)/max(1, math.Abs(want)))
			}
		}
		if worst > 1e-5 {
			t.Errorf("the GPU's average is %.3g from the CPU's", worst)
		}
		if !slices.Equal(gpuTs[0].Data, own[0]) {
			t.Errorf("%s never moved, and its average on the GPU did", gpuTs[0].Name)
		}
		var err error
		kept, err = gpuAvg.trainTensors(gpuNet)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for i := range kept {
		if !slices.Equal(kept[i].data, own[i]) {
			t.Fatalf("a checkpoint's training weights: %s is not the GPU's", kept[i].name)
		}
	}
	if err := gpuNet.WeightsToHost(); err != nil {
		t.Fatal(err)
	}
	for i, p := range gpuTs {
		if !slices.Equal(p.Data, own[i]) {
			t.Fatalf("after with, the GPU's %s is not the training weights", p.Name)
		}
	}
}
