package ui

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// TestOverlaySeriesPadsEpochs: per epoch, the shorter curve is padded
// with gaps to the longest (per step, runs.OnOneStepAxis lays them out:
// runs' TestOnOneStepAxis).
func TestOverlaySeriesPadsEpochs(t *testing.T) {
	series, last := overlaySeries([]runs.StepCurve{{Values: []float64{0.5, 0.6, 0.7}}, {Values: []float64{0.4}}}, false, 10)
	if last != 0 || len(series[1]) != 3 || series[1][0] != 0.4 || !math.IsNaN(series[1][2]) {
		t.Errorf("per epoch: %v (last %d)", series, last)
	}
}

// TestOverlayMetricKey: in the runs view, m cycles the picked runs'
// overlay through validation F1, accuracy and loss per epoch and the
// training loss per step, read from the runs' history columns, with the
// steps on an x-axis up to the longest run's last step.
func TestOverlayMetricKey(t *testing.T) {
	rd := tableRuns(t)
	st := runs.NewStore(rd)
	for id, n := range map[string]int{"f-vgg-ce-s3": 300, "e-vgg-focal-s2": 150} {
		r, err := st.OpenForWrite(id)
		if err != nil {
			t.Fatal(err)
		}
		for s := 1; s <= n; s++ {
			if err := r.AppendHistory(s, map[string]float64{"loss": 3 / math.Sqrt(float64(s))}); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Close(runs.StatusDone, nil); err != nil {
			t.Fatal(err)
		}
	}
	m := runsViewModel(t, rd, 120, 40)
	m = feed(t, m, "enter", "j", "enter")
	for _, want := range []string{"validation accuracy per epoch", "validation loss per epoch", "training loss per step (smoothed)"} {
		m = feed(t, m, "m")
		v := m.View()
		checkScreen(t, v, 120, 40)
		if !strings.Contains(v, want+", picked runs overlaid") {
			t.Errorf("after m: no %q:\n%s", want, v)
		}
	}
	// The curves' loads are commands, which feed gives 50 ms: load them
	// here whatever a busy machine made of that.
	for _, id := range m.runs.selected {
		nm, _ := m.Update(m.runs.loadCurve(id)())
		m = nm.(Model)
	}
	v := m.View()
	if !strings.Contains(v, "300") || strings.Contains(v, "waiting for data") {
		t.Errorf("the training loss overlay has no step axis to 300, or no curve:\n%s", v)
	}
	// Then the mask, gender and age tasks' F1, which these runs of three
	// classes do not have: the view says so.
	for _, want := range []string{"mask macro F1 per epoch", "gender macro F1 per epoch", "age macro F1 per epoch"} {
		m = feed(t, m, "m")
		for _, id := range m.runs.selected {
			nm, _ := m.Update(m.runs.loadCurve(id)())
			m = nm.(Model)
		}
		v := m.View()
		checkScreen(t, v, 120, 40)
		if !strings.Contains(v, want+", picked runs overlaid") || !strings.Contains(v, "no picked run has this task's figures") {
			t.Errorf("after m: no %q:\n%s", want, v)
		}
	}
	m = feed(t, m, "m")
	if v := m.View(); !strings.Contains(v, "validation macro F1 per epoch, picked runs overlaid") {
		t.Errorf("m does not come back to F1:\n%s", v)
	}
}

// TestOverlayTaskF1: a mask layout run's age F1 per epoch, as its log's
// epochs give it, is the age overlay's curve.
func TestOverlayTaskF1(t *testing.T) {
	rd := t.TempDir()
	r, err := runs.NewStore(rd).Create(runs.Info{Start: t0, Model: "cnn-s", Loss: "ce"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range script() {
		if err := r.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(runs.StatusDone, nil); err != nil {
		t.Fatal(err)
	}
	m := runsViewModel(t, rd, 120, 40)
	id := script()[0].Settings.ID
	m = feed(t, m, "enter")
	for range 6 {
		m = feed(t, m, "m")
	}
	nm, _ := m.Update(m.runs.loadCurve(id)())
	m = nm.(Model)
	c := m.runs.curves[curveKey{id, overlayAgeF1}]
	var want []float64
	for _, e := range script() {
		if e.Val != nil {
			want = append(want, e.Val.Tasks["age"].MacroF1)
		}
	}
	if len(want) != 2 || len(c.Values) != 2 || c.Values[0] != want[0] || c.Values[1] != want[1] {
		t.Fatalf("the age overlay's curve %v, the log's age F1 %v", c.Values, want)
	}
	if v := m.View(); !strings.Contains(v, "age macro F1 per epoch, picked runs overlaid") || strings.Contains(v, "no picked run has") {
		t.Errorf("the age overlay:\n%s", v)
	}
}

// TestGroupMeans: runs averaged by group point by point, a run without a
// value at a point left out there; at the last point the mean, sample
// deviation and how many runs reach it.
func TestGroupMeans(t *testing.T) {
	nan := math.NaN()
	series := [][]float64{{0.1, 0.2, 0.3}, {0.3, nan, 0.5}, {0.5, 0.6}, {0.9}}
	means, last := groupMeans(series, [][]int{{0, 1, 2}, {3}})
	want := []float64{0.3, 0.4, 0.4}
	for k, v := range want {
		if math.Abs(means[0][k]-v) > 1e-12 {
			t.Fatalf("group 0's means %v, want %v", means[0], want)
		}
	}
	if last[0].n != 2 || math.Abs(last[0].mean-0.4) > 1e-12 || math.Abs(last[0].sd-math.Sqrt(0.02)) > 1e-12 {
		t.Errorf("group 0's last point %+v", last[0])
	}
	if len(means[1]) != 1 || means[1][0] != 0.9 || last[1].n != 1 || last[1].sd != 0 {
		t.Errorf("a group of one: %v %+v", means[1], last[1])
	}
}

// TestPickedRunsOnANarrowScreen: on a phone's width each picked run's
// line puts the settings that differ before its id, so a cut line loses
// the id (the table names the run), not what differs; on a wide screen
// the line has both.
func TestPickedRunsOnANarrowScreen(t *testing.T) {
	rd := tableRuns(t)
	// Ids as long as real ones (a time, the model, the loss, a name).
	ents, err := os.ReadDir(rd)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		info, err := runs.ReadInfo(filepath.Join(rd, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		info.ID = "20261126-180000-" + e.Name()
		b, _ := json.Marshal(info)
		if err := os.WriteFile(filepath.Join(rd, e.Name(), "run.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(rd, e.Name()), filepath.Join(rd, info.ID)); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range []int{46, 120} {
		m := runsViewModel(t, rd, w, 40)
		m = feed(t, m, "enter", "j", "enter")
		v := m.View()
		checkScreen(t, v, w, 40)
		infos := m.runs.pickedInfos()
		diff := runs.DifferingSettings(infos)
		if len(infos) != 2 || len(diff) == 0 {
			t.Fatalf("picked %d runs differing in %v", len(infos), diff)
		}
		for _, info := range infos {
			want := diff[0] + "=" + runs.SettingText(info.Config[diff[0]])
			found := false
			for _, line := range strings.Split(v, "\n") {
				found = found || strings.Contains(line, want) && (w < 100 || strings.Contains(line, info.ID))
			}
			if !found {
				t.Errorf("at %d columns no line of picked run %s shows %s:\n%s", w, info.ID, want, v)
			}
		}
	}
}
