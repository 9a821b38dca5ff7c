package sweep

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/stat/distuv"
)

// Joint TPE (the multivariate TPE of Falkner et al. 2018, Optuna's
// multivariate=True): the good and the bad settings' densities are over
// all settings at once, each a mixture with one component per setting
// tried (a product of one kernel per setting) and a broad prior, so a
// candidate is drawn whole from one good setting's neighbourhood and
// scored whole. Independent TPE (proposeTPE) scores each setting apart
// and cannot learn that two interact: that a rate is good with one loss
// and bad with another.

// jointBandwidth is a numeric setting's kernel width, as a share of its
// range, for one setting tried; it narrows as n^(−1/(d+4)) with n
// settings tried in d dimensions (Scott's rule, as Optuna's).
const jointBandwidth = 0.2

// listStay is the chance a list setting's kernel keeps its setting's
// value; the rest is spread evenly over the list (so that every value
// keeps a chance).
const listStay = 0.5

// jointParzen is one density over the whole space: a component for each
// setting tried, plus the prior (uniform lists, a broad normal over each
// range).
type jointParzen struct {
	space []Dist
	// at[c][k] is component c's centre in setting k: where TPE works for
	// a range (bounds), the value's index for a list; NaN for the prior
	// (or a value that does not read).
	at     [][]float64
	sigma  []float64 // per setting, the components' width (ranges)
	lo, hi []float64 // per setting, its bounds (ranges)
}

func newJointParzen(space []Dist, obs []observation) *jointParzen {
	p := &jointParzen{space: space, sigma: make([]float64, len(space)), lo: make([]float64, len(space)), hi: make([]float64, len(space))}
	shrink := math.Pow(float64(max(len(obs), 1)), -1/float64(len(space)+4))
	for k, d := range space {
		if d.Kind == distList {
			continue
		}
		p.lo[k], p.hi[k] = d.bounds()
		w := p.hi[k] - p.lo[k]
		p.sigma[k] = max(jointBandwidth*shrink*w, w/100)
	}
	prior := make([]float64, len(space))
	for k := range prior {
		prior[k] = math.NaN()
	}
	p.at = append(p.at, prior)
	for _, o := range obs {
		c := make([]float64, len(space))
		for k, d := range space {
			c[k] = d.centre(o.values[d.Name])
		}
		p.at = append(p.at, c)
	}
	return p
}

// centre is where a value sits for setting d's kernel: its index in a
// list, its point in a range's bounds; NaN when it reads as neither.
func (d Dist) centre(v string) float64 {
	if d.Kind == distList {
		if i := slices.Index(d.Values, v); i >= 0 {
			return float64(i)
		}
		return math.NaN()
	}
	u, err := strconv.ParseFloat(v, 64)
	if err != nil || d.Kind == distLog && u <= 0 {
		return math.NaN()
	}
	if d.Kind == distLog {
		u = math.Log(u)
	}
	return u
}

// kernel is component centre c's normal in setting k (the prior's, a
// broad one at the middle, for NaN), truncated to the bounds: the normal
// and its mass inside.
func (p *jointParzen) kernel(k int, c float64) (distuv.Normal, float64) {
	n := distuv.Normal{Mu: c, Sigma: p.sigma[k]}
	if math.IsNaN(c) {
		n = distuv.Normal{Mu: (p.lo[k] + p.hi[k]) / 2, Sigma: p.hi[k] - p.lo[k]}
	}
	return n, n.CDF(p.hi[k]) - n.CDF(p.lo[k])
}

// logPDF is the log density at x (x[k] as centre writes setting k).
func (p *jointParzen) logPDF(x []float64) float64 {
	var s float64
	for _, c := range p.at {
		prod := 1.0
		for k, d := range p.space {
			if d.Kind == distList {
				q := 1 / float64(len(d.Values))
				if !math.IsNaN(c[k]) {
					q = (1 - listStay) * q
					if x[k] == c[k] {
						q += listStay
					}
				}
				prod *= q
				continue
			}
			n, mass := p.kernel(k, c[k])
			if mass > 0 {
				prod *= n.Prob(x[k]) / mass
			} else {
				prod = 0
			}
		}
		s += prod
	}
	return math.Log(s / float64(len(p.at)))
}

// sample draws a whole setting: a component at random, then each setting
// from its kernel (a range's until a draw falls inside, clamped after 100
// misses).
func (p *jointParzen) sample(rng *rand.Rand) []float64 {
	c := p.at[rng.IntN(len(p.at))]
	x := make([]float64, len(p.space))
	for k, d := range p.space {
		if d.Kind == distList {
			x[k] = float64(rng.IntN(len(d.Values)))
			if !math.IsNaN(c[k]) && rng.Float64() < listStay {
				x[k] = c[k]
			}
			continue
		}
		n, _ := p.kernel(k, c[k])
		x[k] = min(max(n.Mu, p.lo[k]), p.hi[k])
		for range 100 {
			if u := n.Mu + n.Sigma*rng.NormFloat64(); u >= p.lo[k] && u <= p.hi[k] {
				x[k] = u
				break
			}
		}
	}
	return x
}

// proposeTPEJoint proposes the next setting of space from the finished
// ones (at least two) by joint TPE: of tpeCandidates settings drawn from
// the good ones' density l, the one with the largest l/g.
func proposeTPEJoint(space []Dist, obs []observation, rng *rand.Rand) []KV {
	good, bad := splitGood(obs)
	l, g := newJointParzen(space, good), newJointParzen(space, bad)
	var best []float64
	bestGain := math.Inf(-1)
	for range tpeCandidates {
		x := l.sample(rng)
		if gain := l.logPDF(x) - g.logPDF(x); gain > bestGain || best == nil {
			best, bestGain = x, gain
		}
	}
	out := make([]KV, len(space))
	for k, d := range space {
		v := d.format(best[k])
		if d.Kind == distList {
			v = d.Values[int(best[k])]
		}
		out[k] = KV{d.Name, v}
	}
	return out
}
