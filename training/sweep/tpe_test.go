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

// TestTPEFindsMoreThanRandom: on a known function of four settings (a
// log-range learning rate, a range, whole numbers and a list), with 30
// tries, 5 of them random at first, TPE's best try is better than random
// search's on average over 40 searches, and in most of them.
func TestTPEFindsMoreThanRandom(t *testing.T) {
	space, err := ParseRandom("lr=log:1e-5..1e-1;dropout=0..0.5;batch=8..64;loss=ce,focal,smooth,f1")
	if err != nil {
		t.Fatal(err)
	}
	score := func(kv []KV) float64 {
		v := map[string]string{}
		for _, x := range kv {
			v[x.Name] = x.Value
		}
		lr, _ := strconv.ParseFloat(v["lr"], 64)
		dropout, _ := strconv.ParseFloat(v["dropout"], 64)
		batch, _ := strconv.ParseFloat(v["batch"], 64)
		e1, e2, e3 := math.Log10(lr)+2.5, dropout-0.1, (batch-24)/40
		s := -e1*e1 - 4*e2*e2 - e3*e3
		if v["loss"] == "focal" {
			s += 0.3
		}
		return s
	}
	const searches, tries, startup = 40, 30, 5
	var tpeSum, randSum float64
	wins := 0
	for s := range searches {
		rng := rand.New(rand.NewPCG(uint64(s), 9))
		var obs []observation
		bestTPE, bestRand := math.Inf(-1), math.Inf(-1)
		for i := range tries {
			var kv []KV
			if i < startup {
				for _, d := range space {
					kv = append(kv, KV{d.Name, d.draw(rng)})
				}
			} else {
				kv = proposeTPE(space, obs, rng)
			}
			y := score(kv)
			vals := map[string]string{}
			for _, x := range kv {
				vals[x.Name] = x.Value
			}
			obs = append(obs, observation{values: vals, score: y})
			bestTPE = max(bestTPE, y)
			var r []KV
			for _, d := range space {
				r = append(r, KV{d.Name, d.draw(rng)})
			}
			bestRand = max(bestRand, score(r))
		}
		tpeSum, randSum = tpeSum+bestTPE, randSum+bestRand
		if bestTPE > bestRand {
			wins++
		}
	}
	t.Logf("best of %d tries, mean over %d searches: TPE %.4f, random %.4f (the optimum 0.3); TPE better in %d", tries, searches, tpeSum/searches, randSum/searches, wins)
	if tpeSum <= randSum || wins < searches*2/3 {
		t.Errorf("TPE %.4f against random %.4f on average, better in %d of %d searches", tpeSum/searches, randSum/searches, wins, searches)
	}
}

// TestTPELiarSpreadsParallelTries: a setting still training counts as a
// bad one (liar), so that TPE's next proposal, for another slot, lands
// farther from it than without the lie (over 300 proposals).
func TestTPELiarSpreadsParallelTries(t *testing.T) {
	space, err := ParseRandom("lr=log:1e-5..1e-1")
	if err != nil {
		t.Fatal(err)
	}
	var obs []observation
	for lr, f1 := range map[string]float64{"0.001": 0.5, "0.0012": 0.5, "1e-05": 0.1, "0.1": 0.1, "0.0001": 0.2, "0.01": 0.2} {
		obs = append(obs, observation{values: map[string]string{"lr": lr}, score: f1})
	}
	running := liar([]KV{{"lr", "0.0011"}})
	far := func(o []observation) float64 {
		var d float64
		for s := range 300 {
			v, _ := strconv.ParseFloat(proposeTPE(space, o, rand.New(rand.NewPCG(uint64(s), 1)))[0].Value, 64)
			d += math.Abs(math.Log(v / 0.0011))
		}
		return d / 300
	}
	honest, lying := far(obs), far(append(obs, running))
	t.Logf("mean |log(lr/0.0011)| of the proposals: %.3f without the liar, %.3f with", honest, lying)
	if lying <= honest {
		t.Errorf("the liar did not move the proposals away: %.3f against %.3f", lying, honest)
	}
}
