package training

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMetricsMatchScikitLearn compares accuracy, per-class F1 and both
// macro F1s with scikit-learn: f1_score(average="macro") as it is called
// by default (the labels present) and over all 18 labels.
func TestMetricsMatchScikitLearn(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var truth, pred []int
	for range 500 {
		y := r.IntN(16) // classes 16 and 17 never occur in the truth
		p := y
		if r.Float64() < 0.4 {
			p = r.IntN(17) // and 17 never in the predictions: only the all-classes F1 counts it
		}
		truth, pred = append(truth, y), append(pred, p)
	}
	conf := NewConfusion(18)
	for i := range truth {
		conf.Add(truth[i], pred[i])
	}
	script := `
import json, sys
import numpy as np
from sklearn.metrics import classification_report, f1_score
d = json.load(sys.stdin)
r = classification_report(d["t"], d["p"], labels=np.arange(18), output_dict=True, zero_division=0)
print(json.dumps({"acc": r["accuracy"] if "accuracy" in r else float(np.mean(np.array(d["t"]) == np.array(d["p"]))),
                  "f1": [r[str(i)]["f1-score"] for i in range(18)],
                  "all": float(np.mean([r[str(i)]["f1-score"] for i in range(18)])),
                  "macro": float(f1_score(d["t"], d["p"], average="macro", zero_division=0))}))
`
	var ref struct {
		Acc   float64
		F1    []float64
		Macro float64
		All   float64
	}
	scikitLearn(t, script, map[string][]int{"t": truth, "p": pred}, &ref)
	if math.Abs(conf.Accuracy()-ref.Acc) > 1e-12 || math.Abs(conf.MacroF1()-ref.Macro) > 1e-12 {
		t.Errorf("accuracy %v macro F1 %v; scikit-learn %v %v", conf.Accuracy(), conf.MacroF1(), ref.Acc, ref.Macro)
	}
	if math.Abs(conf.MacroF1AllClasses()-ref.All) > 1e-12 || math.Abs(ref.All-ref.Macro) < 1e-3 {
		t.Errorf("macro F1 over all 18 classes %v, scikit-learn %v (default %v: the two must differ here)", conf.MacroF1AllClasses(), ref.All, ref.Macro)
	}
	for c, s := range conf.PerClass() {
		if math.Abs(s.F1-ref.F1[c]) > 1e-12 {
			t.Errorf("class %d F1 %v, scikit-learn %v", c, s.F1, ref.F1[c])
		}
	}
}

func TestTaskFold(t *testing.T) {
	c := NewConfusion(18)
	c.Add(4, 4)  // wear F 30-59
	c.Add(4, 16) // predicted none F 30-59: mask wrong, gender and age right
	m := c.Task(0)
	if m.M[0][0] != 1 || m.M[0][2] != 1 || c.Task(1).Accuracy() != 1 || c.Task(2).Accuracy() != 1 {
		t.Errorf("task folds: %v %v %v", m.M, c.Task(1).M, c.Task(2).M)
	}
}
