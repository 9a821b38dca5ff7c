package runs

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/maskdash/maskdash/internal/pyref"
)

// TestClassPRIsScikitLearns: each class's curve and average precision,
// on random probabilities with ties (quantised to 1/20), are
// scikit-learn's precision_recall_curve (to full recall, where it stops)
// and average_precision_score; a class without images has none, and the
// argmax point is the confusion's precision and recall.
func TestClassPRIsScikitLearns(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	const n, classes = 300, 5
	p := &ValPreds{Classes: classes}
	for range n {
		truth := r.IntN(classes - 1) // no image of the last class
		var row []float32
		sum := float32(0)
		for c := range classes {
			v := float32(math.Round(20*(r.Float64()+0.6*b2f(c == truth)))) / 20
			row = append(row, v)
			sum += v
		}
		best := 0
		for c := range row {
			row[c] /= sum
			if row[c] > row[best] {
				best = c
			}
		}
		p.Truth, p.Pred, p.Probs = append(p.Truth, truth), append(p.Pred, best), append(p.Probs, row...)
	}
	var want []struct {
		AP        *float64  `json:"ap"`
		Precision []float64 `json:"precision"`
		Recall    []float64 `json:"recall"`
		Threshold []float64 `json:"thresholds"`
	}
	probs := make([]float64, len(p.Probs))
	for i, v := range p.Probs {
		probs[i] = float64(v)
	}
	pyref.Run(t, "sklearn", "python3-sklearn", `
import json, sys, warnings
import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve
warnings.simplefilter("ignore")
d = json.load(sys.stdin)
y, s = np.array(d["truth"]), np.array(d["probs"]).reshape(-1, d["classes"])
out = []
for c in range(d["classes"]):
    if not (y == c).any():
        out.append({"ap": None, "precision": [], "recall": [], "thresholds": []})
        continue
    pr, rc, th = precision_recall_curve(y == c, s[:, c])
    # sklearn: thresholds rising, its last point (1, 0) added; here from
    # the highest threshold down.
    out.append({"ap": average_precision_score(y == c, s[:, c]), "precision": pr[:-1][::-1].tolist(),
                "recall": rc[:-1][::-1].tolist(), "thresholds": th[::-1].tolist()})
print(json.dumps(out))`, map[string]any{"truth": p.Truth, "probs": probs, "classes": classes}, &want)
	var curves []PRCurve
	for c := range classes {
		got := ClassPR(p, c)
		curves = append(curves, got)
		w := want[c]
		if w.AP == nil {
			if !math.IsNaN(got.AP) || got.Support != 0 {
				t.Errorf("class %d has no images: AP %g, support %d", c, got.AP, got.Support)
			}
			continue
		}
		if math.Abs(got.AP-*w.AP) > 1e-12 {
			t.Errorf("class %d: AP %.15f, scikit-learn %.15f", c, got.AP, *w.AP)
		}
		if len(got.Threshold) < len(w.Threshold) {
			t.Fatalf("class %d: %d points, scikit-learn %d", c, len(got.Threshold), len(w.Threshold))
		}
		for k := range w.Threshold {
			if got.Threshold[k] != w.Threshold[k] || math.Abs(got.Precision[k]-w.Precision[k]) > 1e-12 || math.Abs(got.Recall[k]-w.Recall[k]) > 1e-12 {
				t.Errorf("class %d point %d: (%g, %g, %g), scikit-learn (%g, %g, %g)", c, k, got.Threshold[k], got.Precision[k], got.Recall[k],
					w.Threshold[k], w.Precision[k], w.Recall[k])
				break
			}
		}
		// The argmax point, counted from the predictions.
		tp, pred, sup := 0, 0, 0
		for i := range p.Truth {
			tp += b2i(p.Truth[i] == c && p.Pred[i] == c)
			pred += b2i(p.Pred[i] == c)
			sup += b2i(p.Truth[i] == c)
		}
		if got.Support != sup || got.ArgmaxRecall != float64(tp)/float64(sup) || pred > 0 && got.ArgmaxPrecision != float64(tp)/float64(pred) {
			t.Errorf("class %d: support %d, argmax %g/%g; counted %d, %d of %d predicted", c, got.Support, got.ArgmaxPrecision, got.ArgmaxRecall, sup, tp, pred)
		}
	}
	var sum float64
	for _, w := range want[:classes-1] {
		sum += *w.AP
	}
	if m := MacroAP(curves); math.Abs(m-sum/(classes-1)) > 1e-12 {
		t.Errorf("macro AP %g, want %g (the classes with images)", m, sum/(classes-1))
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
