package dataset

import (
	"fmt"
	"os"
)

// PseudoLabels are classes for eval images, by ImageID: another run's
// predictions (an ImageID,ans file), to train on as if they were labels
// (the second cohort's winners' pseudo-labelling of the test set).
type PseudoLabels map[string]int

// ReadPseudoLabels reads an ImageID,ans file; its malformed rows are
// skips, as in info.csv.
func ReadPseudoLabels(path string) (PseudoLabels, []Skip, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s cannot be read: %w", path, err)
	}
	defer f.Close() //nolint:errcheck // read-only
	rows, skips := ParseInfoCSV(f, path)
	if len(rows) == 0 {
		return nil, skips, fmt.Errorf("%s has no ImageID,ans row", path)
	}
	p := make(PseudoLabels, len(rows))
	for _, r := range rows {
		p[r.ImageID] = r.Ans
	}
	return p, skips, nil
}

// WithPseudoLabels is train with the images of eval that p names added,
// each labelled as p says (eval's own labels, where it has any, are not
// read), and how many of p's ImageIDs eval lacks. Both sets must be of
// the mask layout.
func (s *Set) WithPseudoLabels(eval *Set, p PseudoLabels) (*Set, int, error) {
	if !s.Masked || eval == nil || eval.Len() == 0 {
		return nil, 0, fmt.Errorf("it labels the mask layout's eval images, and %s has none", s.Root)
	}
	out := *s
	out.Samples = append([]Sample(nil), s.Samples...)
	found := 0
	for _, sm := range eval.Samples {
		y, ok := p[sm.Name]
		if !ok {
			continue
		}
		found++
		sm.Label = y
		out.Samples = append(out.Samples, sm)
	}
	return &out, len(p) - found, nil
}
