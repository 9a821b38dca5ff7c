package training

import (
	"slices"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// TestConfigTricksAsTheHeader: the settings the runs table reads from a
// run's run.json are the ones its header listed, word for word.
func TestConfigTricksAsTheHeader(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	cfg.Epochs, cfg.Task, cfg.CutMix, cfg.CutMixBox, cfg.Mixup, cfg.MixupAlpha = 2, "age", 0.3, "random", 0.2, 0.4
	cfg.MixPairs, cfg.Erase, cfg.ValTrain, cfg.SkipTrainAges, cfg.TrainAgeBins = MixPairsClass, 0.5, 1, "27-29", "30,58"
	cfg.Schedule, cfg.LRPatience, cfg.Warmup, cfg.ClipGrad = "plateau", 2, 5, 1.5
	tr, _, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	info, err := runs.NewStore(cfg.Runs).Info(tr.RunID())
	if err != nil {
		t.Fatal(err)
	}
	want := tr.Header().Tricks()
	if got := ConfigTricks(info.Config); !slices.Equal(got, want) || len(want) != 10 ||
		!slices.Contains(want, "schedule plateau 2 ×0.5 warm-up 5") || !slices.Contains(want, "clip-grad 1.5") {
		t.Errorf("from run.json %q, the header %q", got, want)
	}
	if got := ConfigTricks(map[string]any{"seed": 3.0, "task": NoneSetting, "schedule": "none"}); len(got) != 0 {
		t.Errorf("a plain run's tricks: %q", got)
	}
}
