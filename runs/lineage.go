package runs

import (
	"fmt"
	"slices"
	"strings"
)

// Placed is a run in its lineage tree: how many parents above it in the
// list (0: a root), and the one it sits under (nil for a root).
type Placed struct {
	Run    *Listed
	Depth  int
	Parent *Listed
}

// Changed is what the run set otherwise than the parent it sits under
// (ChangedFrom); nil for a root.
func (p Placed) Changed() []string {
	if p.Parent == nil {
		return nil
	}
	return ChangedFrom(p.Parent.Info, p.Run.Info)
}

// ChangesLine is a child's changes (Changed) as one line of a table:
// "task=age fresh-head=true", or "same settings" when it set nothing
// otherwise than its parent.
func ChangesLine(changed []string) string {
	if len(changed) == 0 {
		return "same settings"
	}
	return strings.Join(changed, " ")
}

// Lineage lays runs out as their lineage tree: each run under its parent
// (Info.Parent) when the parent is in the list, children in the list's
// order, a run whose parent is not listed a root. Every run appears once.
func Lineage(list []*Listed) []Placed {
	present := map[string]bool{}
	for _, l := range list {
		present[l.Info.ID] = true
	}
	kids := map[string][]*Listed{}
	var roots []*Listed
	for _, l := range list {
		if p := l.Info.Parent; p != "" && p != l.Info.ID && present[p] {
			kids[p] = append(kids[p], l)
		} else {
			roots = append(roots, l)
		}
	}
	out := make([]Placed, 0, len(list))
	seen := map[string]bool{}
	var walk func(l, parent *Listed, d int)
	walk = func(l, parent *Listed, d int) {
		if seen[l.Info.ID] {
			return // a cycle of hand-edited run.json files
		}
		seen[l.Info.ID] = true
		out = append(out, Placed{Run: l, Depth: d, Parent: parent})
		for _, k := range kids[l.Info.ID] {
			walk(k, l, d+1)
		}
	}
	for _, l := range roots {
		walk(l, nil, 0)
	}
	for _, l := range list { // runs only a cycle reaches
		if !seen[l.Info.ID] {
			walk(l, nil, 0)
		}
	}
	return out
}

// notChanges are config keys a child run has of its own whatever it
// changes: where it came from, what it is called, what it keeps.
var notChanges = map[string]bool{"from": true, "from_dir": true, "from_ckpt": true, "name": true, "note": true,
	"run_id": true, "resume": true, "keep_checkpoints": true, "lr_find": true}

// ChangedFrom lists what a child run set otherwise than its parent, as
// train's flags spell the settings: "task=age", "fresh-head=true",
// "sampler=weighted"; a setting the parent lacked shows its value, one
// the child lacks "-". The rate and loss are those they started with.
func ChangedFrom(parent, child Info) []string {
	var out []string
	for _, k := range DifferingSettings([]Info{parent, child}) {
		if notChanges[k] {
			continue
		}
		v, ok := child.Config[k]
		s := "-"
		if ok {
			s = fmt.Sprint(v)
		}
		out = append(out, strings.ReplaceAll(k, "_", "-")+"="+s)
	}
	slices.Sort(out)
	return out
}
