package dataset

import (
	"encoding/csv"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// PseudoLabel is the class another run gave an eval image, and how sure
// it was (the class's probability; 0 where its file gives classes only).
type PseudoLabel struct {
	Class int
	Prob  float64
}

// PseudoLabels are classes for eval images, by ImageID: another run's
// predictions, to train on as if they were labels (the second cohort's
// winners' pseudo-labelling of the test set).
type PseudoLabels struct {
	ByImage map[string]PseudoLabel
	// Probs says the file held each class's probability (predict
	// --probs), so that the surest can be kept; an ImageID,ans file has
	// classes only.
	Probs bool
}

// ReadPseudoLabels reads an ImageID,ans file (predict's or ensemble's
// --out) or an ImageID,0,1,…,17 file of class probabilities (their
// --probs), told apart by the first row's width; malformed rows are
// skips, as in info.csv.
func ReadPseudoLabels(path string) (PseudoLabels, []Skip, error) {
	f, err := os.Open(path)
	if err != nil {
		return PseudoLabels{}, nil, fmt.Errorf("%s cannot be read: %w", path, err)
	}
	defer f.Close() //nolint:errcheck // read-only
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	p := PseudoLabels{ByImage: map[string]PseudoLabel{}}
	first := true
	var wrong error
	skips := csvRows(cr, path, func(_ string, rec []string) error {
		if first {
			first = false
			if p.Probs = len(rec) > 2; p.Probs {
				if len(rec) != 1+NumClasses {
					wrong = fmt.Errorf("%s has %d probability columns; the mask layout has %d classes", path, len(rec)-1, NumClasses)
				}
				return nil // the header
			}
			if isEvalHeader(rec) {
				if len(rec) == 2 && slices.Contains(TaskNames[:], rec[1]) {
					wrong = fmt.Errorf("%s holds one task's classes (its column is %s), not the 18: combine the three tasks' runs first (maskdash ensemble --run MASK --run GENDER --run AGE)", path, rec[1])
				}
				return nil
			}
		}
		if wrong != nil {
			return nil
		}
		if p.Probs {
			l, err := mostProbable(rec)
			if err != nil {
				return err
			}
			p.ByImage[rec[0]] = l
			return nil
		}
		r, err := parseEvalRow(rec)
		if err != nil {
			return err
		}
		p.ByImage[r.ImageID] = PseudoLabel{Class: r.Ans}
		return nil
	})
	if wrong != nil {
		return PseudoLabels{}, skips, wrong
	}
	if len(p.ByImage) == 0 {
		return PseudoLabels{}, skips, fmt.Errorf("%s has no ImageID,ans row", path)
	}
	return p, skips, nil
}

// mostProbable reads an ImageID,0,1,…,17 record: the most probable class
// and its probability (the row renormalised).
func mostProbable(rec []string) (PseudoLabel, error) {
	if len(rec) != 1+NumClasses || rec[0] == "" {
		return PseudoLabel{}, fmt.Errorf("want ImageID and %d probabilities", NumClasses)
	}
	best, sum := PseudoLabel{Class: -1}, 0.0
	for c, s := range rec[1:] {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || !(v >= 0) || v > 1e300 {
			return PseudoLabel{}, fmt.Errorf("the probabilities are not numbers, 0 or more, with a positive sum")
		}
		sum += v
		if v > best.Prob || best.Class < 0 {
			best = PseudoLabel{Class: c, Prob: v}
		}
	}
	if !(sum > 0) {
		return PseudoLabel{}, fmt.Errorf("the probabilities are not numbers, 0 or more, with a positive sum")
	}
	best.Prob /= sum
	return best, nil
}

// PseudoAdded says what WithPseudoLabels did.
type PseudoAdded struct {
	Joined  int // eval images added to the training split
	Unsure  int // named, but below the probability asked for
	Unknown int // ImageIDs that are not among the eval images
}

// WithPseudoLabels is train with the images of eval that p names added,
// each labelled as p says (eval's own labels, where it has any, are not
// read), keeping only those whose class p gives a probability of at
// least minProb (0: all; more needs a file of probabilities). Both sets
// must be of the mask layout.
func (s *Set) WithPseudoLabels(eval *Set, p PseudoLabels, minProb float64) (*Set, PseudoAdded, error) {
	var a PseudoAdded
	if !s.Masked || eval == nil || eval.Len() == 0 {
		return nil, a, fmt.Errorf("it labels the mask layout's eval images, and %s has none", s.Root)
	}
	if minProb > 0 && !p.Probs {
		return nil, a, fmt.Errorf("keeping the images it gives at least %g needs a file of class probabilities (predict --probs), not of classes", minProb)
	}
	out := *s
	out.Samples = append([]Sample(nil), s.Samples...)
	found := 0
	for _, sm := range eval.Samples {
		l, ok := p.ByImage[sm.Name]
		if !ok {
			continue
		}
		found++
		if l.Prob < minProb {
			a.Unsure++
			continue
		}
		sm.Label = l.Class
		out.Samples = append(out.Samples, sm)
		a.Joined++
	}
	a.Unknown = len(p.ByImage) - found
	return &out, a, nil
}
