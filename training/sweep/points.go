package sweep

import (
	"fmt"
	"sort"
	"strings"
)

// Point is one setting of a sweep, its searched values, with the trials
// that train it: its folds of a K-fold split, its seeds. A sweep with
// folds or seeds compares settings by their points' means, the
// cross-validation figure, not by their luckiest trial.
type Point struct {
	Params string        // the searched values, "lr=0.0003 loss=ce"; "" for none
	Trials []TrialStatus // those with a finished epoch, best first
	Of     int           // how many trials train the setting in all
	Mean   float64       // the mean of Trials' best macro F1
}

// Label is the point's settings as Trial.Label writes a trial's, without
// fold and seed.
func (p Point) Label() string {
	if p.Params == "" {
		return "(defaults)"
	}
	return p.Params
}

// Points groups st's trials by their searched values (Params, the fold
// and seed set aside), and returns the settings with a finished epoch,
// the best mean first.
func Points(st []TrialStatus) []Point {
	var order []string
	by := map[string]*Point{}
	for _, t := range st {
		var kv []string
		for _, p := range t.Params {
			kv = append(kv, p.Name+"="+p.Value)
		}
		key := strings.Join(kv, " ")
		p, ok := by[key]
		if !ok {
			p = &Point{Params: key}
			by[key] = p
			order = append(order, key)
		}
		p.Of++
	}
	for _, t := range Best(st) {
		var kv []string
		for _, p := range t.Params {
			kv = append(kv, p.Name+"="+p.Value)
		}
		p := by[strings.Join(kv, " ")]
		p.Trials = append(p.Trials, t)
	}
	var out []Point
	for _, key := range order {
		p := by[key]
		if len(p.Trials) == 0 {
			continue
		}
		sum := 0.0
		for _, t := range p.Trials {
			sum += t.BestF1
		}
		p.Mean = sum / float64(len(p.Trials))
		out = append(out, *p)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Mean > out[b].Mean })
	return out
}

// Says is the point as a line of sweep status says it: its mean over
// its trials (of unit: folds, seeds) and each one's figure.
func (p Point) Says(unit string) string {
	each := make([]string, len(p.Trials))
	for k, t := range p.Trials {
		each[k] = fmt.Sprintf("%s %.4f", t.RunID, t.BestF1)
	}
	return fmt.Sprintf("mean macro F1 %.4f over %d of %d %s (%s)", p.Mean, len(p.Trials), p.Of, unit, strings.Join(each, ", "))
}

// Unit is what a sweep's trials of one setting differ by: folds, seeds,
// or folds and seeds.
func (sw *Sweep) Unit() string {
	if len(sw.Trials) == 0 {
		return ""
	}
	t := sw.Trials[0]
	switch {
	case t.Folds > 0 && t.Seed > 0:
		return "folds and seeds"
	case t.Folds > 0:
		return "folds"
	default:
		return "seeds"
	}
}

// PerPoint reports whether the sweep's settings each train several
// trials (folds or seeds), so that Points is how to compare them.
func (sw *Sweep) PerPoint() bool {
	return len(sw.Trials) > 0 && (sw.Trials[0].Folds > 0 || sw.Trials[0].Seed > 0)
}
