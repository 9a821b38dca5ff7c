package sweep

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Method names how a sweep picks its settings.
type Method string

// Search methods.
const (
	// MethodFixed: every trial is known when the sweep starts (--grid,
	// --random's draws).
	MethodFixed Method = ""
	// MethodTPE: after Search.Startup random settings, each next one is
	// proposed from the finished ones' scores (tpe.go), one as a trial
	// ends, by the process that waits on the sweep.
	MethodTPE Method = "tpe"
)

// ParseMethod reads --search: the method, and for TPE whether it is
// joint (tpe, Search.Joint) or independent (tpe-independent).
func ParseMethod(s string) (m Method, joint bool, err error) {
	switch s {
	case "", "random", "grid":
		return MethodFixed, false, nil
	case string(MethodTPE):
		return MethodTPE, true, nil
	case string(MethodTPE) + "-independent":
		return MethodTPE, false, nil
	}
	return "", false, fmt.Errorf("--search %q is unknown; use random, tpe or tpe-independent", s)
}

// Search is an adaptive search's settings (sweep.json's "search"): the
// space as --random reads it, how many settings to try in all, how many
// of them at random first, and the K folds and seeds each is trained
// with (their mean best macro F1 is the setting's score).
type Search struct {
	Method  Method `json:"method"`
	Space   string `json:"space"`
	Points  int    `json:"points"`
	Startup int    `json:"startup"`
	Folds   int    `json:"folds,omitempty"`
	Seeds   int    `json:"seeds,omitempty"`
	Seed    uint64 `json:"seed"`
	// Joint: the settings are proposed together (tpe_joint.go), as every
	// TPE search since this field came; without it each on its own, as
	// the searches before it were (they resume as they began).
	Joint bool `json:"joint,omitempty"`
}

// propose is the search's TPE: joint or independent.
func (s *Search) propose(space []Dist, obs []observation, rng *rand.Rand) []KV {
	if s.Joint {
		return proposeTPEJoint(space, obs, rng)
	}
	return proposeTPE(space, obs, rng)
}

// DefaultStartup is how many settings a TPE search draws at random before
// it proposes any (with --parallel P, at least P, so that every slot has
// one): TPE needs a few scores to tell good from bad.
const DefaultStartup = 5

// DefaultDraws is how many settings a random search draws, and
// DefaultPoints how many a TPE search tries, without --trials.
const (
	DefaultDraws  = 10
	DefaultPoints = 20
)

// perPoint is how many trials train one setting.
func (s *Search) perPoint() int { return max(s.Folds, 1) * max(s.Seeds, 1) }

// point is one setting of a search and its trials.
type point struct {
	params []KV
	trials []int
}

// points groups a search's trials by setting: each setting's trials
// (its folds × seeds) are made together, consecutively (Expand's order,
// addPoint's), so a setting drawn twice counts twice, as tried twice.
func (sw *Sweep) points() []point {
	per := 1
	if sw.Search != nil {
		per = sw.Search.perPoint()
	}
	var out []point
	for i, t := range sw.Trials {
		if i%per == 0 {
			out = append(out, point{params: t.Params})
		}
		out[len(out)-1].trials = append(out[len(out)-1].trials, i)
	}
	return out
}

// finished says the search counts a trial by the score it has: it ended
// and no backend holds it (a requeued trial shows as pending, so it
// counts as training again). A trial that failed or died counts as it
// stands, its best F1 so far or the worst there is, until it is requeued
// (a waiting sweep or sweep resume does that): a search whose trials
// all fail goes on to its next settings instead of waiting for a
// requeue that nothing may make.
func (sw *Sweep) finished(t TrialStatus) bool { return t.State.Ended() }

