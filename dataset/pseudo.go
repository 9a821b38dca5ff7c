package dataset

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
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
// --probs); malformed rows are skips, as in info.csv.
func ReadPseudoLabels(path string) (PseudoLabels, []Skip, error) {
	f, err := os.Open(path)
	if err != nil {
		return PseudoLabels{}, nil, fmt.Errorf("%s cannot be read: %w", path, err)
	}
	defer f.Close() //nolint:errcheck // read-only
	head, err := csv.NewReader(f).Read()
	if err != nil {
		return PseudoLabels{}, nil, fmt.Errorf("%s has no ImageID,ans row", path)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return PseudoLabels{}, nil, err
	}
	p := PseudoLabels{ByImage: map[string]PseudoLabel{}, Probs: len(head) > 2}
	var skips []Skip
	if p.Probs {
		skips, err = readClassProbs(f, path, p.ByImage)
		if err != nil {
			return PseudoLabels{}, skips, err
		}
	} else {
		var rows []EvalRow
		rows, skips = ParseInfoCSV(f, path)
		for _, r := range rows {
			p.ByImage[r.ImageID] = PseudoLabel{Class: r.Ans}
		}
	}
	if len(p.ByImage) == 0 {
		return PseudoLabels{}, skips, fmt.Errorf("%s has no ImageID,ans row", path)
	}
	return p, skips, nil
}

// readClassProbs reads ImageID,0,1,…,17 rows into by: each image's most
// probable class and its probability (the row renormalised).
func readClassProbs(r io.Reader, name string, by map[string]PseudoLabel) ([]Skip, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	var skips []Skip
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return skips, nil
		}
		where := fmt.Sprintf("%s:%d", name, line)
		if err != nil {
			skips = append(skips, Skip{SkipRow, where, "malformed CSV: " + err.Error()})
			if _, ok := err.(*csv.ParseError); ok {
				continue
			}
			return skips, nil
		}
		if line == 1 {
			if len(rec) != 1+NumClasses {
				return skips, fmt.Errorf("%s has %d probability columns; the mask layout has %d classes", name, len(rec)-1, NumClasses)
			}
			continue
		}
		if len(rec) != 1+NumClasses || rec[0] == "" {
			skips = append(skips, Skip{SkipRow, where, fmt.Sprintf("want ImageID and %d probabilities", NumClasses)})
			continue
		}
		best, sum, ok := PseudoLabel{Class: -1}, 0.0, true
		for c, s := range rec[1:] {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || !(v >= 0) || v > 1e300 {
				ok = false
				break
			}
			sum += v
			if v > best.Prob || best.Class < 0 {
				best = PseudoLabel{Class: c, Prob: v}
			}
		}
		if !ok || !(sum > 0) {
			skips = append(skips, Skip{SkipRow, where, "the probabilities are not numbers, 0 or more, with a positive sum"})
			continue
		}
		best.Prob /= sum
		by[rec[0]] = best
	}
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
