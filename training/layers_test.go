package training

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maskdash/maskdash/runs"
)

// firstLayers is the Layers of the first step event that has them.
func firstLayers(evs []Event) []LayerStat {
	for _, e := range evs {
		if e.Kind == KindStep && len(e.Layers) > 0 {
			return e.Layers
		}
	}
	return nil
}

// TestLayerStatsMeasureTheUpdate: a run's first step event carries each
// parameter's norms, and the update's norm is what the optimizer's rule
// makes it at step 1: SGD (momentum's buffer starts as the gradient)
// moves by lr·|g|; Adam moves each element by lr·|g|/(|g|+ε), at most
// lr·√n in all and nearly that with few zero gradients.
func TestLayerStatsMeasureTheUpdate(t *testing.T) {
	for _, optim := range []string{"sgd", "adam"} {
		t.Run(optim, func(t *testing.T) {
			cfg := tinyConfig(t, t.TempDir())
			cfg.Optim, cfg.LR, cfg.Epochs = optim, 0.01, 1
			tr, evs, err := runTrainer(t, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			ls := firstLayers(evs)
			ps := tr.net.Params()
			if len(ls) != len(ps) {
				t.Fatalf("%d layer stats for %d parameters: %+v", len(ls), len(ps), ls)
			}
			for i, s := range ls {
				if s.Name != ps[i].Name || s.Size != len(ps[i].Data) || s.Rank != len(ps[i].Shape) {
					t.Errorf("stat %d is %s (%d values), the parameter %s (%d)", i, s.Name, s.Size, ps[i].Name, len(ps[i].Data))
				}
				if s.Grad <= 0 || s.Update <= 0 || math.IsNaN(s.Weight) {
					t.Errorf("%s: %+v", s.Name, s)
				}
				// The weights' spread: nine values in order, whose
				// largest magnitude bounds the norm.
				if len(s.Spread) != len(runs.SpreadPercentiles) || !slices.IsSorted(s.Spread) ||
					s.Weight > math.Sqrt(float64(s.Size))*math.Max(math.Abs(float64(s.Spread[0])), math.Abs(float64(s.Spread[8])))*(1+1e-6) {
					t.Errorf("%s: |w| %g, spread %v", s.Name, s.Weight, s.Spread)
				}
				switch optim {
				case "sgd":
					if want := cfg.LR * s.Grad; math.Abs(s.Update-want) > 1e-4*want {
						t.Errorf("%s: SGD's first update is %.6g, lr·|g| is %.6g", s.Name, s.Update, want)
					}
				case "adam":
					if top := cfg.LR * math.Sqrt(float64(s.Size)); s.Update > top*(1+1e-5) || s.Update < 0.3*top {
						t.Errorf("%s: Adam's first update is %.6g, lr·√n is %.6g", s.Name, s.Update, top)
					}
				}
			}
			// The log keeps them, for a viewer who opens the run later.
			logged, err := ReplayLog(runs.NewStore(cfg.Runs).Path(tr.RunID()))
			if err != nil {
				t.Fatal(err)
			}
			if got := firstLayers(logged); len(got) != len(ls) || !reflect.DeepEqual(got[0], ls[0]) {
				t.Errorf("the log's first layer stats %+v, the hub's %+v", got, ls)
			}
			// `maskdash layers` reads the measures alone, to the same summary
			sum, err := ReadLayerSummary(runs.NewStore(cfg.Runs).Path(tr.RunID()))
			if want := SummarizeLayers(logged); err != nil || want.Measures == 0 || !reflect.DeepEqual(sum, want) {
				t.Errorf("ReadLayerSummary: %+v, %v; want %+v", sum, err, want)
			}
		})
	}
}

// TestLayerProbeLeavesTrainingAlone: measuring every step gives the same
// validation figures as measuring once an hour (the probe only reads),
// and each measured step's stats reach exactly one step event; once an
// hour is the first step and the run's last (so that a short run's
// layers end on its trained weights).
func TestLayerProbeLeavesTrainingAlone(t *testing.T) {
	dir := t.TempDir()
	rare := tinyConfig(t, dir)
	rare.LayersEvery = time.Hour
	_, evRare, err := runTrainer(t, rare, nil)
	if err != nil {
		t.Fatal(err)
	}
	often := tinyConfig(t, dir)
	often.LayersEvery = time.Nanosecond
	_, evOften, err := runTrainer(t, often, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := epochLosses(evRare), epochLosses(evOften)
	if len(a) != 2 || a[1] != b[1] || a[2] != b[2] {
		t.Errorf("validation losses measured once %v, every step %v", a, b)
	}
	count := func(evs []Event) (with, steps int) {
		for _, e := range evs {
			if e.Kind == KindStep {
				steps++
				if len(e.Layers) > 0 {
					with++
				}
			}
		}
		return
	}
	if with, _ := count(evRare); with != 2 {
		t.Errorf("measured once an hour: %d step events have layer stats, want the first step's and the last's", with)
	}
	var lastStep, lastMeasured int
	for _, e := range evRare {
		if e.Kind == KindStep {
			lastStep = e.Step
			if len(e.Layers) > 0 {
				lastMeasured = e.Step
			}
		}
	}
	if lastMeasured != lastStep {
		t.Errorf("measured once an hour: the last measure reached the event of step %d, the run's last is %d", lastMeasured, lastStep)
	}
	if with, steps := count(evOften); with != steps || steps < 4 {
		t.Errorf("measured every step, one step an event: %d of %d step events have layer stats", with, steps)
	}
}

func TestLayerHealth(t *testing.T) {
	for _, c := range []struct {
		s    LayerStat
		want LayerHealth
		step int // 0: past LayerSettleSteps
	}{
		{s: LayerStat{Weight: 10, Grad: 1, Update: 0.01}, want: LayerOK},
		{s: LayerStat{Rank: 4, Weight: 10, Grad: 1, Update: 0.3}, want: LayerOK}, // 3e-2 a step: a BatchNorm net may train best so
		{s: LayerStat{Rank: 2, Weight: 10, Grad: 1, Update: 2}, want: LayerTooFast},
		{s: LayerStat{Rank: 2, Weight: 10, Grad: 1, Update: 2}, want: LayerTooFast, step: 2},   // a weight matrix: from the first steps
		{s: LayerStat{Rank: 1, Weight: 1, Grad: 1, Update: 0.5}, want: LayerSettling, step: 2}, // a bias leaving zero
		{s: LayerStat{Rank: 1, Weight: 1, Grad: 1, Update: 0.5}, want: LayerSettling, step: LayerSettleSteps},
		{s: LayerStat{Rank: 1, Weight: 1, Grad: 1, Update: 0.5}, want: LayerTooFast, step: LayerSettleSteps + 1},
		{s: LayerStat{Rank: 1, Weight: 1, Grad: 0, Update: 0.5}, want: LayerNoGrad, step: 2},
		{s: LayerStat{Weight: 10, Grad: 1, Update: 2}, want: LayerTooFast, step: 2}, // a log from before Rank was kept
		{s: LayerStat{Weight: 10, Grad: 1e-9, Update: 1e-7}, want: LayerSlow},
		{s: LayerStat{Weight: 10, Grad: 0, Update: 0}, want: LayerNoGrad},
		{s: LayerStat{Weight: 0, Grad: 0.5, Update: 0.01}, want: LayerOK}, // a bias at its start
		{s: LayerStat{Weight: math.NaN(), Grad: 1, Update: 1}, want: LayerNonFinite},
		{s: LayerStat{Weight: 1, Grad: math.Inf(1), Update: 1}, want: LayerNonFinite},
		{s: LayerStat{Weight: 1, Grad: 0, Update: 1, NonFinite: []string{"g"}}, want: LayerNonFinite}, // as the log holds it
	} {
		step := c.step
		if step == 0 {
			step = LayerSettleSteps + 100
		}
		if got := c.s.Health(step); got != c.want {
			t.Errorf("%+v at step %d: %v, want %v", c.s, step, got, c.want)
		}
	}
	if !LayerSettling.Fine() || LayerSettling.Advice() != "" {
		t.Errorf("settling: fine %v, advice %q", LayerSettling.Fine(), LayerSettling.Advice())
	}
}

// TestLayersAlert: a rate far too high for the net (Adam moves every
// weight by about the rate each step) makes tensors move by more than a
// tenth of themselves at every measure; the layers alert fires once, after
// LayerAlertAfter measures, naming a tensor and what to do. At a sane rate
// it does not fire.
func TestLayersAlert(t *testing.T) {
	alerts := func(lr float64) (n int, msg string, at int) {
		cfg := tinyConfig(t, t.TempDir())
		cfg.LR, cfg.Epochs, cfg.LayersEvery = lr, 1, time.Nanosecond
		_, evs, _ := runTrainer(t, cfg, nil)
		for _, e := range evs {
			if e.Kind == KindAlert && e.Alert == AlertLayers {
				n, msg, at = n+1, e.Msg, e.Step
			}
		}
		return n, msg, at
	}
	n, msg, at := alerts(1)
	if n != 1 || !strings.Contains(msg, "moves fast") || !strings.Contains(msg, "lower the learning rate") || !strings.Contains(msg, "3 measures in a row") {
		t.Errorf("lr 1: %d layers alerts, the last %q", n, msg)
	}
	// Every step measured: the third step's (the event counts the two
	// steps done before it).
	if at != LayerAlertAfter-1 || !strings.Contains(msg, "at step 3 ") {
		t.Errorf("lr 1: the alert came after step %d: %q, want at step %d", at, msg, LayerAlertAfter)
	}
	if n, msg, _ := alerts(1e-3); n != 0 {
		t.Errorf("lr 1e-3: a layers alert: %q", msg)
	}
}

// TestLayersAlertSparesBiasesLeavingZero: measured at every step, a
// BatchNorm net at a sane rate (Adam 1e-3, SGD 0.01 with momentum) raised
// the layers alert at step 4, its BatchNorm shifts moving by 1/k of
// themselves after k steps as anything that starts at zero does (a user's
// vgg-s at 224×224, one measure in three steps, got the alert at step
// 10 and its run a "!" in the runs table). Its shifts are "settling" in
// those steps now, not "moves fast", and no alert fires; the run goes
// past LayerSettleSteps, where they are judged as any tensor is.
func TestLayersAlertSparesBiasesLeavingZero(t *testing.T) {
	for _, c := range []struct {
		model, optim string
		lr           float64
	}{{"vgg-s", "adam", 1e-3}, {"vgg-s", "sgd", 0.01}, {"resnet-s", "sgd", 0.01}} {
		cfg := tinyConfig(t, t.TempDir())
		cfg.Model, cfg.Optim, cfg.LR, cfg.Epochs, cfg.LayersEvery = c.model, c.optim, c.lr, 4, time.Nanosecond
		_, evs, err := runTrainer(t, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		settling, last := 0, 0
		for _, e := range evs {
			if e.Kind == KindAlert && e.Alert == AlertLayers {
				t.Errorf("%s %s lr %g: %s", c.model, c.optim, c.lr, e.Msg)
			}
			for _, s := range e.Layers {
				if s.Health(e.Step) == LayerSettling {
					settling++
				}
			}
			last = max(last, e.Step)
		}
		// Without LayerSettling these measures were "moves fast" (and the
		// alert fired), so the test does not pass by a quiet net.
		if settling < LayerAlertAfter || last <= LayerSettleSteps {
			t.Errorf("%s %s lr %g: %d settling measures, %d steps", c.model, c.optim, c.lr, settling, last)
		}
	}
}

// TestNonFiniteLayerStatIsLogged: a measure whose gradient overflowed is
// still a JSON line (encoding/json refuses NaN and infinities; an event it
// refused would stall the run), and reads back as not finite.
func TestNonFiniteLayerStatIsLogged(t *testing.T) {
	s := LayerStat{Name: "fc.weight", Size: 4, Rank: 2, Weight: 2, Grad: math.Inf(1), Update: math.NaN()}
	s.finite()
	b, err := json.Marshal(Event{Kind: KindStep, Layers: []LayerStat{s}})
	if err != nil {
		t.Fatal(err)
	}
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	if got := e.Layers[0]; got.Health(1) != LayerNonFinite || got.Weight != 2 || strings.Join(got.NonFinite, ",") != "g,u" {
		t.Errorf("read back %+v (%v)", got, got.Health(1))
	}
}

// TestSummarizeLayers: a run's measures summed up as `maskdash layers`
// prints them: the last measure, and the median, least and most ratio over
// the measures after the first; a step measured again after a resume
// counts once (its later measure), and the layers alert is kept.
func TestSummarizeLayers(t *testing.T) {
	m := func(step int, u float64) Event {
		return Event{Kind: KindStep, Step: step, Layers: []LayerStat{{Name: "w", Size: 4, Rank: 2, Weight: 1, Grad: 1, Update: u}}}
	}
	evs := []Event{m(1, 0.5), {Kind: KindStep, Step: 2}, m(10, 1e-3), m(20, 4e-3), m(30, 9), m(30, 2e-3), m(40, 3e-3),
		{Kind: KindAlert, Alert: AlertLayers, Msg: "w: moves fast"}}
	s := SummarizeLayers(evs)
	r := s.Tensors[0]
	if s.Measures != 5 || s.FirstStep != 1 || s.LastStep != 40 || s.Alert != "w: moves fast" || len(s.Tensors) != 1 {
		t.Fatalf("%+v", s)
	}
	// After the first: 1e-3, 4e-3, 2e-3 (step 30 again), 3e-3.
	if r.Ratio != 3e-3 || math.Abs(r.Median-2.5e-3) > 1e-15 || r.Least != 1e-3 || r.Most != 4e-3 || r.Verdict != LayerOK {
		t.Errorf("%+v", r)
	}
	one := SummarizeLayers(evs[:1]).Tensors[0]
	if !math.IsNaN(one.Median) || one.Verdict != LayerTooFast {
		t.Errorf("one measure: %+v", one)
	}
	if s := SummarizeLayers(append(evs, Event{Kind: KindRewound})); s.Measures != 0 || s.Alert != "" {
		t.Errorf("after a rewind: %+v", s)
	}
}

// TestStopDead: with Config.StopDead a run whose net died (SGD at a rate
// far too high: every ReLU off, no gradient reaches any weight) stops with
// a checkpoint and an early-stop alert that says why; without it, the
// same run trains on to its last epoch; a sane rate is not stopped.
func TestStopDead(t *testing.T) {
	train := func(lr float64, stopDead bool) (*Trainer, []Event) {
		cfg := tinyConfig(t, t.TempDir())
		cfg.Optim, cfg.LR, cfg.Epochs, cfg.LayersEvery, cfg.StopDead = "sgd", lr, 3, time.Nanosecond, stopDead
		tr, evs, err := runTrainer(t, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		return tr, evs
	}
	earlyStop := func(evs []Event) string {
		for _, e := range evs {
			if e.Kind == KindAlert && e.Alert == AlertEarlyStop {
				return e.Msg
			}
		}
		return ""
	}
	tr, evs := train(1, true)
	if msg := earlyStop(evs); tr.Status() != runs.StatusStopped || !strings.Contains(msg, "a dead net") || tr.epoch != 0 || tr.LastCheckpoint() == "" {
		t.Errorf("a dead net with StopDead: %s after step %d, epoch %d, checkpoint %q: %q", tr.Status(), tr.step, tr.epoch, tr.LastCheckpoint(), msg)
	}
	// run.json keeps the alerts it raised, for the runs tables.
	info, err := runs.NewStore(tr.cfg.Runs).Info(tr.RunID())
	if err != nil || strings.Join(info.Alerts, ",") != "layers,early-stop" || !Troubled(info.Alerts) {
		t.Errorf("run.json's alerts %v (%v)", info.Alerts, err)
	}
	if tr, evs := train(1, false); tr.Status() != runs.StatusDone || earlyStop(evs) != "" {
		t.Errorf("a dead net without StopDead: %s, %q", tr.Status(), earlyStop(evs))
	}
	if tr, evs := train(1e-3, true); tr.Status() != runs.StatusDone || earlyStop(evs) != "" {
		t.Errorf("lr 1e-3 with StopDead: %s, %q", tr.Status(), earlyStop(evs))
	}
}
