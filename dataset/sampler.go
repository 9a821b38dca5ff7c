package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
)

// Sampler chooses the order (and multiplicity) of training samples for each
// epoch. Indices refer to positions in the slice of labels it was built with.
type Sampler interface {
	// Epoch returns the sample positions to visit in the given epoch. It is
	// a pure function of (seed, epoch), so a resumed run repeats it.
	Epoch(epoch int) []int
	// Name identifies the sampler in run configs.
	Name() string
}

// Samplers lists the names accepted by NewSampler.
var Samplers = []string{"shuffle", "weighted", "balance"}

// NewSampler builds a sampler by name over the given labels.
func NewSampler(name string, labels []int, seed uint64) (Sampler, error) {
	switch strings.ToLower(name) {
	case "", "shuffle":
		return &ShuffleSampler{N: len(labels), Seed: seed}, nil
	case "weighted":
		return NewWeightedSampler(labels, seed), nil
	case "balance", "balanced", "dynamic-balance": // the seed report says "balanced sampling"
		return NewDynamicBalanceSampler(labels, 0.9, seed), nil
	}
	return nil, fmt.Errorf("sampler %q is unknown; use one of %s", name, strings.Join(Samplers, ", "))
}

func epochRand(seed uint64, epoch int, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15*uint64(epoch+1), stream))
}

// ShuffleSampler visits every sample once per epoch in a random order.
type ShuffleSampler struct {
	N    int
	Seed uint64
}

// Name implements Sampler.
func (s *ShuffleSampler) Name() string { return "shuffle" }

// Epoch implements Sampler.
func (s *ShuffleSampler) Epoch(epoch int) []int {
	return epochRand(s.Seed, epoch, 1).Perm(s.N)
}

// WeightedSampler draws N samples with replacement, each with probability
// proportional to 1 / (its class's frequency), like PyTorch's
// WeightedRandomSampler with inverse-frequency weights: every class is
// expected equally often.
type WeightedSampler struct {
	cum  []float64
	Seed uint64
}

// NewWeightedSampler builds a WeightedSampler over labels.
func NewWeightedSampler(labels []int, seed uint64) *WeightedSampler {
	count := map[int]int{}
	for _, l := range labels {
		count[l]++
	}
	cum := make([]float64, len(labels))
	acc := 0.0
	for i, l := range labels {
		acc += 1 / float64(count[l])
		cum[i] = acc
	}
	return &WeightedSampler{cum: cum, Seed: seed}
}

// Name implements Sampler.
func (s *WeightedSampler) Name() string { return "weighted" }

// Epoch implements Sampler.
func (s *WeightedSampler) Epoch(epoch int) []int {
	r := epochRand(s.Seed, epoch, 2)
	n := len(s.cum)
	if n == 0 {
		return nil
	}
	total := s.cum[n-1]
	out := make([]int, n)
	for i := range out {
		out[i] = sort.SearchFloat64s(s.cum, r.Float64()*total)
		if out[i] >= n {
			out[i] = n - 1
		}
	}
	return out
}

// DynamicBalanceSampler follows Catalyst's DynamicBalanceClassSampler: it
// starts from the original class distribution and moves towards a uniform
// one. With n_min the smallest class size and D_c = |C_c| / n_min, class c
// gets int(min(D_c^(λ^epoch), MaxD) · n_min) samples in an epoch, drawn
// without replacement when that is no more than the class has.
type DynamicBalanceSampler struct {
	Lambda float64 // 0 < λ < 1; Catalyst's default is 0.9
	MaxD   float64 // cap on D_c; 0 means none
	Seed   uint64
	byC    map[int][]int
	cls    []int
	nMin   int
}

// NewDynamicBalanceSampler builds the sampler over labels.
func NewDynamicBalanceSampler(labels []int, lambda float64, seed uint64) *DynamicBalanceSampler {
	s := &DynamicBalanceSampler{Lambda: lambda, Seed: seed, byC: map[int][]int{}}
	for i, l := range labels {
		s.byC[l] = append(s.byC[l], i)
	}
	s.nMin = math.MaxInt
	for c, idx := range s.byC {
		s.cls = append(s.cls, c)
		s.nMin = min(s.nMin, len(idx))
	}
	sort.Ints(s.cls)
	return s
}

// Name implements Sampler.
func (s *DynamicBalanceSampler) Name() string { return "balance" }

// ClassCounts returns the number of samples each class gets in an epoch.
func (s *DynamicBalanceSampler) ClassCounts(epoch int) map[int]int {
	g := math.Pow(s.Lambda, float64(epoch))
	out := map[int]int{}
	for _, c := range s.cls {
		d := math.Pow(float64(len(s.byC[c]))/float64(s.nMin), g)
		if s.MaxD > 0 {
			d = math.Min(d, s.MaxD)
		}
		out[c] = int(d * float64(s.nMin))
	}
	return out
}

// Epoch implements Sampler.
func (s *DynamicBalanceSampler) Epoch(epoch int) []int {
	r := epochRand(s.Seed, epoch, 3)
	counts := s.ClassCounts(epoch)
	var out []int
	for _, c := range s.cls {
		idx := s.byC[c]
		k := counts[c]
		if k <= len(idx) {
			p := r.Perm(len(idx))
			for _, j := range p[:k] {
				out = append(out, idx[j])
			}
		} else {
			for range k {
				out = append(out, idx[r.IntN(len(idx))])
			}
		}
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
