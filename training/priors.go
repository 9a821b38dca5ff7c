package training

import (
	"iter"

	"github.com/maskdash/maskdash/dataset"
)

// samplePriors is, for each head of the net, each class's share of the
// labels that epoch's batches hold: the sampler's order of that epoch
// (a balanced sampler's shares are about even, a shuffle's the training
// split's), counted with one more image a class so that none is zero
// (Laplace's rule). --loss la shifts the logits by their logarithms
// (Menon et al. 2021 take the training labels' shares; with another
// sampler than shuffle the batches are what the net sees).
func (t *Trainer) samplePriors(epoch int) [][]float64 {
	sampler, loader := t.epochSource(epoch)
	samples := loader.Set().Samples
	counts := labelCounts(func(yield func(int) bool) {
		for _, i := range sampler.Epoch(epoch) {
			if !yield(samples[i].Label) {
				return
			}
		}
	}, t.net.Spec.Heads())
	for _, cs := range counts {
		total := float64(len(cs))
		for _, c := range cs {
			total += c
		}
		for j := range cs {
			cs[j] = (cs[j] + 1) / total
		}
	}
	return counts
}

// labelCounts are, for each head (a -mh model's task, or the one head
// of all classes), how many of labels fall in each of its classes;
// unlabelled images (−1) count nowhere.
func labelCounts(labels iter.Seq[int], heads []int) [][]float64 {
	counts := make([][]float64, len(heads))
	for h, size := range heads {
		counts[h] = make([]float64, size)
	}
	for y := range labels {
		if y < 0 {
			continue
		}
		for h := range heads {
			c := y
			if len(heads) > 1 {
				c = dataset.TaskLabel(y, h)
			}
			if c < len(counts[h]) {
				counts[h][c]++
			}
		}
	}
	return counts
}
