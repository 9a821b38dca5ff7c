package runs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestValPredsRoundTripAndWorstFirst(t *testing.T) {
	r, err := NewStore(t.TempDir()).Create(Info{ID: "v", Start: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(StatusDone, nil)
	p := &ValPreds{Epoch: 3, Classes: 3,
		Truth: []int{0, 1, 2, 1}, Pred: []int{0, 2, 2, 2},
		Loss:  []float32{0.1, 2.5, 0.3, 1.5},
		Probs: []float32{0.9, 0.05, 0.05, 0.1, 0.08, 0.82, 0, 0.26, 0.74, 0.2, 0.22, 0.58},
		Items: []ValItem{{Name: "a", Path: "/d/a.jpg"}, {Name: "b\tx", Path: "/d/b.jpg", Label: 1}, {Name: "c", Mem: 7, Label: 2}, {Name: "d", Path: "/d/d.jpg", Label: 1}},
		Names: []string{"x", "y", "z"}}
	if err := r.WriteValPreds(p); err != nil {
		t.Fatal(err)
	}
	q, err := ReadValPreds(r.Dir, 3)
	if err != nil {
		t.Fatal(err)
	}
	if q.Len() != 4 || q.Items[2].Mem != 7 || q.Items[2].Path != "" || q.Items[1].Name != "b x" || q.Names[2] != "z" {
		t.Fatalf("read back %+v", q)
	}
	for i, v := range p.Probs {
		if d := q.Probs[i] - v; d > 1e-4 || d < -1e-4 {
			t.Errorf("prob %d: %v, wrote %v", i, q.Probs[i], v)
		}
	}
	if got := q.Worst(-1, -1, 0); len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Errorf("every mistake worst first: %v, want [1 3]", got)
	}
	if got := q.Worst(2, 2, 0); len(got) != 1 || got[0] != 2 {
		t.Errorf("correct class 2: %v, want [2]", got)
	}
	if got := q.Worst(1, -1, 1); len(got) != 1 || got[0] != 1 {
		t.Errorf("true 1, top 1: %v, want [1]", got)
	}
	if e, _ := ValEpochs(r.Dir); len(e) != 1 || e[0] != 3 {
		t.Errorf("epochs %v, want [3]", e)
	}
	path := filepath.Join(r.Dir, "val", "003.preds")
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, b[:len(b)-3], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadValPreds(r.Dir, 3); err == nil || !strings.Contains(err.Error(), "is not a validation predictions file") {
		t.Errorf("a cut file: %v", err)
	}
}
