package sweep

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestParzenIsADensity: the estimator's density integrates to 1 over its
// range (each truncated normal weighed by its mass inside), wherever the
// points sit, the ends included; its draws stay in the range.
func TestParzenIsADensity(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, pts := range [][]float64{nil, {0.5}, {-3, -3, -2.9}, {-3, 2, 2, 1.99, 0}, {1.999, 2}} {
		p := newParzen(pts, -3, 2)
		const steps = 20000
		h := 5.0 / steps
		var total float64
		for i := range steps {
			total += math.Exp(p.logPDF(-3+(float64(i)+0.5)*h)) * h
		}
		if math.Abs(total-1) > 1e-3 {
			t.Errorf("points %v: the density integrates to %.5f", pts, total)
		}
		for range 1000 {
			if u := p.sample(rng); u < -3 || u > 2 {
				t.Fatalf("points %v: a draw at %v", pts, u)
			}
		}
	}
}

// knownSpace is the known functions' space: a log-range learning rate, a
// range, whole numbers and a list.
const knownSpace = "lr=log:1e-5..1e-1;dropout=0..0.5;batch=8..64;loss=ce,focal,smooth,f1"

// separable is a known function of knownSpace whose settings count each
// on its own: best at lr 10^-2.5, dropout 0.1, batch 24, focal (0.3).
func separable(lr, dropout, batch float64, loss string) float64 {
	e1, e2, e3 := math.Log10(lr)+2.5, dropout-0.1, (batch-24)/40
	s := -e1*e1 - 4*e2*e2 - e3*e3
	if loss == "focal" {
		s += 0.3
	}
	return s
}

// interacting is a known function whose best learning rate depends on
// the loss, and the best dropout on the learning rate (0 at its best).
func interacting(lr, dropout, batch float64, loss string) float64 {
	best := map[string]float64{"ce": -4.5, "focal": -1.5, "smooth": -3, "f1": -2}[loss]
	l := math.Log10(lr)
	e1, e2, e3 := l-best, dropout-0.1*(l+5), (batch-24)/40
	return -e1*e1 - 4*e2*e2 - e3*e3
}

// bestOfSearches runs searches searches of tries tries (the first startup
// drawn at random, the rest proposed by propose; nil: all at random) on
// the known function f, and returns each search's best score.
func bestOfSearches(t *testing.T, f func(lr, dropout, batch float64, loss string) float64, propose func([]Dist, []observation, *rand.Rand) []KV) []float64 {
	t.Helper()
	space, err := ParseRandom(knownSpace)
	if err != nil {
		t.Fatal(err)
	}
	const searches, tries, startup = 40, 30, 5
	score := func(kv []KV) (float64, map[string]string) {
		v := map[string]string{}
		for _, x := range kv {
			v[x.Name] = x.Value
		}
		num := func(k string) float64 {
			x, err := strconv.ParseFloat(v[k], 64)
			if err != nil {
				t.Fatalf("%s=%q is not a number", k, v[k])
			}
			return x
		}
		return f(num("lr"), num("dropout"), num("batch"), v["loss"]), v
	}
	var bests []float64
	for s := range searches {
		rng := rand.New(rand.NewPCG(uint64(s), 9))
		var obs []observation
		best := math.Inf(-1)
		for i := range tries {
			var kv []KV
			if i < startup || propose == nil {
				for _, d := range space {
					kv = append(kv, KV{d.Name, d.draw(rng)})
				}
			} else {
				kv = propose(space, obs, rng)
			}
			y, vals := score(kv)
			obs = append(obs, observation{values: vals, score: y})
			best = max(best, y)
		}
		bests = append(bests, best)
	}
	return bests
}

// beats compares two methods' bests search by search: the mean of each
// and how many searches a won.
func beats(a, b []float64) (meanA, meanB float64, wins int) {
	for i := range a {
		meanA, meanB = meanA+a[i]/float64(len(a)), meanB+b[i]/float64(len(b))
		if a[i] > b[i] {
			wins++
		}
	}
	return meanA, meanB, wins
}

// TestTPEFindsMoreThanRandom: on the separable known function, with 30
// tries, 5 of them random at first, TPE's best try, independent and
// joint, is better than random search's on average over 40 searches, and
// in most of them.
func TestTPEFindsMoreThanRandom(t *testing.T) {
	random := bestOfSearches(t, separable, nil)
	for name, propose := range map[string]func([]Dist, []observation, *rand.Rand) []KV{"independent": proposeTPE, "joint": proposeTPEJoint} {
		tpe, rnd, wins := beats(bestOfSearches(t, separable, propose), random)
		t.Logf("best of 30 tries, mean over 40 searches: %s TPE %.4f, random %.4f (the optimum 0.3); TPE better in %d", name, tpe, rnd, wins)
		if tpe <= rnd || wins < 40*2/3 {
			t.Errorf("%s TPE %.4f against random %.4f on average, better in %d of 40 searches", name, tpe, rnd, wins)
		}
	}
}

