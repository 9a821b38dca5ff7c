package dataset

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ReadMask reads the competition's training layout. root is the folder that
// holds train.csv and images/ (or a folder that holds train/). Each profile
// folder <id>_<gender>_<race>_<age> gives up to seven images whose stems are
// mask1..mask5, incorrect_mask and normal, with any image extension. Hidden
// files, `._*` files, unknown stems and unparsable folders are skipped with a
// Skip each.
func ReadMask(root string, bins AgeBins) (*Set, error) {
	root = maskTrainRoot(root)
	imgDir := filepath.Join(root, "images")
	ents, err := os.ReadDir(imgDir)
	if err != nil {
		return nil, fmt.Errorf("mask layout: %w", err)
	}
	s := &Set{Format: "mask", Root: root, Masked: true, Bins: bins, Classes: ClassNames(bins)}
	folders := map[string]bool{}
	for _, e := range ents {
		name := e.Name()
		if isJunk(name) || !e.IsDir() {
			if !isJunk(name) {
				s.Skipped = append(s.Skipped, Skip{SkipFolder, filepath.Join(imgDir, name), "not a profile folder"})
			}
			continue
		}
		p, err := ParseProfile(name)
		if err != nil {
			s.Skipped = append(s.Skipped, Skip{SkipFolder, filepath.Join(imgDir, name), err.Error()})
			continue
		}
		folders[name] = true
		s.readProfile(filepath.Join(imgDir, name), p)
	}
	if f, err := os.Open(filepath.Join(root, "train.csv")); err == nil {
		rows, skips := ParseTrainCSV(f)
		_ = f.Close() // read-only
		s.Skipped = append(s.Skipped, skips...)
		for _, r := range rows {
			if !folders[r.Path] {
				s.Skipped = append(s.Skipped, Skip{SkipFolder, filepath.Join(imgDir, r.Path), "listed in train.csv but no such folder"})
			}
		}
	}
	if len(s.Samples) == 0 {
		return nil, fmt.Errorf("mask layout %s: %w", imgDir, ErrNoData)
	}
	return s, nil
}

func (s *Set) readProfile(dir string, p Profile) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		s.Skipped = append(s.Skipped, Skip{SkipFolder, dir, "unreadable folder: " + err.Error()})
		return
	}
	for _, e := range ents {
		name := e.Name()
		if isJunk(name) {
			continue
		}
		path := filepath.Join(dir, name)
		stem := strings.TrimSuffix(name, filepath.Ext(name))
		m, ok := MaskStem(stem)
		if e.IsDir() || !ok || !IsImageName(name) {
			s.Skipped = append(s.Skipped, Skip{SkipFile, path, "not one of mask1..5, incorrect_mask, normal with an image extension"})
			continue
		}
		s.Samples = append(s.Samples, Sample{
			Path: path, Label: Encode(m, p.Gender, s.Bins.Bin(p.Age)),
			Profile: p.ID, Age: p.Age, Name: filepath.Base(dir) + "/" + name,
		})
	}
}

// maskTrainRoot finds the folder holding images/ among root and root/train.
func maskTrainRoot(root string) string {
	if st, err := os.Stat(filepath.Join(root, "train", "images")); err == nil && st.IsDir() {
		return filepath.Join(root, "train")
	}
	return root
}

// TrainRow is one row of train.csv.
type TrainRow struct {
	ID, Gender, Race, Age, Path string
}

// ParseTrainCSV reads train.csv (id,gender,race,age,path). Malformed rows
// become Skips; it never fails.
func ParseTrainCSV(r io.Reader) ([]TrainRow, []Skip) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var rows []TrainRow
	header := true
	skips := csvRows(cr, "train.csv", func(_ string, rec []string) error {
		if header {
			header = false
			if len(rec) > 0 && strings.EqualFold(strings.TrimPrefix(rec[0], "\ufeff"), "id") {
				return nil
			}
		}
		if len(rec) != 5 {
			return fmt.Errorf("want 5 fields, got %d", len(rec))
		}
		row := TrainRow{rec[0], rec[1], rec[2], rec[3], rec[4]}
		if _, err := ParseProfile(row.Path); err != nil {
			return err
		}
		rows = append(rows, row)
		return nil
	})
	return rows, skips
}

