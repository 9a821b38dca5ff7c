package dataset

import (
	"fmt"
	"strconv"
	"strings"
)

// AgeRange is the ages From to To, both included.
type AgeRange struct{ From, To int }

// AgeRanges are some ranges of ages: the ages a run's training skips
// (the competition's 2022 winners left out 27–29 and 57–59, the people
// nearest a class border, whose labels a photo supports least).
type AgeRanges []AgeRange

// ParseAgeRanges reads "27-29,57-59" (a single age stands for itself:
// "29,59"). Ranges may also be joined by ":" ("27-29:57-59"), the form a
// sweep's --grid needs, as its commas separate values; "none" is no
// range (a grid's way to say "skip nothing").
func ParseAgeRanges(s string) (AgeRanges, error) {
	var out AgeRanges
	if strings.TrimSpace(s) == "none" {
		return out, nil
	}
	for _, part := range strings.Split(strings.ReplaceAll(s, ":", ","), ",") {
		part = strings.TrimSpace(part)
		from, to, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(strings.TrimSpace(from))
		b, err2 := a, error(nil)
		if isRange {
			b, err2 = strconv.Atoi(strings.TrimSpace(to))
		}
		if err1 != nil || err2 != nil || a < 0 || b < a {
			return nil, fmt.Errorf("age ranges %q: %q is not an age or a range of ages such as 57-59", s, part)
		}
		out = append(out, AgeRange{a, b})
	}
	return out, nil
}

// Has reports whether age is in one of the ranges.
func (r AgeRanges) Has(age int) bool {
	for _, a := range r {
		if age >= a.From && age <= a.To {
			return true
		}
	}
	return false
}

// String formats the ranges as ParseAgeRanges reads them.
func (r AgeRanges) String() string {
	parts := make([]string, len(r))
	for i, a := range r {
		parts[i] = fmt.Sprintf("%d-%d", a.From, a.To)
		if a.From == a.To {
			parts[i] = strconv.Itoa(a.From)
		}
	}
	return strings.Join(parts, ",")
}

// WithoutAges is the set without the images of people whose age is in r
// (mask layout only), and how many it left out.
func (s *Set) WithoutAges(r AgeRanges) (*Set, int, error) {
	if !s.Masked {
		return nil, 0, fmt.Errorf("ages are the mask layout's; %s has none", s.Root)
	}
	keep := make([]int, 0, len(s.Samples))
	for i, sm := range s.Samples {
		if !r.Has(sm.Age) {
			keep = append(keep, i)
		}
	}
	return s.Subset(keep), len(s.Samples) - len(keep), nil
}
