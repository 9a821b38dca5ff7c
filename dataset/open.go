package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Formats lists the names accepted by Options.Format.
var Formats = []string{"mask", "folder", "idx"}

// Options say how to open a data folder.
type Options struct {
	// Format is "mask", "folder", "idx", or "" to detect it.
	Format string
	// Bins are the age bins of the mask layout; zero means DefaultAgeBins.
	Bins AgeBins
	// FixLabels names a label corrections file (ReadCorrections) applied
	// to the mask layout's training images; "" none.
	FixLabels string
}

// Data is an opened data folder: its training images and, when the folder
// has them, held-out test images (the mask layout's eval set when it has
// truth.csv, or IDX t10k files).
type Data struct {
	Format string
	Train  *Set
	Test   *Set // may be nil
}

// Detect guesses the format of a data folder.
func Detect(dir string) (string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("data folder %s does not exist", dir)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("data folder %s is not a folder", dir)
	}
	root := maskTrainRoot(dir)
	if _, err := os.Stat(filepath.Join(root, "train.csv")); err == nil {
		return "mask", nil
	}
	if subs, err := sortedDirs(filepath.Join(root, "images")); err == nil && len(subs) > 0 {
		if _, err := ParseProfile(subs[0]); err == nil {
			return "mask", nil
		}
	}
	if _, _, ok := findIDX(dir, "train"); ok {
		return "idx", nil
	}
	if _, _, ok := findIDX(dir, "t10k"); ok {
		return "idx", nil
	}
	if subs, err := sortedDirs(dir); err == nil && len(subs) > 0 {
		return "folder", nil
	}
	return "", fmt.Errorf("data folder %s is in no known format (mask layout, image folder or IDX files)", dir)
}

// Open reads a data folder in the given or detected format.
func Open(dir string, o Options) (*Data, error) {
	if o.Bins == (AgeBins{}) {
		o.Bins = DefaultAgeBins
	}
	f := strings.ToLower(o.Format)
	if f == "" {
		var err error
		if f, err = Detect(dir); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("data folder %s does not exist", dir)
	}
	if o.FixLabels != "" && f != "mask" {
		return nil, fmt.Errorf("label corrections (%s) apply to the mask layout only; %s is %s data", o.FixLabels, dir, f)
	}
	d := &Data{Format: f}
	var err error
	switch f {
	case "mask":
		if d.Train, err = ReadMask(dir, o.Bins); err != nil {
			return nil, err
		}
		if ev, err := ReadEval(dir, o.Bins); err == nil && ev.HasTruth() {
			d.Test = ev
		}
	case "folder":
		if d.Train, err = ReadFolder(dir); err != nil {
			return nil, err
		}
	case "idx":
		if d.Train, err = ReadIDX(dir, "train"); err != nil {
			return nil, err
		}
		if t, err := ReadIDX(dir, "t10k"); err == nil {
			d.Test = t
		}
	default:
		return nil, fmt.Errorf("format %q is unknown; use one of %s", o.Format, strings.Join(Formats, ", "))
	}
	if o.FixLabels != "" {
		cs, skips, err := ReadCorrections(o.FixLabels)
		if err != nil {
			return nil, err
		}
		_, missing := d.Train.ApplyCorrections(cs)
		d.Train.Skipped = append(append(d.Train.Skipped, skips...), missing...)
	}
	return d, nil
}
