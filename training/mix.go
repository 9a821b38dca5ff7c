package training

import (
	"fmt"
	"math/rand/v2"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/models"
)

// mixedBatch is how a training batch was mixed: image i shows (CutMix) or
// is blended with (Mixup) image other[i]'s picture, and lam is the share
// of the image that is its own, the weight of its own label.
type mixedBatch struct {
	other []int // the label of the picture each image was mixed with
	lam   float64
}

// share is how much of image i's label says prediction pred is right:
// lam for its own label, 1−lam for the other picture's, both when they
// are the same.
func (m *mixedBatch) share(i, pred, own int) float64 {
	var s float64
	if pred == own {
		s += m.lam
	}
	if pred == m.other[i] {
		s += 1 - m.lam
	}
	return s
}

// batchMixer mixes training batches in place (Config.CutMix and
// Config.Mixup): it decides which batches and how, pairs their images,
// mixes their pictures (cutmix.go, mixup.go) and their labels' losses. A
// batch is mixed one way at most: CutMix with its chance, else Mixup
// with its. Which batches, the pairs, the box and Mixup's λ come from the
// run's seed and the step, so a resumed run mixes its batches as the run
// would have.
type batchMixer struct {
	cutChance   float64 // CutMix's
	box         dataset.CutMixBox
	mixupChance float64
	alpha       float64 // Mixup's λ is drawn from Beta(alpha, alpha)
	sameClass   bool    // pair each image with one of its own class (Config.MixPairs)
	seed        uint64
	w, h        int
	src         []float32 // the batch before it is mixed
	mixed       mixedBatch
	scratch     []float32 // one label's loss gradient
}

// newBatchMixer is the mixer of cfg's settings.
func newBatchMixer(cfg Config) (*batchMixer, error) {
	m := &batchMixer{seed: cfg.Seed, w: cfg.W, h: cfg.H, sameClass: cfg.MixPairs == MixPairsClass}
	return m, m.set(cfg.CutMix, dataset.CutMixBox(cfg.CutMixBox), cfg.Mixup, cfg.MixupAlpha)
}

// set mixes from now on by CutMix with chance cut and box box (half when
// ""), and by Mixup with chance mixup and α alpha (DefaultMixupAlpha when
// 0). A batch is mixed one way at most, so the chances may add up to 1 at
// most; when they add up to more, nothing changes.
func (m *batchMixer) set(cut float64, box dataset.CutMixBox, mixup, alpha float64) error {
	if cut+mixup > 1+1e-9 {
		return fmt.Errorf("CutMix's chance %g and Mixup's %g add up to more than 1: a batch is mixed one way at most", cut, mixup)
	}
	if box == "" {
		box = dataset.CutMixHalf
	}
	if _, err := dataset.ParseCutMixBox(string(box)); err != nil {
		return err
	}
	if alpha == 0 {
		alpha = DefaultMixupAlpha
	}
	m.cutChance, m.box, m.mixupChance, m.alpha = cut, box, mixup, alpha
	return nil
}

// cutMixShown is the CutMix setting as a run's header shows it: "0.3
// half"; "" when CutMix mixes nothing.
func (m *batchMixer) cutMixShown() string {
	if m == nil || m.cutChance == 0 {
		return ""
	}
	return fmt.Sprintf("%g %s", m.cutChance, m.box)
}

// mixupShown is the Mixup setting as a run's header shows it: "0.3
// alpha=0.2"; "" when Mixup mixes nothing.
func (m *batchMixer) mixupShown() string {
	if m == nil || m.mixupChance == 0 {
		return ""
	}
	return fmt.Sprintf("%g alpha=%g", m.mixupChance, m.alpha)
}

// offIfEmpty is a shown setting as ParseCutMix and ParseMixup read it
// back: itself, or MixOff.
func offIfEmpty(shown string) string {
	if shown == "" {
		return MixOff
	}
	return shown
}

// setCutMix mixes from now on by CutMix with chance p and box box
// (nothing when p is 0), Mixup as before.
func (t *Trainer) setCutMix(p float64, box dataset.CutMixBox) error {
	m := t.mixer
	return m.set(p, box, m.mixupChance, m.alpha)
}

// setMixup mixes from now on by Mixup with chance p and α alpha (nothing
// when p is 0), CutMix as before.
func (t *Trainer) setMixup(p, alpha float64) error {
	m := t.mixer
	return m.set(m.cutChance, m.box, p, alpha)
}

