package dataset

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// CorrectionField is what a label correction changes.
type CorrectionField string

// The fields a correction may change: a person's gender or age, or the
// swap of their incorrect_mask and normal photos (the community found all
// three wrong in the competition's data).
const (
	FixGender CorrectionField = "gender" // value: male or female
	FixAge    CorrectionField = "age"    // value: years
	FixMask   CorrectionField = "mask"   // value: swap (incorrect_mask ↔ normal)
)

// Correction is one row of a label corrections file: person id, field,
// value, as in
//
//	id,field,value
//	000225,gender,male
//	001009,age,29
//	000020,mask,swap
type Correction struct {
	Profile string
	Field   CorrectionField
	Value   string
	Where   string // file:line, for warnings
	gender  int
	age     int
}

// ReadCorrections reads a label corrections file. A file that cannot be
// read is an error; a row that does not parse is a Skip (warned about and
// counted, as every skipped input). Lines starting with # are comments.
func ReadCorrections(path string) ([]Correction, []Skip, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("label corrections: %w", err)
	}
	defer f.Close() //nolint:errcheck // read-only
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	var out []Correction
	first := true
	skips := csvRows(cr, filepath.Base(path), func(where string, rec []string) error {
		if first {
			first = false
			if len(rec) > 0 && strings.EqualFold(strings.TrimPrefix(rec[0], "\ufeff"), "id") {
				return nil
			}
		}
		c, err := parseCorrection(rec)
		if err != nil {
			return err
		}
		c.Where = where
		out = append(out, c)
		return nil
	})
	return out, skips, nil
}

func parseCorrection(rec []string) (Correction, error) {
	if len(rec) != 3 {
		return Correction{}, fmt.Errorf("want id,field,value, got %d fields", len(rec))
	}
	c := Correction{Profile: strings.TrimSpace(rec[0]), Field: CorrectionField(strings.ToLower(strings.TrimSpace(rec[1]))), Value: strings.ToLower(strings.TrimSpace(rec[2]))}
	if c.Profile == "" {
		return Correction{}, errors.New("empty person id")
	}
	switch c.Field {
	case FixGender:
		switch c.Value {
		case "male":
			c.gender = GenderMale
		case "female":
			c.gender = GenderFemale
		default:
			return Correction{}, fmt.Errorf("gender %q is neither male nor female", c.Value)
		}
	case FixAge:
		a, err := strconv.Atoi(c.Value)
		if err != nil || a < 0 || a > 150 {
			return Correction{}, fmt.Errorf("age %q is not a number of years", c.Value)
		}
		c.age = a
	case FixMask:
		if c.Value != "swap" {
			return Correction{}, fmt.Errorf("mask %q: the one mask correction is swap (incorrect_mask ↔ normal)", c.Value)
		}
	default:
		return Correction{}, fmt.Errorf("field %q is unknown; use gender, age or mask", c.Field)
	}
	return c, nil
}

// ApplyCorrections changes the labels of the mask layout's images as the
// corrections say, in order, and returns how many images' labels changed.
// A correction of a person the set does not hold is a Skip.
func (s *Set) ApplyCorrections(cs []Correction) (changed int, skips []Skip) {
	if !s.Masked {
		return 0, []Skip{{SkipRow, s.Root, "label corrections apply to the mask layout only"}}
	}
	byProfile := map[string][]int{}
	for i, sm := range s.Samples {
		if sm.Profile != "" && sm.Label >= 0 {
			byProfile[sm.Profile] = append(byProfile[sm.Profile], i)
		}
	}
	before := s.Labels()
	for _, c := range cs {
		idx, ok := byProfile[c.Profile]
		if !ok {
			skips = append(skips, Skip{SkipRow, c.Where, fmt.Sprintf("no person %s in the data", c.Profile)})
			continue
		}
		for _, i := range idx {
			sm := &s.Samples[i]
			m, g, _ := Decode(sm.Label)
			switch c.Field {
			case FixGender:
				g = c.gender
			case FixAge:
				sm.Age = c.age
			case FixMask:
				switch m {
				case MaskIncorrect:
					m = MaskNotWear
				case MaskNotWear:
					m = MaskIncorrect
				}
			}
			sm.Label = Encode(m, g, s.Bins.Bin(sm.Age))
		}
	}
	for i, l := range before {
		if s.Samples[i].Label != l {
			changed++
		}
	}
	s.Corrected += changed
	return changed, skips
}

// SuggestCorrections proposes corrections for an image of person p,
// labelled truth, that a model predicts as pred: one for each task the
// two classes differ in. A gender, and incorrect_mask against normal (the
// swap), are rows; an age is a comment to fill in, since a prediction
// gives an age bin, not an age; a photo with the mask worn (mask1–5)
// against either of the others has no correction, as its state is its
// file name. why says, in a few words, what was left out and why ("" when
// nothing was).
func SuggestCorrections(p Profile, truth, pred int, b AgeBins) (rows []string, why string) {
	tm, tg, ta := Decode(truth)
	pm, pg, pa := Decode(pred)
	var skipped []string
	if tm != pm {
		if tm != MaskWear && pm != MaskWear {
			rows = append(rows, fmt.Sprintf("%s,%s,swap", p.ID, FixMask))
		} else {
			skipped = append(skipped, "a mask1–5 photo's state is its file name")
		}
	}
	if tg != pg {
		rows = append(rows, fmt.Sprintf("%s,%s,%s", p.ID, FixGender, TaskClassNames(b)[1][pg]))
	}
	if ta != pa {
		ages := TaskClassNames(b)[2]
		rows = append(rows, fmt.Sprintf("# %s,%s,?  labelled %d (%s), predicted %s: write the age if the label is wrong", p.ID, FixAge, p.Age, ages[ta], ages[pa]))
	}
	return rows, strings.Join(skipped, "; ")
}

// AppendCorrections adds rows to a corrections file, made with its header
// when missing, leaving out the rows it holds already; it returns how
// many it added.
func AppendCorrections(path string, rows []string) (int, error) {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("label corrections: %w", err)
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(old), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	var b strings.Builder
	if len(old) == 0 {
		b.WriteString("id,field,value\n")
	} else if !strings.HasSuffix(string(old), "\n") {
		b.WriteString("\n")
	}
	added := 0
	for _, r := range rows {
		if have[strings.TrimSpace(r)] {
			continue
		}
		have[strings.TrimSpace(r)] = true
		b.WriteString(r + "\n")
		added++
	}
	if added == 0 {
		return 0, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, fmt.Errorf("label corrections: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("label corrections: %w", err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		_ = f.Close() // the write's error is the one to report
		return 0, fmt.Errorf("label corrections: %w", err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("label corrections: %w", err)
	}
	return added, nil
}
