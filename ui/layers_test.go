package ui

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/maskdash/maskdash/training"
)

// TestLayersViewFollowsTheCursor: 5 opens the layers view, ↓ moves the
// cursor, and the chart below the table is the chosen tensor's; the
// line over the table names the tensor in the worst state and what to do.
func TestLayersViewFollowsTheCursor(t *testing.T) {
	m, _ := press(newTestModel(&fakeCtrl{}, 120, 40), "5")
	v := m.View()
	if !strings.Contains(v, "conv1.weight: update/|w|") {
		t.Errorf("the chart is not the first tensor's:\n%s", v)
	}
	if !strings.Contains(v, "fc.weight: moves fast") || !strings.Contains(v, "lower the learning rate") {
		t.Errorf("the dense layer's fast updates are not called out:\n%s", v)
	}
	m, _ = press(m, "down", "down")
	if v := m.View(); !strings.Contains(v, "▸ conv2.weight") || !strings.Contains(v, "conv2.weight: update/|w|") {
		t.Errorf("after ↓↓ the cursor and chart are not on conv2.weight:\n%s", v)
	}
	m, _ = press(m, "down", "down", "down", "down", "down")
	if v := m.View(); !strings.Contains(v, "▸ fc.bias") {
		t.Errorf("the cursor went past the last tensor:\n%s", v)
	}
}

// TestLayersTableFitsNarrowScreens: on a narrow screen the layers table
// drops whole columns (the values' count, then |grad|, then |w|) and
// never cuts one: each row ends in the update ratio as a number, a gap
// and the verdict, at every width from 40 to 120 (at 50 the ratio was
// cut to its first digit, run into the verdict: "0ok").
func TestLayersTableFitsNarrowScreens(t *testing.T) {
	row := regexp.MustCompile(`^[ ▸] \S+\s.*\s(-?[0-9][0-9.e+-]*|NaN|\+Inf)  ([▁▂▃▄▅▆▇█]+ +)?(ok|moves fast|barely moves|no gradient|not finite|fixed)\s*$`)
	for w := 40; w <= 120; w += 5 {
		m, _ := press(newTestModel(&fakeCtrl{}, w, 40), "5")
		v := m.View()
		checkScreen(t, v, w, 40)
		rows := 0
		for _, l := range strings.Split(v, "\n") {
			if strings.Contains(l, "conv") || strings.Contains(l, "fc.") {
				if strings.HasPrefix(l, "  ") || strings.HasPrefix(l, "▸ ") {
					rows++
					if !row.MatchString(l) {
						t.Errorf("width %d: the row %q does not end in the update ratio and the verdict", w, l)
					}
				}
			}
		}
		if rows == 0 {
			t.Errorf("width %d: no table rows:\n%s", w, v)
		}
	}
}

// TestLayersViewDrawsTheWeightsSpread: d turns the chart below the table
// into the chosen tensor's weights' spread over the run (TensorBoard's
// distribution), and back; measures without one (an older log) say so.
func TestLayersViewDrawsTheWeightsSpread(t *testing.T) {
	m, _ := press(newTestModel(&fakeCtrl{}, 120, 40), "5", "d")
	v := m.View()
	if !strings.Contains(v, "conv1.weight: weights' spread over the run, median 0.01") || !strings.Contains(v, "d: update ratio") ||
		strings.Contains(v, "conv1.weight: update/|w|") {
		t.Errorf("d does not draw the first tensor's spread:\n%s", v)
	}
	// The series are the measures' spreads, the last point the last
	// measure's; a measure without one is a gap.
	samples := append([]layerSample(nil), m.state.Layers...)
	last := samples[len(samples)-1].Stats[0]
	series, steps, ok := spreadSeries(samples, 0, 10)
	if !ok || len(series) != 9 || len(steps) != 10 || series[0][9] != float64(last.Spread[0]) || series[8][9] != float64(last.Spread[8]) || steps[9] != float64(samples[len(samples)-1].Step) {
		t.Errorf("spread series of conv1.weight: %v %v %v", ok, series, steps)
	}
	samples[len(samples)-1].Stats = []training.LayerStat{{Name: "conv1.weight"}}
	if series, _, ok := spreadSeries(samples, 0, 10); !ok || !math.IsNaN(series[4][9]) || math.IsNaN(series[4][8]) {
		t.Errorf("a measure without a spread is not a gap: %v", series[4])
	}
	m, _ = press(m, "down", "down")
	if v := m.View(); !strings.Contains(v, "conv2.weight: weights' spread") {
		t.Errorf("the spread does not follow the cursor:\n%s", v)
	}
	m, _ = press(m, "d")
	if v := m.View(); !strings.Contains(v, "conv2.weight: update/|w|") {
		t.Errorf("d again does not bring the update ratio back:\n%s", v)
	}
	old := New(Options{Renderer: asciiRenderer(), RunsDir: "testdata/no-runs"})
	old, _ = old.Resize(100, 30)
	old.state.Apply(training.Event{Kind: training.KindStep, Step: 1, Time: time.Now(), Layers: []training.LayerStat{{Name: "a", Size: 4, Weight: 2, Grad: 0.1, Update: 2e-3}}})
	old, _ = press(old, "5", "d")
	if v := old.View(); !strings.Contains(v, "this run's measures have none") {
		t.Errorf("a log without spreads:\n%s", v)
	}
}