// Propose adds the next settings of an adaptive search (Search) to the
// sweep, as many as there are free slots (--parallel, a setting taking
// its folds × seeds trials; one at least when nothing runs) until
// Search.Points settings have been tried, saves sweep.json and returns
// the new trials, for the caller to submit. A fixed sweep, a cancelled
// one and one without free slots get none. st is the trials' status.
func (sw *Sweep) Propose(st []TrialStatus) ([]int, error) {
	s := sw.Search
	if s == nil || s.Method != MethodTPE || sw.Cancelled {
		return nil, nil
	}
	pts := sw.points()
	var obs, running []observation
	busy := 0
	for _, p := range pts {
		done, total, n := true, 0.0, 0
		for _, i := range p.trials {
			if i >= len(st) || !sw.finished(st[i]) {
				done = false
				busy++
				continue
			}
			// A trial with no score (it failed before its first epoch)
			// counts as the worst there is.
			f1 := st[i].BestF1
			if math.IsNaN(f1) {
				f1 = -1
			}
			total, n = total+f1, n+1
		}
		if done {
			obs = append(obs, observation{values: valuesOf(p.params), score: total / float64(n)})
		} else {
			running = append(running, liar(p.params))
		}
	}
	left := s.Points - len(pts)
	free := (max(sw.Parallel, 1) - busy) / s.perPoint()
	if busy == 0 {
		free = max(free, 1)
	}
	count := min(left, free)
	if count <= 0 {
		return nil, nil
	}
	space, err := ParseRandom(s.Space)
	if err != nil {
		return nil, fmt.Errorf("sweep.json's search space: %w", err)
	}
	// The draws follow from the search's seed and how many settings came
	// before: a resumed search proposes as it would have.
	rng := rand.New(rand.NewPCG(s.Seed, uint64(len(pts))^0x74706521)) // "tpe!"
	var added []int
	for range count {
		kv, by := []KV(nil), TrialDrawn
		if len(obs) < 2 {
			for _, d := range space {
				kv = append(kv, KV{d.Name, d.draw(rng)})
			}
		} else {
			// The settings still training count as bad ones (a
			// "constant liar"), so that parallel slots try apart.
			kv, by = s.propose(space, append(slices.Clone(obs), running...), rng), TrialProposedTPE
		}
		running = append(running, liar(kv))
		added = append(added, sw.addPoint(kv, by)...)
	}
	return added, sw.Save()
}

// addPoint adds the trials of one setting (its folds and seeds, as
// Expand orders them) and returns their indexes.
func (sw *Sweep) addPoint(kv []KV, by string) []int {
	s := sw.Search
	var added []int
	for seed := range max(s.Seeds, 1) {
		for fold := range max(s.Folds, 1) {
			t := Trial{Index: len(sw.Trials), Params: kv, Proposed: by}
			if s.Seeds > 1 {
				t.Seed = uint64(seed + 1)
			}
			if s.Folds > 1 {
				t.Fold, t.Folds = fold+1, s.Folds
			}
			t.RunID = fmt.Sprintf("t%03d", t.Index)
			sw.Trials = append(sw.Trials, t)
			added = append(added, t.Index)
		}
	}
	return added
}

// Tried is how many settings the search has tried or is trying.
func (sw *Sweep) Tried() int { return len(sw.points()) }

// Progress says how far the search is: "TPE, 7 of 20 settings (5 drawn
// at random, 2 proposed by TPE)".
func (s *Search) Progress(sw *Sweep) string {
	pts := sw.points()
	tpe := 0
	for _, p := range pts {
		if t := sw.Trials[p.trials[0]]; t.Proposed == TrialProposedTPE {
			tpe++
		}
	}
	return fmt.Sprintf("%s, %d of %d settings (%d drawn at random, %d proposed by TPE)", s.Name(), len(pts), s.Points, len(pts)-tpe, tpe)
}

// Name is the search's method as status names it: "TPE" (joint) or
// "independent TPE".
func (s *Search) Name() string {
	if !s.Joint {
		return "independent TPE"
	}
	return "TPE"
}

func valuesOf(kv []KV) map[string]string {
	vals := map[string]string{}
	for _, x := range kv {
		vals[x.Name] = x.Value
	}
	return vals
}

// liar is a setting still training, as TPE counts it while it waits: worse
// than any finished one (Optuna's constant liar), so that the next
// proposals look elsewhere.
func liar(kv []KV) observation { return observation{values: valuesOf(kv), score: math.Inf(-1)} }
