package training

import (
	"math"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
)

// Confusion is a confusion matrix: M[true][pred].
type Confusion struct {
	N int     `json:"n"`
	M [][]int `json:"m"`
}

// NewConfusion returns an empty n×n matrix.
func NewConfusion(n int) *Confusion {
	c := &Confusion{N: n, M: make([][]int, n)}
	for i := range c.M {
		c.M[i] = make([]int, n)
	}
	return c
}

// Add counts one prediction.
func (c *Confusion) Add(truth, pred int) {
	if truth >= 0 && truth < c.N && pred >= 0 && pred < c.N {
		c.M[truth][pred]++
	}
}

// Total is the number of counted predictions.
func (c *Confusion) Total() int {
	t := 0
	for _, r := range c.M {
		for _, v := range r {
			t += v
		}
	}
	return t
}

// Accuracy is the share of correct predictions.
func (c *Confusion) Accuracy() float64 {
	t, ok := c.Total(), 0
	for i := range c.N {
		ok += c.M[i][i]
	}
	if t == 0 {
		return 0
	}
	return float64(ok) / float64(t)
}

// ClassScores are one class's precision, recall, F1 and support.
type ClassScores = runs.ClassScores

// PerClass returns each class's scores with zero_division = 0, as
// scikit-learn's classification_report (runs.Scores).
func (c *Confusion) PerClass() []ClassScores { return runs.Scores(c.M) }

// MacroF1 is the mean F1 over the classes that occur in the truth or the
// predictions: scikit-learn's default f1_score(average="macro"), which is
// what the competition's scorer and competitors compute. A class absent
// from both does not count.
func (c *Confusion) MacroF1() float64 {
	var s float64
	n := 0
	for k, sc := range c.PerClass() {
		pred := 0
		for i := range c.N {
			pred += c.M[i][k]
		}
		if sc.Support > 0 || pred > 0 {
			s += sc.F1
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

// MacroF1AllClasses is the mean F1 over all N classes, an absent class
// counting as 0 (scikit-learn's f1_score with labels=range(N)). It equals
// MacroF1 when every class occurs.
func (c *Confusion) MacroF1AllClasses() float64 {
	var s float64
	for _, k := range c.PerClass() {
		s += k.F1
	}
	if c.N == 0 {
		return 0
	}
	return s / float64(c.N)
}

// Task folds an 18-class matrix into the matrix of one task (0 mask, 1
// gender, 2 age).
func (c *Confusion) Task(t int) *Confusion {
	out := NewConfusion(dataset.TaskSizes[t])
	for i := range c.N {
		for j := range c.N {
			out.M[dataset.TaskLabel(i, t)][dataset.TaskLabel(j, t)] += c.M[i][j]
		}
	}
	return out
}

// Metrics are the figures of one evaluation.
type Metrics struct {
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
	MacroF1  float64 `json:"macro_f1"` // over the classes present (scikit-learn's default)
	// MacroF1All averages over every class, absent ones as 0.
	MacroF1All float64             `json:"macro_f1_all_classes"`
	Tasks      map[string]TaskEval `json:"tasks,omitempty"`
	Classes    []ClassScores       `json:"classes,omitempty"`
}

// TaskEval holds one task's accuracy and macro F1.
type TaskEval struct {
	Accuracy float64 `json:"accuracy"`
	MacroF1  float64 `json:"macro_f1"`
}

// Summarize computes Metrics from a confusion matrix (per-task figures
// when masked is set).
func Summarize(c *Confusion, loss float64, masked bool) Metrics {
	m := Metrics{Loss: loss, Accuracy: c.Accuracy(), MacroF1: c.MacroF1(), MacroF1All: c.MacroF1AllClasses(), Classes: c.PerClass()}
	if masked && c.N == dataset.NumClasses {
		m.Tasks = map[string]TaskEval{}
		for t, name := range dataset.TaskNames {
			tc := c.Task(t)
			m.Tasks[name] = TaskEval{tc.Accuracy(), tc.MacroF1()}
		}
	}
	return m
}

// ClassLogProbs turns a row of logits into log-probabilities over the
// final classes: a softmax for a single head, or for mask/gender/age heads
// log p(m)+log p(g)+log p(a) for each of the 18 classes.
func ClassLogProbs(row []float32, heads []int) []float64 {
	if len(heads) == 1 {
		return logSoftmax(row)
	}
	var lp [3][]float64
	off := 0
	for h, size := range heads {
		lp[h] = logSoftmax(row[off : off+size])
		off += size
	}
	out := make([]float64, dataset.NumClasses)
	for c := range out {
		m, g, a := dataset.Decode(c)
		out[c] = lp[0][m] + lp[1][g] + lp[2][a]
	}
	return out
}

func logSoftmax(row []float32) []float64 {
	mx := math.Inf(-1)
	for _, v := range row {
		mx = math.Max(mx, float64(v))
	}
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v) - mx)
	}
	ls := math.Log(s) + mx
	out := make([]float64, len(row))
	for i, v := range row {
		out[i] = float64(v) - ls
	}
	return out
}

// softmaxInto writes a row's softmax into p and its logarithm into logp,
// with one exponential a value.
func softmaxInto[T float32 | float64](row []T, p, logp []float64) {
	mx := math.Inf(-1)
	for _, v := range row {
		mx = math.Max(mx, float64(v))
	}
	var s float64
	for i, v := range row {
		p[i] = math.Exp(float64(v) - mx)
		s += p[i]
	}
	ls, inv := math.Log(s)+mx, 1/s
	for i, v := range row {
		p[i] *= inv
		logp[i] = float64(v) - ls
	}
}

// Argmax returns the index of the largest value (the first of equals).
func Argmax(v []float64) int {
	b := 0
	for i, x := range v {
		if x > v[b] {
			b = i
		}
	}
	return b
}

// valPreds turns a set's class log-probabilities into the per-image
// predictions a run keeps: true and predicted class, loss (−log p of the
// true class) and probabilities.
func valPreds(epoch int, set *dataset.Set, lp [][]float64, unread []bool) *runs.ValPreds {
	c := len(set.Classes)
	p := &runs.ValPreds{Epoch: epoch, Classes: c, Truth: make([]int, len(lp)), Pred: make([]int, len(lp)),
		Loss: make([]float32, len(lp)), Probs: make([]float32, len(lp)*c), Items: make([]runs.ValItem, len(lp)), Names: set.Classes}
	for i, row := range lp {
		s := set.Samples[i]
		p.Truth[i], p.Pred[i] = s.Label, Argmax(row)
		p.Loss[i] = float32(-row[s.Label])
		for k, v := range row[:c] {
			p.Probs[i*c+k] = float32(math.Exp(v))
		}
		p.Items[i] = runs.ValItem{Name: s.Name, Path: s.Path, Mem: s.Mem, Label: s.Label}
	}
	p.Unread = unread
	return p
}
