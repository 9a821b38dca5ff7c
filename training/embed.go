package training

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/maskdash/maskdash/dataset"
	"gonum.org/v1/gonum/mat"
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

// Project lays the rows out on their first two principal components,
// each coordinate the centred row's projection, with the share of the
// variance each holds. The components come from subspace iteration on the
// centred rows (XᵀX applied to a block of projectionBlock vectors, then a
// Rayleigh–Ritz step), as scikit-learn's PCA does for large inputs with
// its randomized solver: a full decomposition of 2,000 embeddings of
// cnn-s's 8,192 values took gonum's stat.PC a minute.
func Project(rows [][]float32) (Projection, error) {
	n := len(rows)
	if n < 3 {
		return Projection{}, fmt.Errorf("a projection needs three embeddings or more, not %d", n)
	}
	d := len(rows[0])
	x := mat.NewDense(n, d, nil)
	means := make([]float64, d)
	for i, r := range rows {
		if len(r) != d {
			return Projection{}, fmt.Errorf("embedding %d has %d values, embedding 0 has %d", i, len(r), d)
		}
		for j, v := range r {
			means[j] += float64(v) / float64(n)
		}
	}
	var total float64 // the centred rows' squared sum: the variance's, times n−1
	for i, r := range rows {
		for j, v := range r {
			c := float64(v) - means[j]
			x.Set(i, j, c)
			total += c * c
		}
	}
	k := min(projectionBlock, d, n)
	v := mat.NewDense(d, k, nil)
	rng := rand.New(rand.NewPCG(5, uint64(d)))
	for i := range d {
		for j := range k {
			v.Set(i, j, rng.NormFloat64())
		}
	}
	var xv, xtxv mat.Dense
	var prev [2]float64
	var vals []float64
	var vecs mat.Dense
	for it := range projectionRounds {
		orthonormalize(v)
		xv.Mul(x, v)
		// Rayleigh–Ritz: the block's best approximations of the top
		// eigenvectors, and their eigenvalues.
		var s mat.SymDense
		s.SymOuterK(1, xv.T())
		var eig mat.EigenSym
		if !eig.Factorize(&s, true) {
			return Projection{}, fmt.Errorf("the principal components of %d embeddings did not converge", n)
		}
		vals = eig.Values(nil) // ascending
		eig.VectorsTo(&vecs)
		top := [2]float64{vals[k-1], vals[max(k-2, 0)]}
		if it > 0 && math.Abs(top[0]-prev[0]) <= 1e-13*top[0] && math.Abs(top[1]-prev[1]) <= 1e-13*max(top[0], 1e-300) {
			break
		}
		prev = top
		xtxv.Mul(x.T(), &xv)
		v.Mul(&xtxv, &vecs) // the next block, in Ritz order (keeps the iteration stable)
	}
	var p Projection
	p.XY = make([][2]float64, n)
	var coords mat.Dense
	coords.Mul(&xv, &vecs) // the rows in the Ritz basis
	for c := range min(2, k) {
		col := k - 1 - c // descending
		if total > 0 {
			p.Explained[c] = vals[col] / total
		}
		for i := range n {
			p.XY[i][c] = coords.At(i, col)
		}
	}
	return p, nil
}

// projectionBlock is how many vectors Project's subspace iteration
// carries: ten more than the two it keeps (scikit-learn's randomized
// solver oversamples by ten too), so that the later components do not
// slow the first two's convergence.
const projectionBlock = 12

// projectionRounds bounds Project's iterations. It stops once the top two
// values stop moving: a few rounds on embeddings, whose first components
// stand well apart from the rest. Rows without such a gap (noise) take
// every round and come out approximate, as from scikit-learn's
// randomized solver (seven rounds): 2,000 rows of 8,192 values, about
// 4 s on two cores.
const projectionRounds = 50

// orthonormalize makes v's columns orthonormal in place (modified
// Gram–Schmidt; a column that vanishes is left as zeros). Not gonum's QR:
// its Q is square, 8,192² values for cnn-s's embeddings (13 s and 1.7 GB
// against 0.9 s, measured), where only v's few columns are wanted.
func orthonormalize(v *mat.Dense) {
	_, c := v.Dims()
	for j := range c {
		col := v.ColView(j).(*mat.VecDense)
		for q := range j {
			col.AddScaledVec(col, -mat.Dot(col, v.ColView(q)), v.ColView(q))
		}
		if norm := mat.Norm(col, 2); norm > 0 {
			col.ScaleVec(1/norm, col)
		}
	}
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
// measured. Rows that are nil, or whose label is not one of the n, are
// left out.
func Silhouette(rows [][]float32, labels []int, n int) (mean float64, perLabel []float64, measured int) {
	d := newPairDistances(rows, func(i int) bool { return labels[i] >= 0 && labels[i] < n })
	mean, perLabel = d.silhouette(labels, n)
	return mean, perLabel, len(d.idx)
}

// pairDistances are the Euclidean distances between every two of some
// rows (MaxSilhouetteImages at most, drawn the same way every time), to
// measure several labellings of the same images on.
type pairDistances struct {
	idx []int     // the rows, by index
	d   []float64 // len(idx)², row-major
}

// newPairDistances measures the rows that are not nil and that keep
// holds for, from their Gram matrix (‖a‖² + ‖b‖² − 2a·b, as
// scikit-learn's euclidean_distances does: one matrix product).
func newPairDistances(rows [][]float32, keep func(i int) bool) pairDistances {
	var idx []int
	for i, r := range rows {
		if r != nil && keep(i) {
			idx = append(idx, i)
		}
	}
	if len(idx) > MaxSilhouetteImages {
		r := rand.New(rand.NewPCG(7, uint64(len(idx))))
		r.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		idx = idx[:MaxSilhouetteImages]
	}
	n := len(idx)
	if n == 0 {
		return pairDistances{}
	}
	dim := len(rows[idx[0]])
	a := mat.NewDense(n, dim, nil)
	for k, i := range idx {
		for j, v := range rows[i] {
			a.Set(k, j, float64(v))
		}
	}
	var g mat.SymDense
	g.SymOuterK(1, a)
	d := make([]float64, n*n)
	for i := range n {
		for j := i + 1; j < n; j++ {
			v := math.Sqrt(max(g.At(i, i)+g.At(j, j)-2*g.At(i, j), 0))
			d[i*n+j], d[j*n+i] = v, v
		}
	}
	return pairDistances{idx: idx, d: d}
}

// silhouette is Silhouette of the measured rows by labels.
func (p pairDistances) silhouette(labels []int, nLabels int) (mean float64, perLabel []float64) {
	n := len(p.idx)
	perLabel = make([]float64, nLabels)
	count := make([]int, nLabels)
	for _, i := range p.idx {
		count[labels[i]]++
	}
	sum := make([]float64, nLabels)
	dist := make([]float64, nLabels)
	for a, i := range p.idx {
		clear(dist)
		for b, j := range p.idx {
			if b != a {
				dist[labels[j]] += p.d[a*n+b]
			}
		}
		own := labels[i]
		s := 0.0
		if count[own] > 1 {
			in := dist[own] / float64(count[own]-1)
			out := math.Inf(1)
			for l, d := range dist {
				if l != own && count[l] > 0 {
					out = min(out, d/float64(count[l]))
				}
			}
			if !math.IsInf(out, 1) && max(in, out) > 0 {
				s = (out - in) / max(in, out)
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
	if n > 0 {
		mean /= float64(n)
	}
	return mean, perLabel
}