// EvalRow is one row of eval/info.csv (or eval/truth.csv).
type EvalRow struct {
	ImageID string
	Ans     int
}

// ParseInfoCSV reads an ImageID,ans file. Malformed rows become Skips.
func ParseInfoCSV(r io.Reader, name string) ([]EvalRow, []Skip) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	var rows []EvalRow
	first := true
	skips := csvRows(cr, name, func(_ string, rec []string) error {
		if first {
			first = false
			if isEvalHeader(rec) {
				return nil
			}
		}
		r, err := parseEvalRow(rec)
		if err != nil {
			return err
		}
		rows = append(rows, r)
		return nil
	})
	return rows, skips
}

// isEvalHeader reports whether rec is an ImageID,… header row.
func isEvalHeader(rec []string) bool {
	return len(rec) > 0 && strings.EqualFold(strings.TrimPrefix(rec[0], "\ufeff"), "ImageID")
}

// parseEvalRow reads an ImageID,ans record (ans may be empty: 0).
func parseEvalRow(rec []string) (EvalRow, error) {
	if len(rec) < 1 || rec[0] == "" || len(rec) > 2 {
		return EvalRow{}, errors.New("want ImageID,ans")
	}
	ans := 0
	if len(rec) == 2 && rec[1] != "" {
		if _, err := fmt.Sscanf(rec[1], "%d", &ans); err != nil || ans < 0 || ans >= NumClasses {
			return EvalRow{}, fmt.Errorf("ans %q is not a class 0..17", rec[1])
		}
	}
	return EvalRow{rec[0], ans}, nil
}

// EvalRoot finds the folder holding info.csv among dir and dir/eval.
func EvalRoot(dir string) (string, bool) {
	for _, d := range []string{filepath.Join(dir, "eval"), dir} {
		if _, err := os.Stat(filepath.Join(d, "info.csv")); err == nil {
			return d, true
		}
	}
	return "", false
}

// ReadEval reads the competition's eval layout (info.csv + images/) in
// info.csv order. When truth.csv sits beside info.csv (the synthetic set
// writes one) its answers become the labels; otherwise labels are -1.
// Rows whose image is missing are kept (prediction must still write them)
// but recorded as Skips.
func ReadEval(dir string, bins AgeBins) (*Set, error) {
	root, ok := EvalRoot(dir)
	if !ok {
		return nil, fmt.Errorf("eval layout: no info.csv in %s or %s", dir, filepath.Join(dir, "eval"))
	}
	f, err := os.Open(filepath.Join(root, "info.csv"))
	if err != nil {
		return nil, fmt.Errorf("eval layout: %w", err)
	}
	rows, skips := ParseInfoCSV(f, "info.csv")
	_ = f.Close() // read-only
	truth := map[string]int{}
	if tf, err := os.Open(filepath.Join(root, "truth.csv")); err == nil {
		trows, _ := ParseInfoCSV(tf, "truth.csv")
		_ = tf.Close() // read-only
		for _, r := range trows {
			truth[r.ImageID] = r.Ans
		}
	}
	s := &Set{Format: "eval", Root: root, Masked: true, Bins: bins, Classes: ClassNames(bins), Skipped: skips}
	for _, r := range rows {
		label := -1
		if a, ok := truth[r.ImageID]; ok {
			label = a
		}
		p := filepath.Join(root, "images", r.ImageID)
		if _, err := os.Stat(p); err != nil {
			s.Skipped = append(s.Skipped, Skip{SkipImage, p, "image listed in info.csv is missing"})
		}
		s.Samples = append(s.Samples, Sample{Path: p, Label: label, Age: -1, Name: r.ImageID})
	}
	if len(s.Samples) == 0 {
		return nil, fmt.Errorf("eval layout %s: %w", root, ErrNoData)
	}
	return s, nil
}

// HasTruth reports whether every sample has a label.
func (s *Set) HasTruth() bool {
	for _, sm := range s.Samples {
		if sm.Label < 0 {
			return false
		}
	}
	return len(s.Samples) > 0
}

// sortedDirs lists the non-hidden sub-folders of dir, sorted.
func sortedDirs(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && !isJunk(e.Name()) {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}
