package training

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/maskdash/maskdash/dataset"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// Embeddings: what TensorBoard's projector shows of a classifier, the
// features its output layer reads (models.Net.Embed), one row an image,
// laid out in two dimensions by PCA, with how well the classes stand
// apart there (the silhouette).

// OnCPU is the predictor with its checkpoint loaded again on the CPU
// when its net runs on the GPU (a GPU net keeps only the logits, so
// Embed needs the CPU).
func (r RunPredictor) OnCPU() (RunPredictor, error) {
	if !r.Net.OnGPU() {
		return r, nil
	}
	net, _, err := loadNet(r.Path, r.Net.Spec.EvalBatch, true)
	if err != nil {
		return r, err
	}
	p := *r.Predictor
	p.Net = net
	r.Predictor = &p
	return r, nil
}

// Embed returns each image's embedding and its class log-probabilities
// from the same pass (set order; an unreadable image has neither: nil
// rows), on the CPU (OnCPU).
func (p *Predictor) Embed(ctx context.Context, set *dataset.Set) (emb [][]float32, lp [][]float64, err error) {
	if err := p.CheckClasses(set); err != nil {
		return nil, nil, err
	}
	l := dataset.NewLoader(set, dataset.LoaderConfig{Batch: p.Net.Spec.EvalBatch, Aug: p.Aug}, nil, nil)
	order := make([]int, set.Len())
	for i := range order {
		order[i] = i
	}
	heads, k := p.Net.Spec.Heads(), p.Net.Spec.Outputs()
	emb, lp = make([][]float32, set.Len()), make([][]float64, set.Len())
	for b := range l.Epoch(ctx, 0, order) {
		if b.N == 0 {
			continue
		}
		e, dim, logits, err := p.Net.Embed(b.X, b.N)
		if err != nil {
			return nil, nil, err
		}
		for i := range b.N {
			emb[b.Index[i]] = e[i*dim : (i+1)*dim : (i+1)*dim]
			lp[b.Index[i]] = ClassLogProbs(logits[i*k:(i+1)*k], heads)
		}
	}
	return emb, lp, ctx.Err()
}

// Projection is embeddings laid out on their first two principal
// components.
type Projection struct {
	XY [][2]float64 // each row's coordinates
	// Explained is the share of the embeddings' variance each of the
	// two components holds.
	Explained [2]float64
}

// Project lays the rows out on their first two principal components
// (gonum's stat.PC: the eigenvectors of their covariance, by SVD), each
// coordinate the centred row's projection.
func Project(rows [][]float32) (Projection, error) {
	n := len(rows)
	if n < 3 {
		return Projection{}, fmt.Errorf("a projection needs three embeddings or more, not %d", n)
	}
	d := len(rows[0])
	a := mat.NewDense(n, d, nil)
	for i, r := range rows {
		if len(r) != d {
			return Projection{}, fmt.Errorf("embedding %d has %d values, embedding 0 has %d", i, len(r), d)
		}
		for j, v := range r {
			a.Set(i, j, float64(v))
		}
	}
	var pc stat.PC
	if !pc.PrincipalComponents(a, nil) {
		return Projection{}, fmt.Errorf("the principal components of %d embeddings did not converge", n)
	}
	var vecs mat.Dense
	pc.VectorsTo(&vecs)
	vars := pc.VarsTo(nil)
	k := min(2, len(vars))
	var total float64
	for _, v := range vars {
		total += v
	}
	means := make([]float64, d)
	for j := range d {
		means[j] = stat.Mean(mat.Col(nil, j, a), nil)
	}
	p := Projection{XY: make([][2]float64, n)}
	for c := range k {
		if total > 0 {
			p.Explained[c] = vars[c] / total
		}
		for i := range n {
			var s float64
			for j := range d {
				s += (a.At(i, j) - means[j]) * vecs.At(j, c)
			}
			p.XY[i][c] = s
		}
	}
	return p, nil
}

// MaxSilhouetteImages bounds the images Silhouette measures (its cost
// grows with their square): more are sampled down to it, the same ones
// every time.
const MaxSilhouetteImages = 2000

// Silhouette is how well the embeddings of each label stand apart from
// the others: for each image, (b − a) / max(a, b), with a its mean
// Euclidean distance to the other images of its label and b its mean
// distance to the nearest other label's (0 for a label of one image), as
// Rousseeuw defined it and scikit-learn computes it. Near 1 the labels
// are tight and apart, near 0 they overlap, below 0 an image sits among
// another label's. It returns the mean over the images and over each
// label's images (NaN for a label with none), and how many images it
// measured.
func Silhouette(rows [][]float32, labels []int, nLabels int) (mean float64, perLabel []float64, measured int) {
	idx := make([]int, 0, len(rows))
	for i, r := range rows {
		if r != nil && labels[i] >= 0 && labels[i] < nLabels {
			idx = append(idx, i)
		}
	}
	if len(idx) > MaxSilhouetteImages {
		r := rand.New(rand.NewPCG(7, uint64(len(idx))))
		r.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		idx = idx[:MaxSilhouetteImages]
	}
	perLabel = make([]float64, nLabels)
	count := make([]int, nLabels)
	for _, i := range idx {
		count[labels[i]]++
	}
	sum := make([]float64, nLabels)
	dist := make([]float64, nLabels)
	for _, i := range idx {
		clear(dist)
		for _, j := range idx {
			if j != i {
				dist[labels[j]] += euclid(rows[i], rows[j])
			}
		}
		own := labels[i]
		s := 0.0
		if count[own] > 1 {
			a := dist[own] / float64(count[own]-1)
			b := math.Inf(1)
			for l, d := range dist {
				if l != own && count[l] > 0 {
					b = min(b, d/float64(count[l]))
				}
			}
			if !math.IsInf(b, 1) && max(a, b) > 0 {
				s = (b - a) / max(a, b)
			}
		}
		sum[own] += s
		mean += s
	}
	for l := range perLabel {
		perLabel[l] = math.NaN()
		if count[l] > 0 {
			perLabel[l] = sum[l] / float64(count[l])
		}
	}
	if len(idx) > 0 {
		mean /= float64(len(idx))
	}
	return mean, perLabel, len(idx)
}

func euclid(a, b []float32) float64 {
	var s float64
	for k, v := range a {
		d := float64(v) - float64(b[k])
		s += d * d
	}
	return math.Sqrt(s)
}