// TestJointTPELearnsWhatInteracts: where the best learning rate depends
// on the loss (the interacting known function), joint TPE, which draws
// and scores whole settings, finds more than independent TPE, which
// scores each setting on its own, on average over 40 searches and in
// most of them; on the separable function it is no worse on average.
func TestJointTPELearnsWhatInteracts(t *testing.T) {
	joint, indep, wins := beats(bestOfSearches(t, interacting, proposeTPEJoint), bestOfSearches(t, interacting, proposeTPE))
	t.Logf("interacting, best of 30 tries, mean over 40 searches: joint %.4f, independent %.4f (the optimum 0); joint better in %d", joint, indep, wins)
	if joint <= indep || wins < 40*2/3 {
		t.Errorf("joint TPE %.4f against independent %.4f, better in %d of 40 searches", joint, indep, wins)
	}
	sj, si, sw := beats(bestOfSearches(t, separable, proposeTPEJoint), bestOfSearches(t, separable, proposeTPE))
	t.Logf("separable: joint %.4f, independent %.4f; joint better in %d", sj, si, sw)
	if sj < si {
		t.Errorf("on the separable function joint TPE %.4f is below independent %.4f", sj, si)
	}
}

// TestJointParzenIsADensity: the joint density of a range and a list
// integrates to 1 over the space (a sum over the list of the range's
// integral), with and without settings tried, and its samples stay in
// bounds and on the list.
func TestJointParzenIsADensity(t *testing.T) {
	space, err := ParseRandom("dropout=0..0.5;loss=ce,focal,smooth")
	if err != nil {
		t.Fatal(err)
	}
	obs := []observation{{values: map[string]string{"dropout": "0.1", "loss": "focal"}}, {values: map[string]string{"dropout": "0.45", "loss": "ce"}},
		{values: map[string]string{"dropout": "bad", "loss": "nope"}}}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, o := range [][]observation{nil, obs} {
		p := newJointParzen(space, o)
		var total float64
		const n = 20000
		for c := range 3 {
			for i := range n {
				u := 0.5 * (float64(i) + 0.5) / n
				total += math.Exp(p.logPDF([]float64{u, float64(c)})) * 0.5 / n
			}
		}
		if math.Abs(total-1) > 1e-3 {
			t.Errorf("%d settings tried: the density integrates to %.5f", len(o), total)
		}
		for range 1000 {
			x := p.sample(rng)
			if x[0] < 0 || x[0] > 0.5 || x[1] != math.Trunc(x[1]) || x[1] < 0 || x[1] > 2 {
				t.Fatalf("sample %v outside the space", x)
			}
		}
	}
}

// TestTPELiarSpreadsParallelTries: a setting still training counts as a
// bad one (liar), so that TPE's next proposal, for another slot, lands
// farther from it than without the lie (over 300 proposals), joint or
// independent.
func TestTPELiarSpreadsParallelTries(t *testing.T) {
	space, err := ParseRandom("lr=log:1e-5..1e-1")
	if err != nil {
		t.Fatal(err)
	}
	var obs []observation
	for _, o := range []struct {
		lr string
		f1 float64
	}{{"0.001", 0.5}, {"0.0012", 0.5}, {"1e-05", 0.1}, {"0.1", 0.1}, {"0.0001", 0.2}, {"0.01", 0.2}} {
		obs = append(obs, observation{values: map[string]string{"lr": o.lr}, score: o.f1})
	}
	running := liar([]KV{{"lr", "0.0011"}})
	for name, propose := range map[string]func([]Dist, []observation, *rand.Rand) []KV{"independent": proposeTPE, "joint": proposeTPEJoint} {
		far := func(o []observation) float64 {
			var d float64
			for s := range 300 {
				v, _ := strconv.ParseFloat(propose(space, o, rand.New(rand.NewPCG(uint64(s), 1)))[0].Value, 64)
				d += math.Abs(math.Log(v / 0.0011))
			}
			return d / 300
		}
		honest, lying := far(obs), far(append(obs, running))
		t.Logf("%s: mean |log(lr/0.0011)| of the proposals: %.3f without the liar, %.3f with", name, honest, lying)
		if lying <= honest {
			t.Errorf("%s: the liar did not move the proposals away: %.3f against %.3f", name, lying, honest)
		}
	}
}
