package training

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// TestAverageCheckpoints: the average of a cnn-s run's last two epochs is
// the mean of their tensors; a vgg-s run's takes its BatchNorm statistics
// again from the training images (they are not the mean of the
// checkpoints'); the file scores on the validation images as the average
// said, best and latest stay where they were, and a run keeping fewer
// checkpoints than asked is refused in a sentence.
func TestAverageCheckpoints(t *testing.T) {
	for _, model := range []string{"cnn-s", "vgg-s"} {
		dir := t.TempDir()
		cfg := tinyConfig(t, dir)
		cfg.Model, cfg.Epochs, cfg.KeepCheckpoints = model, 3, 3
		tr, _, err := runTrainer(t, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		pointers := func() []byte {
			b1, _ := os.ReadFile(filepath.Join(tr.RunDir(), "checkpoints", "best.json"))
			b2, _ := os.ReadFile(filepath.Join(tr.RunDir(), "checkpoints", "latest.json"))
			return append(b1, b2...)
		}
		before := pointers()
		av, err := AverageCheckpoints(context.Background(), tr.RunDir(), 2)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(av.Epochs, []int{2, 3}) || av.Name != "avg-003-2" || (av.BNFrom > 0) != (model == "vgg-s") {
			t.Errorf("%s: %+v", model, av)
		}
		if string(pointers()) != string(before) {
			t.Errorf("%s: the average moved best or latest", model)
		}
		check := func(name string, wantMean bool) {
			_, w2 := tensorAt(t, tr.RunDir(), 2, name)
			_, w3 := tensorAt(t, tr.RunDir(), 3, name)
			ents, data, err := readSafetensors(av.Path)
			if err != nil {
				t.Fatal(err)
			}
			e := ents[name]
			got := make([]float32, len(w2))
			for i := range got {
				got[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[e.Offsets[0]+4*i:]))
			}
			mean := true
			for i := range got {
				if d := float64(got[i]) - (float64(w2[i])+float64(w3[i]))/2; d > 1e-6 || d < -1e-6 {
					mean = false
				}
			}
			if mean != wantMean {
				t.Errorf("%s: %s is the mean of epochs 2 and 3: %v, want %v", model, name, mean, wantMean)
			}
		}
		if model == "cnn-s" {
			check("conv2.weight", true)
			check("fc.bias", true)
		} else {
			check("b3.conv.weight", true)
			check("b3.bn.running_mean", false)
		}
		p, err := LoadPredictor(av.Path)
		if err != nil {
			t.Fatal(err)
		}
		rp := RunPredictor{Predictor: p, Path: av.Path, DataDir: tinyData(t), RunDir: tr.RunDir()}
		preds, err := runs.ReadValPreds(tr.RunDir(), 3)
		if err != nil {
			t.Fatal(err)
		}
		val, err := rp.ValSet(preds)
		if err != nil {
			t.Fatal(err)
		}
		met, _, err := rp.Evaluate(context.Background(), val, false)
		if err != nil || met.MacroF1 != av.Metrics.MacroF1 || met.Accuracy != av.Metrics.Accuracy {
			t.Errorf("%s: the written average scores %v (%v), the average said %v", model, met.MacroF1, err, av.Metrics.MacroF1)
		}
		// Its epoch's kept predictions are not the average's: offsets are
		// fitted on predictions made again (--tta), for the average only.
		if _, err := CalibrateRun(context.Background(), tr.RunDir(), av.Name, false); err == nil || !strings.Contains(err.Error(), "averages the weights of epochs 2, 3") {
			t.Errorf("%s: calibrate of the average without --tta: %v", model, err)
		}
		cal, err := CalibrateRun(context.Background(), tr.RunDir(), av.Name, true)
		if err != nil || !slices.Equal(cal.Record.Averaged, []int{2, 3}) {
			t.Errorf("%s: calibrate --tta of the average: %v %v", model, cal.Record.Averaged, err)
		}
		if _, err := AverageCheckpoints(context.Background(), tr.RunDir(), 4); err == nil {
			t.Errorf("%s: 4 of 3 kept checkpoints were averaged", model)
		}
	}
}
