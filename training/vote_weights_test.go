package training

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/maskdash/maskdash/internal/pyref"
)

// votingModels are three models' log-probabilities of n images of k
// classes: a good one (its true class ahead most of the time), a weaker
// one, and one that guesses.
func votingModels(n, k int, seed uint64) (truth []int, lps [][][]float64) {
	r := rand.New(rand.NewPCG(seed, 7))
	truth = make([]int, n)
	lps = make([][][]float64, 3)
	for i := range truth {
		truth[i] = r.IntN(k)
	}
	for m, skill := range []float64{2.0, 1.6, 0} {
		lps[m] = make([][]float64, n)
		for i, y := range truth {
			row := make([]float64, k)
			var z float64
			for c := range row {
				row[c] = r.NormFloat64()
				if c == y {
					row[c] += skill
				}
				z += math.Exp(row[c])
			}
			for c := range row {
				row[c] -= math.Log(z)
			}
			lps[m][i] = row
		}
	}
	return truth, lps
}

// TestFitWeightsMatchesSklearn: ensemble selection as the same steps
// written with NumPy and scikit-learn's f1_score choose it: the same bag
// (so the same weights) and the same macro F1 where fitted.
func TestFitWeightsMatchesSklearn(t *testing.T) {
	for _, seed := range []uint64{3, 4, 5} {
		truth, lps := votingModels(600, 6, seed)
		v, err := FitWeights(truth, lps)
		if err != nil {
			t.Fatal(err)
		}
		var want struct {
			W []float64 `json:"w"`
			F float64   `json:"f1"`
		}
		pyref.Run(t, "sklearn.metrics", "python3-sklearn", `
import json, sys
import numpy as np
from sklearn.metrics import f1_score
d = json.load(sys.stdin)
t = np.array(d["truth"])
P = np.exp(np.array(d["lps"]))
K = P.shape[0]
s = np.zeros(P.shape[1:])
counts = np.zeros(K, dtype=int)
best, best_f = None, -np.inf
for r in range(min(10 * K, 100)):
    pick, pick_f = 0, -np.inf
    for k in range(K):
        f = f1_score(t, (s + P[k]).argmax(axis=1), average="macro")
        if f > pick_f + 1e-12:
            pick, pick_f = k, f
    counts[pick] += 1
    s += P[pick]
    if pick_f > best_f + 1e-12 or r == 0:
        best, best_f = counts.copy(), pick_f
print(json.dumps({"w": (best / best.sum()).tolist(), "f1": best_f}))`, map[string]any{"truth": truth, "lps": lps}, &want)
		for k, w := range v.Weights {
			if math.Abs(w-want.W[k]) > 1e-12 {
				t.Errorf("seed %d: weights %v, scikit-learn's selection %v", seed, v.Weights, want.W)
				break
			}
		}
		if math.Abs(v.After-want.F) > 1e-9 {
			t.Errorf("seed %d: macro F1 where fitted %v, scikit-learn's %v", seed, v.After, want.F)
		}
		if v.Weights[2] > 0.1 {
			t.Errorf("seed %d: the guesser weighs %.3f", seed, v.Weights[2])
		}
		t.Logf("seed %d: weights %.3f, macro F1 %.4f → %.4f, held out %+.4f ± %.4f (%d of %d)", seed, v.Weights, v.Before, v.After, v.HeldOut.Gain, v.HeldOut.SD, v.HeldOut.Improved, v.HeldOut.Halves)
	}
}

// TestWeightsWorthAgainstAConfidentGuesser: a model that guesses with
// confidence (its noise sharpened fourfold) drags the equal vote down;
// the weights leave it out, and the held-out halves find them worth it.
func TestWeightsWorthAgainstAConfidentGuesser(t *testing.T) {
	truth, lps := votingModels(600, 6, 3)
	sharp := make([][]float64, len(truth))
	for i, row := range lps[2] {
		sharp[i] = make([]float64, len(row))
		var z float64
		for c, v := range row {
			sharp[i][c] = 4 * v
			z += math.Exp(4 * v)
		}
		for c := range row {
			sharp[i][c] -= math.Log(z)
		}
	}
	v, err := FitWeights(truth, [][][]float64{lps[0], sharp})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("weights %.4f, macro F1 %.4f → %.4f, held out %+.4f ± %.4f (%d of %d)", v.Weights, v.Before, v.After, v.HeldOut.Gain, v.HeldOut.SD, v.HeldOut.Improved, v.HeldOut.Halves)
	if !v.Worth() || v.After <= v.Before || v.Weights[1] > 0.1 || v.HeldOut.Halves != 2*WeightSplits {
		t.Errorf("the weights against a confident guesser: %+v", v)
	}
}

// TestFitWeightsOfEqualModels: three copies of one model vote as it
// does alone, whatever the weights; the held-out halves find no gain.
func TestFitWeightsOfEqualModels(t *testing.T) {
	truth, lps := votingModels(600, 6, 4)
	lps = [][][]float64{lps[1], lps[1], lps[1]}
	v, err := FitWeights(truth, lps)
	if err != nil {
		t.Fatal(err)
	}
	if v.Worth() || v.HeldOut.Improved > 0 || v.HeldOut.Gain != 0 || v.After != v.Before {
		t.Errorf("weights %v of copies were found worth it: %+v", v.Weights, v)
	}
}

// TestWeightedSoftVote: equal weights are the plain vote; a weight of
// one is that model alone.
func TestWeightedSoftVote(t *testing.T) {
	_, lps := votingModels(20, 4, 5)
	plain, equal, alone := SoftVote(lps), WeightedSoftVote(lps, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}), WeightedSoftVote(lps, []float64{0, 1, 0})
	for i := range plain {
		for c := range plain[i] {
			if math.Abs(plain[i][c]-equal[i][c]) > 1e-12 || math.Abs(alone[i][c]-lps[1][i][c]) > 1e-12 {
				t.Fatalf("image %d class %d: plain %v, equal %v; alone %v, the model %v", i, c, plain[i][c], equal[i][c], alone[i][c], lps[1][i][c])
			}
		}
	}
}
