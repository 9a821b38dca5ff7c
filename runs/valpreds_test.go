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

// TestUnreadImagesInValPreds: an image that could not be read keeps its
// row (uniform probabilities) marked as such through the file; Worst,
// ClassPR and WithoutUnread leave it out (it was listed among the worst
// mistakes, a prediction of class 0, and counted in the curves).
func TestUnreadImagesInValPreds(t *testing.T) {
	r, err := NewStore(t.TempDir()).Create(Info{ID: "u", Start: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(StatusDone, nil)
	third := float32(1) / 3
	p := &ValPreds{Epoch: 1, Classes: 3,
		Truth: []int{1, 2, 0}, Pred: []int{1, 0, 0},
		Loss:  []float32{0.2, 1.0986, 0.1},
		Probs: []float32{0.1, 0.8, 0.1, third, third, third, 0.9, 0.05, 0.05},
		Items: []ValItem{{Name: "a", Path: "/d/a.jpg"}, {Name: "b", Path: "/d/b.jpg", Label: 2}, {Name: "c", Path: "/d/c.jpg"}},
		Names: []string{"x", "y", "z"}, Unread: []bool{false, true, false}}
	if err := r.WriteValPreds(p); err != nil {
		t.Fatal(err)
	}
	q, err := ReadValPreds(r.Dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	if q.Len() != 3 || !q.IsUnread(1) || q.IsUnread(0) || q.IsUnread(2) || q.Pred[1] != 0 {
		t.Fatalf("read back: unread %v, predictions %v", q.Unread, q.Pred)
	}
	if got := q.Worst(-1, -1, 0); len(got) != 0 {
		t.Errorf("the unreadable image is among the mistakes: %v", got)
	}
	if w := q.WithoutUnread(); w.Len() != 2 || w.Items[1].Name != "c" || w.Truth[1] != 0 || w.Prob(1, 0) < 0.89 || w.Unread != nil {
		t.Errorf("without the unreadable image: %+v", w)
	}
	if c := ClassPR(q, 2); c.Support != 0 {
		t.Errorf("class 2's curve counts the unreadable image: support %d", c.Support)
	}
	// Predictions of every image read stay as they are.
	all := &ValPreds{Epoch: 1, Classes: 3, Truth: []int{0}, Pred: []int{0}, Loss: []float32{0.1}, Probs: []float32{0.9, 0.05, 0.05}}
	if all.WithoutUnread() != all {
		t.Errorf("WithoutUnread of predictions with nothing unread is a copy")
	}
}
