package sweep

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Extend adds n settings to the sweep, for the caller to submit (under
// Update's lock): a TPE search is to try n more, proposed as its slots
// free (ProposeAndSubmit, then each trial that ends); a sweep of
// --random draws gets n more draws now, each with the sweep's folds and
// seeds, whose trials it returns. A grid has nothing more to try: the
// error says so. Either way a cancelled sweep is no longer cancelled.
func (sw *Sweep) Extend(n int) ([]int, error) {
	if s := sw.Search; s != nil && s.Method == MethodTPE {
		s.Points += n
		sw.Cancelled = false
		return nil, nil
	}
	random, ok := sw.spaceWord("random")
	if _, grid := sw.spaceWord("grid"); grid || !ok {
		return nil, fmt.Errorf("sweep %s is a grid, which has no more settings to try; extend adds settings to a --random or TPE search: start a new sweep for other values", sw.ID)
	}
	sp := Space{Draws: n, Seed: uint64(time.Now().UnixNano())}
	var err error
	if sp.Random, err = ParseRandom(random); err != nil {
		return nil, fmt.Errorf("sweep.json's space: %w", err)
	}
	for _, f := range []struct {
		name string
		to   *int
	}{{"folds", &sp.Folds}, {"seeds", &sp.Seeds}} {
		if v, ok := sw.spaceWord(f.name); ok {
			if *f.to, err = strconv.Atoi(v); err != nil {
				return nil, fmt.Errorf("sweep.json's space: --%s=%s is not a whole number", f.name, v)
			}
		}
	}
	ts, err := sp.Expand()
	if err != nil {
		return nil, err
	}
	var added []int
	for _, t := range ts {
		t.Index = len(sw.Trials)
		t.RunID = fmt.Sprintf("t%03d", t.Index)
		sw.Trials = append(sw.Trials, t)
		added = append(added, t.Index)
	}
	// The space says how many draws there are in all.
	for i, w := range sw.Space {
		if v, ok := strings.CutPrefix(w, "--trials="); ok {
			if old, err := strconv.Atoi(v); err == nil {
				sw.Space[i] = "--trials=" + strconv.Itoa(old+n)
			}
		}
	}
	sw.Cancelled = false
	return added, nil
}

// spaceWord is the value of --name=value in the space as typed.
func (sw *Sweep) spaceWord(name string) (string, bool) {
	for _, w := range sw.Space {
		if v, ok := strings.CutPrefix(w, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}
