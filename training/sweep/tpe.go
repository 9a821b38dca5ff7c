package sweep

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat/distuv"
)

// TPE's settings (Bergstra et al., "Algorithms for Hyper-Parameter
// Optimization", 2011, as hyperopt and Optuna use them).
const (
	// tpeGamma is the share of the finished settings that count as good.
	tpeGamma = 0.25
	// tpeCandidates is how many values are drawn from the good settings'
	// density, of which the one most likelier there than among the bad
	// settings is proposed.
	tpeCandidates = 24
)

// observation is one finished setting of a search and its score (the mean
// best macro F1 of its trials: higher is better).
type observation struct {
	values map[string]string // by setting name
	score  float64
}

// proposeTPE proposes the next setting of space from the finished ones
// (at least two) by the tree-structured Parzen estimator: the best
// quarter are the good settings, the rest the bad; each setting's value
// is, of tpeCandidates values drawn from the good ones' density l, the
// one with the largest l/g, g the bad ones' density. Each setting is
// proposed on its own (independent TPE).
func proposeTPE(space []Dist, obs []observation, rng *rand.Rand) []KV {
	good, bad := splitGood(obs)
	var out []KV
	for _, d := range space {
		out = append(out, KV{d.Name, d.proposeTPE(good, bad, rng)})
	}
	return out
}

// splitGood splits the finished settings into the best quarter (at least
// one), the good ones, and the rest, the bad.
func splitGood(obs []observation) (good, bad []observation) {
	sorted := slices.Clone(obs)
	slices.SortStableFunc(sorted, func(a, b observation) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	nGood := max(1, int(math.Ceil(tpeGamma*float64(len(sorted)))))
	return sorted[:nGood], sorted[nGood:]
}

// proposeTPE is the value of this setting that TPE proposes.
func (d Dist) proposeTPE(good, bad []observation, rng *rand.Rand) string {
	if d.Kind == distList {
		return d.proposeCategory(good, bad, rng)
	}
	a, b := d.bounds()
	l, g := newParzen(d.points(good), a, b), newParzen(d.points(bad), a, b)
	best, bestGain := 0.0, math.Inf(-1)
	for range tpeCandidates {
		u := l.sample(rng)
		if gain := l.logPDF(u) - g.logPDF(u); gain > bestGain {
			best, bestGain = u, gain
		}
	}
	return d.format(best)
}

// proposeCategory picks a value of a list: each value's weight among the
// good and among the bad settings is its count plus one (so that a value
// not yet tried keeps a chance); of tpeCandidates values drawn by the good
// weights, the one with the largest ratio of good to bad weight.
func (d Dist) proposeCategory(good, bad []observation, rng *rand.Rand) string {
	weights := func(obs []observation) []float64 {
		w := make([]float64, len(d.Values))
		for i := range w {
			w[i] = 1
		}
		for _, o := range obs {
			if i := slices.Index(d.Values, o.values[d.Name]); i >= 0 {
				w[i]++
			}
		}
		return w
	}
	lw, gw := weights(good), weights(bad)
	lSum, gSum := floats.Sum(lw), floats.Sum(gw)
	draw := distuv.NewCategorical(lw, rng)
	best, bestGain := 0, math.Inf(-1)
	for range tpeCandidates {
		i := int(draw.Rand())
		if gain := math.Log(lw[i]/lSum) - math.Log(gw[i]/gSum); gain > bestGain {
			best, bestGain = i, gain
		}
	}
	return d.Values[best]
}

// bounds are the setting's range where TPE works: the logarithm's for a
// log range, and half a step past each end for whole numbers, so that
// rounding gives the ends their share.
func (d Dist) bounds() (float64, float64) {
	switch {
	case d.Kind == distLog:
		return math.Log(d.Lo), math.Log(d.Hi)
	case d.Int:
		return d.Lo - 0.5, d.Hi + 0.5
	}
	return d.Lo, d.Hi
}

// points are the observations' values of this setting where TPE works
// (bounds); values that do not read as numbers are left out.
func (d Dist) points(obs []observation) []float64 {
	var u []float64
	for _, o := range obs {
		v, err := strconv.ParseFloat(o.values[d.Name], 64)
		if err != nil {
			continue
		}
		if d.Kind == distLog {
			if v <= 0 {
				continue
			}
			v = math.Log(v)
		}
		u = append(u, v)
	}
	return u
}

// format is the value at u (where TPE works) as a trial's flag takes it,
// as draw writes it.
func (d Dist) format(u float64) string {
	switch {
	case d.Kind == distLog:
		return strconv.FormatFloat(min(max(math.Exp(u), d.Lo), d.Hi), 'g', 4, 64)
	case d.Int:
		return strconv.Itoa(int(min(max(math.Round(u), d.Lo), d.Hi)))
	}
	return strconv.FormatFloat(min(max(u, d.Lo), d.Hi), 'g', 4, 64)
}

// parzen is a Parzen estimator on [a, b]: an equal mixture of normal
// densities truncated to the range, one at each point and a broad one
// (the prior) at the middle.
type parzen struct {
	a, b   float64
	comps  []distuv.Normal
	masses []float64 // each component's mass inside [a, b]
}

// newParzen is the estimator of points in [a, b]. Each point's width is
// the larger distance to its neighbours (the ends of the range count as
// neighbours), held between (b−a)/min(100, n+1) and b−a: wide where points
// are few, narrow where they crowd (hyperopt's rule).
func newParzen(points []float64, a, b float64) *parzen {
	type centre struct {
		mu    float64
		prior bool
	}
	cs := []centre{{(a + b) / 2, true}}
	for _, u := range points {
		cs = append(cs, centre{u, false})
	}
	slices.SortStableFunc(cs, func(x, y centre) int { return cmp.Compare(x.mu, y.mu) })
	width := b - a
	narrowest := width / math.Min(100, float64(len(cs)))
	p := &parzen{a: a, b: b}
	for i, c := range cs {
		sigma := width // the prior's
		if !c.prior {
			left, right := a, b
			if i > 0 {
				left = cs[i-1].mu
			}
			if i < len(cs)-1 {
				right = cs[i+1].mu
			}
			sigma = min(max(c.mu-left, right-c.mu, narrowest), width)
		}
		n := distuv.Normal{Mu: c.mu, Sigma: sigma}
		p.comps, p.masses = append(p.comps, n), append(p.masses, n.CDF(b)-n.CDF(a))
	}
	return p
}

// logPDF is the log density at u (inside [a, b]).
func (p *parzen) logPDF(u float64) float64 {
	var s float64
	for i, n := range p.comps {
		if p.masses[i] > 0 {
			s += n.Prob(u) / p.masses[i]
		}
	}
	return math.Log(s / float64(len(p.comps)))
}

// sample draws a value in [a, b]: a component at random, then its normal
// until a draw falls inside (clamped after 100 misses).
func (p *parzen) sample(rng *rand.Rand) float64 {
	n := p.comps[rng.IntN(len(p.comps))]
	for range 100 {
		if u := n.Mu + n.Sigma*rng.NormFloat64(); u >= p.a && u <= p.b {
			return u
		}
	}
	return min(max(n.Mu, p.a), p.b)
}
