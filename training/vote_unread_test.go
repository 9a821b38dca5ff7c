package training

import (
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// TestDropUnread: runs voted side by side on the same images lose, all
// of them, every image one of them could not read (it has no prediction
// there), and keep their rows in step; a group with none keeps all.
func TestDropUnread(t *testing.T) {
	preds := func(unread []bool) *runs.ValPreds {
		p := &runs.ValPreds{Classes: 2, Truth: []int{0, 1, 0, 1}, Pred: []int{0, 1, 1, 1}, Loss: []float32{1, 2, 3, 4},
			Probs: []float32{0.9, 0.1, 0.2, 0.8, 0.4, 0.6, 0.3, 0.7}, Unread: unread}
		for _, n := range []string{"a", "b", "c", "d"} {
			p.Items = append(p.Items, runs.ValItem{Name: n})
		}
		return p
	}
	kept := []*runs.ValPreds{preds([]bool{false, true, false, false}), preds([]bool{false, false, false, true}), preds(nil)}
	first := dropUnread(kept, []int{0, 1})
	for k, p := range kept[:2] {
		if p.Len() != 2 || p.Items[0].Name != "a" || p.Items[1].Name != "c" || p.Loss[1] != 3 || p.Prob(1, 1) != 0.6 {
			t.Errorf("run %d after dropping: %+v", k, p)
		}
	}
	if first != kept[0] || kept[2].Len() != 4 {
		t.Errorf("the group's first %p (want %p); the run outside the group has %d rows", first, kept[0], kept[2].Len())
	}
	if got := dropUnread(kept, []int{2}); got.Len() != 4 {
		t.Errorf("a group with nothing unread kept %d rows", got.Len())
	}
}
