package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
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
	if slices.ContainsFunc(s.Samples, func(sm Sample) bool { return sm.Profile == "" }) {
		return SplitRandom(s, ratio, seed)
	}
	ids, byID := people(s)
	nVal := int(math.Round(ratio * float64(len(ids))))
	r := rand.New(rand.NewPCG(seed, 0x5e1171))
	return dealPeople(ids, byID, r.Perm(len(ids)), func(pos int) bool { return pos < nVal }), nil
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

// SplitFold is fold k (1 to folds) of a K-fold split by person: the
// people (each image its own person in sets without profiles) are
// shuffled with the seed and dealt into folds round-robin; fold k is
// validation and the rest training. The folds of one seed cover every
// person exactly once.
func SplitFold(s *Set, k, folds int, seed uint64) (Split, error) {
	if folds < 2 || k < 1 || k > folds {
		return Split{}, fmt.Errorf("fold %d of %d: want folds ≥ 2 and a fold from 1 to folds", k, folds)
	}
	ids, byID := people(s)
	if len(ids) < folds {
		return Split{}, fmt.Errorf("%d folds need at least %d people; the set has %d", folds, folds, len(ids))
	}
	r := rand.New(rand.NewPCG(seed, 0xf01d))
	return dealPeople(ids, byID, r.Perm(len(ids)), func(pos int) bool { return pos%folds == k-1 }), nil
}

// dealPeople puts the images of person ids[perm[pos]] into validation
// where val(pos), else into training; each side sorted.
func dealPeople(ids []string, byID map[string][]int, perm []int, val func(pos int) bool) Split {
	var sp Split
	for pos, p := range perm {
		if val(pos) {
			sp.Val = append(sp.Val, byID[ids[p]]...)
		} else {
			sp.Train = append(sp.Train, byID[ids[p]]...)
		}
	}
	sort.Ints(sp.Train)
	sort.Ints(sp.Val)
	return sp
}

// people groups the samples by person: the sorted person ids and each
// one's sample indices. A sample without a profile (folder, IDX) is a
// person of its own.
func people(s *Set) (ids []string, byID map[string][]int) {
	byID = map[string][]int{}
	for i, sm := range s.Samples {
		id := sm.Profile
		if id == "" {
			id = fmt.Sprintf("\x00%d", i)
		}
		if _, ok := byID[id]; !ok {
			ids = append(ids, id)
		}
		byID[id] = append(byID[id], i)
	}
	sort.Strings(ids)
	return ids, byID
}
