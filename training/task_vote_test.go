package training

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/dataset"
)

// TestTaskMarginalsAndTheirProduct: an 18-class distribution's task
// marginals sum its classes of each task's class; multiplying three task
// distributions gives an 18-class distribution whose marginals are those
// three, and which is the distribution itself when its tasks are
// independent.
func TestTaskMarginalsAndTheirProduct(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	// Independent tasks: p(c) = pm(m)·pg(g)·pa(a).
	pm, pg, pa := []float64{0.7, 0.1, 0.2}, []float64{0.4, 0.6}, []float64{0.5, 0.3, 0.2}
	indep := make([]float64, dataset.NumClasses)
	for c := range indep {
		m, g, a := dataset.Decode(c)
		indep[c] = math.Log(pm[m] * pg[g] * pa[a])
	}
	// And one with dependent tasks.
	dep := make([]float64, dataset.NumClasses)
	var z float64
	for c := range dep {
		v := rng.Float64() + 0.01
		dep[c], z = v, z+v
	}
	for c := range dep {
		dep[c] = math.Log(dep[c] / z)
	}
	lp := [][]float64{indep, dep}
	marg := [3][][]float64{taskMarginals(lp, 0), taskMarginals(lp, 1), taskMarginals(lp, 2)}
	for k, want := range [][]float64{pm, pg, pa} {
		for j, w := range want {
			if got := math.Exp(marg[k][0][j]); math.Abs(got-w) > 1e-12 {
				t.Errorf("task %d class %d: marginal %v, want %v", k, j, got, w)
			}
		}
	}
	q := combineTasks(marg[0], marg[1], marg[2])
	for c := range indep {
		if math.Abs(q[0][c]-indep[c]) > 1e-12 {
			t.Errorf("independent tasks, class %d: the product %v, the distribution %v", c, q[0][c], indep[c])
		}
	}
	var sum float64
	for _, v := range q[1] {
		sum += math.Exp(v)
	}
	again := [3][][]float64{taskMarginals(q[1:], 0), taskMarginals(q[1:], 1), taskMarginals(q[1:], 2)}
	for k := range again {
		for j := range again[k][0] {
			if math.Abs(again[k][0][j]-marg[k][1][j]) > 1e-12 {
				t.Errorf("the product's task %d marginal %d: %v, want %v", k, j, again[k][0][j], marg[k][1][j])
			}
		}
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("the product sums to %v", sum)
	}
}

// TestTaskRun: --task age trains on the age classes: its training and
// validation images are labelled by age alone (the same images as a run
// of the 18 classes), the header and checkpoint say the task, and a
// prediction names its column age, so that it is not taken for a
// submission or for pseudo-labels.
func TestTaskRun(t *testing.T) {
	cfg := tinyConfig(t, t.TempDir())
	plain := testTrainer(t, cfg, nil)
	cfg.Task = "age"
	tr := testTrainer(t, cfg, nil)
	if tr.train.Len() != plain.train.Len() || tr.val.Len() != plain.val.Len() || len(tr.train.Classes) != 3 {
		t.Fatalf("%d/%d images of %d classes; the 18-class run %d/%d", tr.train.Len(), tr.val.Len(), len(tr.train.Classes), plain.train.Len(), plain.val.Len())
	}
	for i, s := range tr.val.Samples {
		if p := plain.val.Samples[i]; s.Name != p.Name || s.Label != p.Label%3 {
			t.Fatalf("validation image %d: %s class %d; as 18 classes %s class %d", i, s.Name, s.Label, p.Name, p.Label)
		}
	}
	if h := tr.Header(); h.Task != "age" || len(h.Classes) != 3 || h.Masked {
		t.Errorf("header: task %q, classes %v, masked %v", h.Task, h.Classes, h.Masked)
	}
	if m := tr.meta(nil, OptState{}); m.Data.Task != "age" || len(m.Classes) != 3 {
		t.Errorf("checkpoint: task %q, classes %v", m.Data.Task, m.Classes)
	}
	tr.dir = t.TempDir() // a run folder's predictions/, as runs.Store makes it
	if err := os.Mkdir(filepath.Join(tr.dir, "predictions"), 0o755); err != nil {
		t.Fatal(err)
	}
	path, _, _, err := tr.predictNow()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.HasPrefix(string(b), "ImageID,age\n") {
		t.Fatalf("%s: %v\n%.80s", path, err, b)
	}
	if _, _, err := dataset.ReadPseudoLabels(path); err == nil || !strings.Contains(err.Error(), "holds one task's classes") {
		t.Errorf("the age predictions as pseudo-labels: %v", err)
	}
	if _, _, err := dataset.ReadPseudoLabels(filepath.Join(filepath.Dir(path), strings.TrimSuffix(filepath.Base(path), ".csv")+"-probs.csv")); err == nil {
		t.Error("the age probabilities as pseudo-labels were taken")
	}
	cfg.Model = "cnn-s-mh"
	if err := cfg.Check(); err == nil || !strings.Contains(err.Error(), "predicts all three") {
		t.Errorf("a -mh model with --task: %v", err)
	}
}
