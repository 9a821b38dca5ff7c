package training

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/models"
)

// CutMixOff is how a CutMix setting reads when no batch is mixed.
const CutMixOff = "off"

// ParseCutMix reads a CutMix setting as it is typed to change a run's:
// "off" (or 0), a chance ("0.3", with the box box, or half when box is
// ""), or a chance and a box ("0.5 random").
func ParseCutMix(s string, box dataset.CutMixBox) (float64, dataset.CutMixBox, error) {
	f := strings.Fields(s)
	if len(f) == 1 && f[0] == CutMixOff {
		return 0, box, nil
	}
	if len(f) < 1 || len(f) > 2 {
		return 0, "", fmt.Errorf("cutmix %q: type a chance from 0 to 1 and maybe a box (half or random), such as 0.3 or 0.5 random, or off", s)
	}
	p, err := strconv.ParseFloat(f[0], 64)
	if err != nil || !(p >= 0 && p <= 1) {
		return 0, "", fmt.Errorf("cutmix %q: %q is not a chance from 0 to 1", s, f[0])
	}
	if len(f) == 2 {
		if box, err = dataset.ParseCutMixBox(f[1]); err != nil {
			return 0, "", fmt.Errorf("cutmix %q: %w", s, err)
		}
	}
	if box == "" {
		box = dataset.CutMixHalf
	}
	return p, box, nil
}

// mixedBatch is how a training batch was mixed: image i shows other[i]
// in the box, and lam is the share of the image outside it, the weight of
// its own label.
type mixedBatch struct {
	other []int // the label in each image's box
	lam   float64
}

// share is how much of image i's label says prediction pred is right:
// lam for its own label, 1−lam for the box's, both when they are the
// same.
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

// cutMixer mixes training batches in place (Config.CutMix): it decides
// which batches and pairs their images, pastes the boxes
// (dataset.PasteBoxes) and mixes their labels' losses. Which batches, the
// pairs and the box come from the run's seed and the step, so a resumed
// run mixes its batches as the run would have.
type cutMixer struct {
	prob    float64
	box     dataset.CutMixBox
	seed    uint64
	w, h    int
	src     []float32 // the batch before any box is pasted
	mixed   mixedBatch
	scratch []float32 // one label's loss gradient
}

// newCutMixer is the mixer of cfg, nil when it mixes nothing.
func newCutMixer(cfg Config) (*cutMixer, error) {
	if cfg.CutMix == 0 {
		return nil, nil
	}
	box, err := dataset.ParseCutMixBox(cfg.CutMixBox)
	if err != nil {
		return nil, err
	}
	return &cutMixer{prob: cfg.CutMix, box: box, seed: cfg.Seed, w: cfg.W, h: cfg.H}, nil
}

// String is how a run's header shows the setting: "0.3 half"; "" when
// nothing is mixed.
func (c *cutMixer) String() string {
	if c == nil {
		return ""
	}
	return fmt.Sprintf("%g %s", c.prob, c.box)
}

// setting is the setting as ParseCutMix reads it back: String, or
// CutMixOff.
func (c *cutMixer) setting() string {
	if c == nil {
		return CutMixOff
	}
	return c.String()
}

// setCutMix mixes from now on with chance p and box box (nothing when p
// is 0), as the run's seed says.
func (t *Trainer) setCutMix(p float64, box dataset.CutMixBox) {
	c := t.cfg
	c.CutMix, c.CutMixBox = p, string(box)
	t.cutmix, _ = newCutMixer(c) // box is one of dataset.CutMixBoxes: ParseCutMix checked it
}

// cutMixBox is the box a live change keeps when it names none.
func (t *Trainer) cutMixBox() dataset.CutMixBox {
	if t.cutmix != nil {
		return t.cutmix.box
	}
	return dataset.CutMixBox(t.cfg.CutMixBox)
}

// mix decides whether this step's batch x (labels: each image's class) is
// mixed, and if so pastes each image's box from another image of the
// batch. It returns nil when the batch stays as it is.
func (c *cutMixer) mix(x []float32, labels []int, step int) *mixedBatch {
	if c == nil {
		return nil
	}
	// A stream of its own: the step's number and a constant, so that no
	// other draw of the run shares it.
	rng := rand.New(rand.NewPCG(c.seed, uint64(step)^0x6375746d6978)) // "cutmix"
	if rng.Float64() >= c.prob {
		return nil
	}
	n := len(labels)
	b := c.box.Draw(c.w, c.h, rng)
	if b.Area() == 0 {
		return nil // a box clipped to nothing: the batch is plain
	}
	perm := rng.Perm(n)
	c.src = dataset.PasteBoxes(x, c.w, c.h, b, perm, c.src)
	if cap(c.mixed.other) < n {
		c.mixed.other = make([]int, n)
	}
	c.mixed.other = c.mixed.other[:n]
	for i, o := range perm {
		c.mixed.other[i] = labels[o]
	}
	c.mixed.lam = 1 - float64(b.Area())/float64(c.w*c.h)
	return &c.mixed
}

// loss is the loss of a mixed batch: lam times the loss against the
// images' own labels plus 1−lam times the loss against the boxes' labels,
// and the same sum of their gradients. own and boxed are the Loss's Func
// for the two label sets.
func (c *cutMixer) loss(own, boxed models.LossFunc, lam float64) models.LossFunc {
	return func(x []float32, n, k int, g []float32) float64 {
		if len(c.scratch) != len(g) {
			c.scratch = make([]float32, len(g))
		}
		var total float64
		for _, part := range []struct {
			f models.LossFunc
			w float64
		}{{own, lam}, {boxed, 1 - lam}} {
			clear(c.scratch)
			total += part.w * part.f(x, n, k, c.scratch)
			w := float32(part.w)
			for i, v := range c.scratch {
				g[i] += w * v
			}
		}
		return total
	}
}
