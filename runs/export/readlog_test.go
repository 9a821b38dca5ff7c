package export

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestReadLogReadsStepLinesAsJSONDoes: the step lines that readLog reads
// from their first fields give the times, steps and layer measures that
// decoding each line whole gives: plain lines, measured ones, times in
// other zones and precisions, a step line whose fields come in another
// order (read the long way), a torn last line (none of its figures).
func TestReadLogReadsStepLinesAsJSONDoes(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 6, 17, 59, 39, 877399202, time.UTC)
	var b strings.Builder
	b.WriteString(`{"kind":"run","t":"2026-12-06T17:59:39.8Z","run":"r","epoch":0,"step":0}` + "\n")
	zones := []*time.Location{time.UTC, time.FixedZone("KST", 9*3600), time.FixedZone("x", -5*3600-1800)}
	for i := 1; i <= 300; i++ {
		at := t0.Add(time.Duration(i) * 250 * time.Millisecond).Add(time.Duration(i*i) * time.Nanosecond).In(zones[i%3])
		if i%7 == 0 {
			at = at.Truncate(time.Second) // no fraction
		}
		ts, _ := json.Marshal(at)
		switch {
		case i%20 == 0:
			fmt.Fprintf(&b, `{"kind":"step","t":%s,"run":"r,\"step\":9","epoch":%d,"step":%d,"loss":1.5,"layers":[{"name":"conv1.weight","n":432,"rank":4,"w":%g,"g":0.5,"u":0.001,"q":[1,2,3]}]}`+"\n", ts, i/50, i, float64(i)/7)
		case i%11 == 0: // a run id that holds the step key, escaped
			fmt.Fprintf(&b, `{"kind":"step","t":%s,"run":"r,\"step\":9","epoch":%d,"step":%d,"loss":1}`+"\n", ts, i/50, i)
		case i == 33:
			fmt.Fprintf(&b, `{"kind":"step","run":"r","t":%s,"step":%d,"epoch":0}`+"\n", ts, i)
		default:
			fmt.Fprintf(&b, `{"kind":"step","t":%s,"run":"r","epoch":%d,"step":%d,"loss":%g,"lr":0.001}`+"\n", ts, i/50, i, 2-float64(i)/300)
		}
		if i%50 == 0 {
			fmt.Fprintf(&b, `{"kind":"epoch","t":%s,"run":"r","epoch":%d,"step":%d,"val":{"loss":1,"accuracy":0.5,"macro_f1":%g}}`+"\n", ts, i/50, i, float64(i)/1000)
		}
	}
	b.WriteString(`{"kind":"step","t":"2026-12-06T18:00:00Z","run":"r","epoch":6,"step":40`) // torn: step 400 or more
	if err := os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readLog(dir)
	if err != nil {
		t.Fatal(err)
	}

	// what decoding each whole line gives
	want := map[int]float64{}
	layers := map[int]layerLine{}
	for _, line := range strings.Split(b.String(), "\n") {
		var e struct {
			Kind string    `json:"kind"`
			T    time.Time `json:"t"`
			layerLine
		}
		if json.Unmarshal([]byte(line), &e) != nil || e.Kind != "step" {
			continue
		}
		want[e.Step] = float64(e.T.UnixNano()) / 1e9
		if len(e.Layers) > 0 {
			e.wall = want[e.Step]
			layers[e.Step] = e.layerLine
		}
	}
	if len(want) != 300 {
		t.Fatalf("the reference read %d steps", len(want))
	}
	if len(got.times) != len(want) {
		t.Errorf("readLog read %d steps' times, whole lines %d", len(got.times), len(want))
	}
	for s, w := range want {
		if g, ok := got.times[s]; !ok || math.Abs(g-w) > 0 {
			t.Errorf("step %d: time %v (%v), whole lines %v", s, g, ok, w)
		}
	}
	if len(got.layers) != len(layers) {
		t.Fatalf("readLog read %d measured steps, whole lines %d", len(got.layers), len(layers))
	}
	for _, l := range got.layers {
		if !reflect.DeepEqual(l, layers[l.Step]) {
			t.Errorf("step %d's measures: %+v, whole lines %+v", l.Step, l, layers[l.Step])
		}
	}
	if len(got.epochs) != 6 || got.epochs[5].Val.MacroF1 != 0.3 {
		t.Errorf("epochs: %+v", got.epochs)
	}
}
