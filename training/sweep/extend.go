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
// seeds, whose trials it returns, or with asTPE (tpe or
// tpe-independent, as --search reads them) goes on as a TPE search
// whose first settings are its draws. A grid has nothing more to try:
// the error says so. Either way a cancelled sweep is no longer
// cancelled.
func (sw *Sweep) Extend(n int, asTPE string) ([]int, error) {
	if s := sw.Search; s != nil && s.Method == MethodTPE {
		if asTPE != "" {
			if m, joint, err := ParseMethod(asTPE); err != nil || m != MethodTPE || joint != s.Joint {
				return nil, fmt.Errorf("sweep %s is a %s search already: extend it without --search", sw.ID, s.Name())
			}
		}
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
	drawn := 0
	for _, f := range []struct {
		name string
		to   *int
	}{{"folds", &sp.Folds}, {"seeds", &sp.Seeds}, {"trials", &drawn}} {
		if v, ok := sw.spaceWord(f.name); ok {
			if *f.to, err = strconv.Atoi(v); err != nil {
				return nil, fmt.Errorf("sweep.json's space: --%s=%s is not a whole number", f.name, v)
			}
		}
	}
	// The same stream of draws, from where the sweep's stopped: its
	// first draws are drawn again and left out.
	perDraw := max(sp.Seeds, 1) * max(sp.Folds, 1)
	again := 0
	if sw.DrawSeed != 0 && drawn > 0 && drawn*perDraw == len(sw.Trials) {
		sp.Seed, sp.Draws, again = sw.DrawSeed, drawn+n, drawn*perDraw
	}
	if asTPE != "" {
		method, joint, err := ParseMethod(asTPE)
		if err != nil || method != MethodTPE {
			return nil, fmt.Errorf("--search %q: extend goes on as tpe or tpe-independent", asTPE)
		}
		// Its draws so far are the search's random start: TPE proposes
		// from them on.
		sw.Search = &Search{Method: MethodTPE, Space: random, Folds: sp.Folds, Seeds: sp.Seeds, Seed: sp.Seed, Joint: joint}
		sw.Search.Points = sw.Tried() + n
		sw.Search.Startup = sw.Tried()
		sw.Space = append([]string{"--search=" + asTPE}, sw.Space...)
		sw.Cancelled = false
		return nil, nil
	}
	ts, err := sp.Expand()
	if err != nil {
		return nil, err
	}
	var added []int
	for _, t := range ts[again:] {
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

// RandomDraws reports whether the sweep's settings are --random's
// draws alone (no grid, no TPE): what extend can go on with as TPE.
func (sw *Sweep) RandomDraws() bool {
	_, random := sw.spaceWord("random")
	_, grid := sw.spaceWord("grid")
	return sw.Search == nil && random && !grid
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
