package runs

import (
	"slices"
	"testing"
)

// TestLineage: children under their parents in the list's order, a run
// whose parent is not listed a root, and every run once even when
// hand-edited run.json files make a cycle.
func TestLineage(t *testing.T) {
	mk := func(pairs ...string) []*Listed {
		var out []*Listed
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, &Listed{Info: Info{ID: pairs[i], Parent: pairs[i+1]}})
		}
		return out
	}
	for _, c := range []struct {
		list []*Listed
		want []string // id:depth
	}{
		{mk("c2", "p", "x", "gone", "p", "", "g", "c1", "c1", "p"), []string{"c2:1", "x:0", "p:0", "c1:1", "g:2"}},
		{mk("a", "b", "b", "a", "s", "s"), []string{"s:0", "a:0", "b:1"}},
	} {
		var got []string
		for _, p := range Lineage(c.list) {
			got = append(got, p.Run.Info.ID+":"+string(rune('0'+p.Depth)))
		}
		// Roots keep the list's order; compare as sets of placements and
		// check each child follows its parent.
		if !slices.Equal(sorted(got), sorted(c.want)) {
			t.Errorf("Lineage = %v, want %v", got, c.want)
		}
	}
	got := Lineage(mk("c2", "p", "x", "gone", "p", "", "g", "c1", "c1", "p"))
	var ids []string
	for _, p := range got {
		ids = append(ids, p.Run.Info.ID)
		if (p.Parent != nil) != (p.Depth > 0) || p.Parent != nil && p.Parent.Info.ID != p.Run.Info.Parent {
			t.Errorf("%s at depth %d sits under %v", p.Run.Info.ID, p.Depth, p.Parent)
		}
	}
	if want := []string{"x", "p", "c2", "c1", "g"}; !slices.Equal(ids, want) {
		t.Errorf("order %v, want %v", ids, want)
	}
}

func sorted(v []string) []string {
	v = slices.Clone(v)
	slices.Sort(v)
	return v
}

// TestChangedFrom: a child's settings that differ from its parent's, as
// train spells them, without where it came from or what it is called.
func TestChangedFrom(t *testing.T) {
	parent := Info{Config: map[string]any{"lr": 0.001, "task": "", "name": "p", "sampler": "shuffle", "seed": 1.0}}
	child := Info{Config: map[string]any{"lr": 0.001, "task": "age", "name": "k", "from": "p", "from_dir": "/r/p",
		"sampler": "weighted", "seed": 1.0, "fresh_head": true}}
	if got, want := ChangedFrom(parent, child), []string{"fresh-head=true", "sampler=weighted", "task=age"}; !slices.Equal(got, want) {
		t.Errorf("ChangedFrom = %v, want %v", got, want)
	}
	if got := ChangedFrom(parent, parent); len(got) != 0 {
		t.Errorf("a run against itself: %v", got)
	}
}