func TestLayersViewBeforeAnyMeasure(t *testing.T) {
	m := New(Options{Renderer: asciiRenderer(), RunsDir: "testdata/no-runs"})
	m, _ = m.Resize(100, 30)
	m, _ = press(m, "5")
	if v := m.View(); !strings.Contains(v, "the layers' figures appear with the first training step") {
		t.Errorf("an empty layers view says nothing:\n%s", v)
	}
	// Healthy tensors only: the line says so.
	st := []training.LayerStat{{Name: "a", Size: 4, Weight: 2, Grad: 0.1, Update: 2e-3}}
	m.state.Apply(training.Event{Kind: training.KindStep, Step: 1, Time: time.Now(), Layers: st})
	if v := m.View(); !strings.Contains(v, "no tensor is out of bounds") || !strings.Contains(v, "5 layers ") {
		t.Errorf("a healthy net is not said to be, or its tab is marked:\n%s", v)
	}
	// A tensor in trouble marks the layers tab from every view.
	st[0].Grad, st[0].Update = 0, 0
	m.state.Apply(training.Event{Kind: training.KindStep, Step: 2, Time: time.Now(), Layers: st})
	m, _ = press(m, "1")
	if v := m.View(); !strings.Contains(v, "5 layers!") {
		t.Errorf("a dead tensor does not mark the layers tab:\n%s", v)
	}
	// One measure of a tensor that moves fast (Adam's first steps) does
	// not; the same verdict at the next measure does.
	fast := []training.LayerStat{{Name: "a", Size: 4, Weight: 2, Grad: 0.1, Update: 0.5}}
	m.state.Apply(training.Event{Kind: training.KindStep, Step: 4, Time: time.Now(), Layers: fast})
	if v := m.View(); strings.Contains(v, "5 layers!") {
		t.Errorf("one fast measure marks the layers tab:\n%s", v)
	}
	m.state.Apply(training.Event{Kind: training.KindStep, Step: 5, Time: time.Now(), Layers: fast})
	if v := m.View(); !strings.Contains(v, "5 layers!") {
		t.Errorf("a tensor fast at two measures in a row does not mark the layers tab:\n%s", v)
	}
}

// TestLayerSamplesStayBounded: a dashboard on a run of days keeps at most
// MaxLayerSamples measured steps, the newest among them.
func TestLayerSamplesStayBounded(t *testing.T) {
	var s RunState
	st := []training.LayerStat{{Name: "a", Size: 1, Weight: 1, Grad: 1, Update: 1e-3}}
	n := MaxLayerSamples*2 + 7
	for i := range n {
		s.Apply(training.Event{Kind: training.KindStep, Step: i, Layers: st})
	}
	if len(s.Layers) > MaxLayerSamples || len(s.Layers) < MaxLayerSamples/2 {
		t.Errorf("%d layer samples kept of %d (cap %d)", len(s.Layers), n, MaxLayerSamples)
	}
	if last := s.Layers[len(s.Layers)-1].Step; last != n-1 {
		t.Errorf("the newest sample is step %d, want %d", last, n-1)
	}
}

// TestLayerHistoryCoversTheRun: the sparkline and chart reduce a long run
// to their width by geometric means of equal shares, first step to last,
// not to its newest samples.
func TestLayerHistoryCoversTheRun(t *testing.T) {
	var samples []layerSample
	for i := range 10 {
		r := 1e-4
		if i >= 5 {
			r = 1e-2
		}
		if i == 9 {
			r = 1 // the last share: 1e-2 and 1, geometric mean 0.1
		}
		samples = append(samples, layerSample{Step: 10 * (i + 1), Stats: []training.LayerStat{{Name: "a", Weight: 1, Grad: 1, Update: r}}})
	}
	logs, steps := logRatios(samples, 0, 5)
	want := []float64{-4, -4, -3, -2, -1} // the middle share: 1e-4 and 1e-2
	for k := range want {
		if math.Abs(logs[k]-want[k]) > 1e-12 || steps[k] != float64(20*(k+1)) {
			t.Fatalf("log ratios %v at steps %v, want %v at 20, 40, …, 100", logs, steps, want)
		}
	}
	if s := spark(samples, 0, 5); s != "▃▃▅▆▇" {
		t.Errorf("spark %q", s)
	}
}

// TestLayersViewOfABigNet: with more tensors than fit beside the chart
// (resnet-s has 28), the table scrolls with the cursor and the chart keeps
// a third of the view; the title says which rows show.
func TestLayersViewOfABigNet(t *testing.T) {
	m := New(Options{Renderer: asciiRenderer(), RunsDir: "testdata/no-runs"})
	m, _ = m.Resize(120, 40)
	var st []training.LayerStat
	for i := range 28 {
		st = append(st, training.LayerStat{Name: fmt.Sprintf("t%02d.weight", i), Size: 9, Rank: 4, Weight: 1, Grad: 0.1, Update: 1e-3})
	}
	for step := 1; step <= 3; step++ {
		m.state.Apply(training.Event{Kind: training.KindStep, Step: step, Time: time.Now(), Layers: st})
	}
	m, _ = press(m, "5")
	v := m.View()
	if !strings.Contains(v, "t00.weight: update/|w| per step over the run") || !strings.Contains(v, "rows 1–") || strings.Contains(v, "t27.weight") {
		t.Errorf("a big net's first rows and chart:\n%s", v)
	}
	for range 27 {
		m, _ = press(m, "down")
	}
	v = m.View()
	if !strings.Contains(v, "▸ t27.weight") || !strings.Contains(v, "–28 (↑/↓)") || !strings.Contains(v, "t27.weight: update/|w|") {
		t.Errorf("the cursor on the last tensor:\n%s", v)
	}
	checkScreen(t, v, 120, 40)
}
