package training

import (
	"context"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/maskdash/maskdash/runs"
)

// TestFindLR: the range test trains at rates growing geometrically from
// lr-min to lr-max (across epochs when it needs more steps than one has),
// writes no run folder, suggests a rate inside the range where the loss
// fell, and stops early once the loss diverges.
func TestFindLR(t *testing.T) {
	rd := t.TempDir()
	cfg := tinyConfig(t, rd)
	cfg.Optim = "sgd"
	steps := 0
	f, err := FindLR(context.Background(), cfg, LRRange{Min: 1e-5, Max: 10, Steps: 60}, func(s, n int) { steps = s })
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(rd); len(entries) != 0 {
		t.Errorf("the test wrote into the runs folder: %v", entries)
	}
	p := f.Points
	if len(p) < 10 || steps != len(p) {
		t.Fatalf("%d points, progress said %d", len(p), steps)
	}
	if math.Abs(p[0].LR-1e-5) > 1e-12 {
		t.Errorf("first rate %g, want 1e-5", p[0].LR)
	}
	ratio := math.Pow(10/1e-5, 1.0/59)
	for i := 1; i < len(p); i++ {
		if r := p[i].LR / p[i-1].LR; math.Abs(r-ratio) > 1e-9*ratio {
			t.Fatalf("step %d: the rate grew ×%v, want ×%v", i, r, ratio)
		}
	}
	// SGD at lr 10 on this net diverges well before the last step.
	if !f.Diverged || len(p) == 60 {
		t.Errorf("lr up to 10 did not diverge (%d points, diverged %v)", len(p), f.Diverged)
	}
	if f.Suggested < 1e-5 || f.Suggested > 10 || f.Lowest <= 0 {
		t.Errorf("suggested %g, lowest %g: outside the range", f.Suggested, f.Lowest)
	}
	if f.Steepest > 0 && f.Steepest >= f.Lowest {
		t.Errorf("the steepest fall (%g) is not before the lowest loss (%g)", f.Steepest, f.Lowest)
	}
	if f.Header.Model != "cnn-s" || f.Header.Optim != "sgd" {
		t.Errorf("header %+v", f.Header)
	}
	for _, bad := range []LRRange{{Min: 1, Max: 0.1}, {Steps: 3}} {
		if _, err := FindLR(context.Background(), cfg, bad, nil); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	// What the data and the model say on the way reaches the caller
	// (the CPU named: in a gpuemu build, auto picks the emulated GPU,
	// which takes bf16).
	cfg.Precision, cfg.Device = "bf16", "cpu"
	if f, err := FindLR(context.Background(), cfg, LRRange{Steps: 8}, nil); err != nil || len(f.Warnings) == 0 || !strings.Contains(strings.Join(f.Warnings, " "), "bf16") {
		t.Errorf("bf16 on the CPU: warnings %q, %v", f.Warnings, err)
	}
	cfg.Precision, cfg.Device = "", ""
	cfg.Resume = "x"
	if _, err := FindLR(context.Background(), cfg, LRRange{}, nil); err == nil || !strings.Contains(err.Error(), "resumed") {
		t.Errorf("a resume: %v", err)
	}
}

// TestSuggest: the suggestion is the steepest fall of the smoothed loss
// before its lowest point, or a tenth of the lowest point's rate when the
// loss never fell.
func TestSuggest(t *testing.T) {
	curve := func(f func(x float64) float64) LRFound {
		var out LRFound
		for i := range 50 {
			lr := 1e-6 * math.Pow(10, float64(i)/7)
			out.Points = append(out.Points, LRPoint{LR: lr, Smoothed: f(math.Log10(lr))})
		}
		out.suggest()
		return out
	}
	// A fall steepest at lr 1e-3 (log −3), lowest near 1e-1.
	f := curve(func(x float64) float64 { return 2 - math.Tanh(2*(x+3)) + 0.05*math.Max(0, x+1)*math.Max(0, x+1)*10 })
	if l := math.Log10(f.Steepest); math.Abs(l+3) > 0.2 {
		t.Errorf("steepest at %g, want about 1e-3", f.Steepest)
	}
	if f.Suggested != f.Steepest {
		t.Errorf("suggested %g, not the steepest %g", f.Suggested, f.Steepest)
	}
	// A loss that only rises: a tenth of the first rate.
	f = curve(func(x float64) float64 { return x + 10 })
	if f.Steepest != 0 || math.Abs(f.Suggested-1e-7) > 1e-18 {
		t.Errorf("rising loss: steepest %g, suggested %g", f.Steepest, f.Suggested)
	}
}

// TestTrainWithLRFind: a run started with --lr-find trains at the range
// test's suggestion, which run.json records as its rate (with lr_find);
// its resume does not test again; a child run does not either.
func TestTrainWithLRFind(t *testing.T) {
	rd := t.TempDir()
	cfg := tinyConfig(t, rd)
	cfg.Epochs, cfg.LRFind = 1, true
	want, err := FindLR(context.Background(), func() Config { c := cfg; c.LRFind = false; return c }(), DefaultLRRange(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, evs := trainFromStart(t, cfg)
	info, err := runs.ReadInfo(tr.RunDir())
	if err != nil {
		t.Fatal(err)
	}
	rounded, _ := strconv.ParseFloat(strconv.FormatFloat(want.Suggested, 'g', 2, 64), 64)
	if info.LR != rounded || info.Config["lr_find"] != true || info.Config["lr"] != rounded || math.Abs(rounded/want.Suggested-1) > 0.05 {
		t.Errorf("run.json: lr %v, config lr %v lr_find %v; the range test suggests %v", info.LR, info.Config["lr"], info.Config["lr_find"], want.Suggested)
	}
	said := false
	for _, e := range evs {
		said = said || e.Kind == KindNotice && strings.Contains(e.Msg, "--lr-find: training at lr")
	}
	if !said {
		t.Error("no notice says the rate the range test gave")
	}
	// A resume goes on at the rate found, without a second test.
	_, resumed := trainFromStart(t, Config{Runs: rd, Resume: tr.RunID(), Epochs: 2, StepEvery: time.Nanosecond, Workers: 2})
	for _, e := range resumed {
		if strings.Contains(e.Msg, "range test") {
			t.Errorf("the resume tested again: %s", e.Msg)
		}
	}
	if c := childOf(tr, Fork{LR: 0.01}); c.LRFind || c.LR != 0.01 {
		t.Errorf("a child run's config: lr_find %v, lr %v", c.LRFind, c.LR)
	}
}

// trainFromStart trains cfg to its end and returns every event, those
// published while the run starts (the range test's notices) included:
// runTrainer subscribes once the trainer exists.
func trainFromStart(t *testing.T, cfg Config) (*Trainer, []Event) {
	t.Helper()
	tr, evs, err := runFromStart(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr, evs
}

// runFromStart is trainFromStart of a run that may fail: the run's
// error is returned.
func runFromStart(t *testing.T, cfg Config) (*Trainer, []Event, error) {
	t.Helper()
	hub := NewHub()
	stop := collect(hub, nil)
	tr, sink, err := start(context.Background(), cfg, hub)
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Run(context.Background())
	if cerr := sink.close(tr.Status(), err); cerr != nil {
		t.Fatal(cerr)
	}
	hub.Close()
	return tr, stop(), err
}
