package training

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/maskdash/maskdash/dataset"
	"gonum.org/v1/gonum/stat/distuv"
)

// DefaultMixupAlpha is Mixup's α when none is given: λ is drawn from
// Beta(α, α), and 0.2 is what Zhang et al. found best on ImageNet (most
// λ near 0 or 1: each mixed image mostly one of the two).
const DefaultMixupAlpha = 0.2

// ParseMixup reads a Mixup setting as it is typed to change a run's:
// "off" (or 0), a chance ("0.3", with α alpha, or DefaultMixupAlpha when
// alpha is 0), or a chance and α ("0.3 0.4", or "0.3 alpha=0.4" as the
// setting is shown).
func ParseMixup(s string, alpha float64) (float64, float64, error) {
	f := strings.Fields(s)
	if len(f) == 1 && f[0] == MixOff {
		return 0, alpha, nil
	}
	if len(f) < 1 || len(f) > 2 {
		return 0, 0, fmt.Errorf("mixup %q: type a chance from 0 to 1 and maybe α, such as 0.3 or 0.3 0.4, or off", s)
	}
	p, err := parseChance(f[0])
	if err != nil {
		return 0, 0, fmt.Errorf("mixup %q: %w", s, err)
	}
	if len(f) == 2 {
		a := strings.TrimPrefix(f[1], "alpha=")
		if alpha, err = strconv.ParseFloat(a, 64); err != nil || !(alpha > 0 && alpha <= 100) {
			return 0, 0, fmt.Errorf("mixup %q: α %q is not a number above 0 (0.2 to 1 are usual)", s, a)
		}
	}
	if alpha == 0 {
		alpha = DefaultMixupAlpha
	}
	return p, alpha, nil
}

// mixup mixes batch x (its images' labels) by Mixup: it draws λ
// from Beta(α, α) and pairs the images, and blends each with its pair,
// λ of its own. It returns the pairs and λ.
func (m *batchMixer) mixup(x []float32, labels []int, rng *rand.Rand) (pairs []int, lam float64) {
	lam = distuv.Beta{Alpha: m.alpha, Beta: m.alpha, Src: rng}.Rand()
	pairs = m.pair(labels, rng)
	m.src = dataset.Blend(x, 3*m.w*m.h, pairs, lam, m.src)
	return pairs, lam
}

// ParseMixing reads what is typed at a dashboard's mixing prompt (M) into
// the commands that carry it out: "cutmix 0.3 [BOX]" or a bare CutMix
// setting ("0.5 random": CutMix, as M took before Mixup), "mixup 0.2
// [α]", and "off", which turns both off.
func ParseMixing(s string) ([]Command, error) {
	f := strings.Fields(s)
	switch {
	case len(f) == 1 && f[0] == MixOff:
		return []Command{{Kind: CmdSetCutMix, Text: MixOff}, {Kind: CmdSetMixup, Text: MixOff}}, nil
	case len(f) > 0 && f[0] == "mixup":
		text := strings.Join(f[1:], " ")
		if _, _, err := ParseMixup(text, 0); err != nil {
			return nil, err
		}
		return []Command{{Kind: CmdSetMixup, Text: text}}, nil
	case len(f) > 0 && f[0] == "cutmix":
		f = f[1:]
	}
	text := strings.Join(f, " ")
	if _, _, err := ParseCutMix(text, ""); err != nil {
		return nil, err
	}
	return []Command{{Kind: CmdSetCutMix, Text: text}}, nil
}

// MixingNow is what a dashboard's mixing prompt (M) offers to edit, given
// the header's CutMix and Mixup settings ("" off): the one that is on
// (CutMix when both are), or "off".
func MixingNow(cutMix, mixup string) string {
	switch {
	case cutMix != "":
		return "cutmix " + cutMix
	case mixup != "":
		return "mixup " + mixup
	}
	return MixOff
}
