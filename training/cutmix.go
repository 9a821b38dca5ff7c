package training

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/maskdash/maskdash/dataset"
)

// MixOff is how a CutMix or Mixup setting reads when it mixes no
// batch (and, at the dashboard's M, turns both off).
const MixOff = "off"

// ParseCutMix reads a CutMix setting as it is typed to change a run's:
// "off" (or 0), a chance ("0.3", with the box box, or half when box is
// ""), or a chance and a box ("0.5 random").
func ParseCutMix(s string, box dataset.CutMixBox) (float64, dataset.CutMixBox, error) {
	f := strings.Fields(s)
	if len(f) == 1 && f[0] == MixOff {
		return 0, box, nil
	}
	if len(f) < 1 || len(f) > 2 {
		return 0, "", fmt.Errorf("cutmix %q: type a chance from 0 to 1 and maybe a box (half or random), such as 0.3 or 0.5 random, or off", s)
	}
	p, err := parseChance(f[0])
	if err != nil {
		return 0, "", fmt.Errorf("cutmix %q: %w", s, err)
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

// parseChance reads a chance from 0 to 1, as a mixing setting types it.
func parseChance(s string) (float64, error) {
	p, err := strconv.ParseFloat(s, 64)
	if err != nil || !(p >= 0 && p <= 1) {
		return 0, fmt.Errorf("%q is not a chance from 0 to 1", s)
	}
	return p, nil
}

// cutMix mixes batch x (its images' labels) by CutMix: it draws a box and pairs the images,
// pastes into each image its pair's box and returns the pairs and the
// share of each image that is still its own. ok is false when the box
// is clipped to nothing: the batch stays plain.
func (m *batchMixer) cutMix(x []float32, labels []int, rng *rand.Rand) (pairs []int, lam float64, ok bool) {
	b := m.box.Draw(m.w, m.h, rng)
	if b.Area() == 0 {
		return nil, 0, false
	}
	pairs = m.pair(labels, rng)
	m.src = dataset.PasteBoxes(x, m.w, m.h, b, pairs, m.src)
	return pairs, 1 - float64(b.Area())/float64(m.w*m.h), true
}
