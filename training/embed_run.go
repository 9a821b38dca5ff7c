package training

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
)

// LabelSet is one way of labelling a run's validation images: their
// classes, or for the mask layout one task's (mask, gender, age).
type LabelSet struct {
	Name   string   // class, mask, gender or age
	Names  []string // the labels' names
	Labels []int    // each image's
	// Silhouette is the embeddings' mean silhouette by these labels, and
	// each label's (NaN for one without images).
	Silhouette float64
	PerLabel   []float64
}

// RunEmbedding is a checkpoint's embeddings of its run's validation
// images (maskdash embed, the confusion view's P), laid out and measured.
type RunEmbedding struct {
	Epoch  int
	Images []string    // the images' names, in the validation order
	Truth  []int       // their classes
	Pred   []int       // the checkpoint's predictions (-1 for an image that did not read)
	Rows   [][]float32 // their embeddings; nil where an image did not read
	Dim    int
	Shown  []int      // the rows Proj lays out: those that read
	Proj   Projection // Shown's, on the first two principal components
	Sets   []LabelSet // by class first, then the mask layout's tasks
	// Measured is how many images the silhouettes are of
	// (MaxSilhouetteImages at most).
	Measured int
}

// EmbedRun embeds the run's validation images with the checkpoint pr (on
// the CPU), as the epoch's kept validation predictions list them.
func EmbedRun(ctx context.Context, pr RunPredictor) (*RunEmbedding, error) {
	pr, err := pr.OnCPU()
	if err != nil {
		return nil, err
	}
	kept, err := runs.ReadValPreds(pr.RunDir, pr.Meta.Epoch)
	if err != nil {
		return nil, fmt.Errorf("the checkpoint is of epoch %d: %w", pr.Meta.Epoch, err)
	}
	set, err := pr.ValSet(kept)
	if err != nil {
		return nil, err
	}
	e := &RunEmbedding{Epoch: kept.Epoch, Truth: kept.Truth}
	for _, it := range kept.Items {
		e.Images = append(e.Images, it.Name)
	}
	e.Sets = []LabelSet{{Name: "class", Names: kept.Names, Labels: kept.Truth}}
	if set.Masked && len(kept.Names) == dataset.NumClasses {
		bins, err := dataset.ParseAgeBins(pr.Meta.Data.AgeBins)
		if err != nil {
			bins = dataset.DefaultAgeBins
		}
		tn := dataset.TaskClassNames(bins)
		for t, name := range dataset.TaskNames {
			ls := LabelSet{Name: name, Names: tn[t]}
			for _, y := range kept.Truth {
				ls.Labels = append(ls.Labels, dataset.TaskLabel(y, t))
			}
			e.Sets = append(e.Sets, ls)
		}
	}
	rows, lp, err := pr.Embed(ctx, set)
	if err != nil {
		return nil, err
	}
	e.Rows = rows
	var shown [][]float32
	for i, r := range e.Rows {
		e.Pred = append(e.Pred, -1) // an image that did not read has no prediction
		if lp[i] != nil {
			e.Pred[i] = Argmax(lp[i])
		}
		if r != nil {
			e.Shown, shown = append(e.Shown, i), append(shown, r)
			e.Dim = len(r)
		}
	}
	if e.Proj, err = Project(shown); err != nil {
		return nil, err
	}
	// One set of distances serves every labelling (they label the same
	// images).
	d := newPairDistances(e.Rows, func(int) bool { return true })
	e.Measured = len(d.idx)
	for k := range e.Sets {
		s := &e.Sets[k]
		s.Silhouette, s.PerLabel = d.silhouette(s.Labels, len(s.Names))
	}
	return e, nil
}

// Set is the label set named name, and whether there is one.
func (e *RunEmbedding) Set(name string) (LabelSet, bool) {
	for _, s := range e.Sets {
		if s.Name == name {
			return s, true
		}
	}
	return LabelSet{}, false
}

// ShownLabels are the labels of Set s's images that Proj lays out, in
// Proj's order.
func (e *RunEmbedding) ShownLabels(s LabelSet) []int {
	out := make([]int, len(e.Shown))
	for k, i := range e.Shown {
		out[k] = s.Labels[i]
	}
	return out
}

// LeastApart are up to n of the labels whose images stand least apart
// (the lowest silhouettes first; labels without images left out).
func (s LabelSet) LeastApart(n int) []int {
	var order []int
	for c, v := range s.PerLabel {
		if !math.IsNaN(v) {
			order = append(order, c)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return s.PerLabel[order[a]] < s.PerLabel[order[b]] })
	return order[:min(n, len(order))]
}
