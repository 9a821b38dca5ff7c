package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Split holds the sample indices of the training and validation parts.
type Split struct {
	Train, Val []int
}

// SplitByProfile puts all images of a person on one side: exactly
// round(ratio × profiles) people, drawn without replacement with the seed, go
// to validation. Sets without profiles (folder, IDX) fall back to
// SplitRandom, since each image is its own "person" there.
func SplitByProfile(s *Set, ratio float64, seed uint64) (Split, error) {
	if ratio < 0 || ratio >= 1 {
		return Split{}, fmt.Errorf("validation ratio %v is outside [0, 1)", ratio)
	}
	var ids []string
	byID := map[string][]int{}
	for i, sm := range s.Samples {
		if sm.Profile == "" {
			return SplitRandom(s, ratio, seed)
		}
		if _, ok := byID[sm.Profile]; !ok {
			ids = append(ids, sm.Profile)
		}
		byID[sm.Profile] = append(byID[sm.Profile], i)
	}
	sort.Strings(ids)
	nVal := int(math.Round(ratio * float64(len(ids))))
	r := rand.New(rand.NewPCG(seed, 0x5e1171))
	perm := r.Perm(len(ids))
	var sp Split
	for k, p := range perm {
		if k < nVal {
			sp.Val = append(sp.Val, byID[ids[p]]...)
		} else {
			sp.Train = append(sp.Train, byID[ids[p]]...)
		}
	}
	sort.Ints(sp.Train)
	sort.Ints(sp.Val)
	return sp, nil
}

// SplitRandom splits images (not people) at random: round(ratio × n) go to
// validation. This is the baseline's leaky split, kept for comparison.
func SplitRandom(s *Set, ratio float64, seed uint64) (Split, error) {
	if ratio < 0 || ratio >= 1 {
		return Split{}, fmt.Errorf("validation ratio %v is outside [0, 1)", ratio)
	}
	n := len(s.Samples)
	nVal := int(math.Round(ratio * float64(n)))
	r := rand.New(rand.NewPCG(seed, 0x5e1172))
	perm := r.Perm(n)
	sp := Split{Val: append([]int(nil), perm[:nVal]...), Train: append([]int(nil), perm[nVal:]...)}
	sort.Ints(sp.Train)
	sort.Ints(sp.Val)
	return sp, nil
}

// SplitNamed applies the split called name ("profile" or "random").
func SplitNamed(name string, s *Set, ratio float64, seed uint64) (Split, error) {
	switch name {
	case "", "profile":
		return SplitByProfile(s, ratio, seed)
	case "random":
		return SplitRandom(s, ratio, seed)
	}
	return Split{}, fmt.Errorf("split %q is unknown; use profile or random", name)
}