// mix decides whether this step's batch x (labels: each image's class) is
// mixed, and if so mixes it in place. It returns nil when the batch stays
// as it is.
func (m *batchMixer) mix(x []float32, labels []int, step int) *mixedBatch {
	if m == nil || m.cutChance+m.mixupChance == 0 {
		return nil
	}
	// A stream of its own: the step's number and a constant, so that no
	// other draw of the run shares it.
	rng := rand.New(rand.NewPCG(m.seed, uint64(step)^0x6375746d6978)) // "cutmix"
	n := len(labels)
	var pairs []int
	var lam float64
	switch u := rng.Float64(); {
	case u < m.cutChance:
		var ok bool
		if pairs, lam, ok = m.cutMix(x, labels, rng); !ok {
			return nil
		}
	case u < m.cutChance+m.mixupChance:
		pairs, lam = m.mixup(x, labels, rng)
	default:
		return nil
	}
	if cap(m.mixed.other) < n {
		m.mixed.other = make([]int, n)
	}
	m.mixed.other = m.mixed.other[:n]
	for i, o := range pairs {
		m.mixed.other[i] = labels[o]
	}
	m.mixed.lam = lam
	return &m.mixed
}

// loss is the loss of a mixed batch: lam times the loss against the
// images' own labels plus 1−lam times the loss against their pairs'
// labels, and the same sum of their gradients. own and paired are the
// Loss's Func for the two label sets.
func (m *batchMixer) loss(own, paired models.LossFunc, lam float64) models.LossFunc {
	return func(x []float32, n, k int, g []float32) float64 {
		if len(m.scratch) != len(g) {
			m.scratch = make([]float32, len(g))
		}
		var total float64
		for _, part := range []struct {
			f models.LossFunc
			w float64
		}{{own, lam}, {paired, 1 - lam}} {
			clear(m.scratch)
			total += part.w * part.f(x, n, k, m.scratch)
			w := float32(part.w)
			for i, v := range m.scratch {
				g[i] += w * v
			}
		}
		return total
	}
}

// mixAsIn mixes as checkpoint m says the run mixed when it was written
// (its CutMix and Mixup settings; those it lacks, from before them, stay
// the run's config's).
func (t *Trainer) mixAsIn(m CkptMeta) error {
	x := t.mixer
	cut, box, mixup, alpha := x.cutChance, x.box, x.mixupChance, x.alpha
	var err error
	if m.CutMix != "" {
		if cut, box, err = ParseCutMix(m.CutMix, box); err != nil {
			return fmt.Errorf("the checkpoint's CutMix: %w", err)
		}
	}
	if m.Mixup != "" {
		if mixup, alpha, err = ParseMixup(m.Mixup, alpha); err != nil {
			return fmt.Errorf("the checkpoint's Mixup: %w", err)
		}
	}
	return x.set(cut, box, mixup, alpha)
}

// How a mixed batch's images are paired (Config.MixPairs).
const (
	MixPairsAny   = "any"   // any image of the batch
	MixPairsClass = "class" // one of the image's own class
)

// pair pairs each image of a batch (labels: their classes) with another:
// pairs[i] is image i's partner, any image of the batch, or with
// sameClass one of its own class (itself when it is its class's only
// image in the batch: it stays as it is). Intra-class mixing makes new
// images of a class without mixing labels: oversampling by mixing, as
// SMOTE does between neighbours.
func (m *batchMixer) pair(labels []int, rng *rand.Rand) []int {
	n := len(labels)
	if !m.sameClass {
		return rng.Perm(n)
	}
	byClass := map[int][]int{}
	var classes []int
	for i, l := range labels {
		if _, ok := byClass[l]; !ok {
			classes = append(classes, l)
		}
		byClass[l] = append(byClass[l], i)
	}
	pairs := make([]int, n)
	for _, c := range classes { // in order of first appearance: the draws follow the batch
		members := byClass[c]
		for j, k := range rng.Perm(len(members)) {
			pairs[members[j]] = members[k]
		}
	}
	return pairs
}

// pairsShown is how a run's header shows the pairing: "class" when
// images are mixed within their class; "" otherwise.
func (m *batchMixer) pairsShown() string {
	if m.sameClass {
		return MixPairsClass
	}
	return ""
}
