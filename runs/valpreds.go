package runs

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ValItem is one validation image, as val/index.tsv names it: where its
// pixels are (a file, or the index of an in-memory image of an IDX set),
// its name and its true class.
type ValItem struct {
	Name  string
	Path  string // the image file; empty for an in-memory image
	Mem   int    // the in-memory image's index when Path is empty
	Label int
}

// ValPreds is one epoch's validation predictions, one row per image in
// the order of val/index.tsv: the true and predicted class, the image's
// loss (−log p of its true class) and every class probability.
type ValPreds struct {
	Epoch   int
	Classes int
	Truth   []int
	Pred    []int
	Loss    []float32
	// Probs holds Classes probabilities per image, row after row.
	Probs []float32
	// Items names the images (val/index.tsv) and Names the classes
	// (val/classes.txt); set by ReadValPreds, and by the writer the first
	// time it writes a run's predictions.
	Items []ValItem
	Names []string
	// Unread marks the images that could not be read (nil: none): their
	// rows are uniform probabilities and no prediction (Pred 0), kept so
	// that every run of a split has a row for each of its images. Worst,
	// ClassPR and WithoutUnread leave them out, as the epoch's figures
	// did. The file writes their predicted class as 65535.
	Unread []bool
}

// unreadClass is an unread image's predicted class in the file.
const unreadClass = 0xFFFF

// IsUnread reports whether image i could not be read.
func (p *ValPreds) IsUnread(i int) bool { return p.Unread != nil && p.Unread[i] }

// WithoutUnread is p without the rows of the images that could not be
// read (p itself when there are none): what a figure of one run's
// predictions is computed on.
func (p *ValPreds) WithoutUnread() *ValPreds {
	if p.Unread == nil {
		return p
	}
	keep := make([]bool, p.Len())
	for i := range keep {
		keep[i] = !p.Unread[i]
	}
	return p.Only(keep)
}

// Only is p with the rows keep marks (a new ValPreds; Names shared).
func (p *ValPreds) Only(keep []bool) *ValPreds {
	q := &ValPreds{Epoch: p.Epoch, Classes: p.Classes, Names: p.Names}
	for i, k := range keep {
		if !k {
			continue
		}
		q.Truth = append(q.Truth, p.Truth[i])
		q.Pred = append(q.Pred, p.Pred[i])
		q.Loss = append(q.Loss, p.Loss[i])
		q.Probs = append(q.Probs, p.Probs[i*p.Classes:(i+1)*p.Classes]...)
		if p.Items != nil {
			q.Items = append(q.Items, p.Items[i])
		}
	}
	return q
}

// Len is the number of images.
func (p *ValPreds) Len() int { return len(p.Truth) }

// Prob returns image i's probability of class c.
func (p *ValPreds) Prob(i, c int) float32 { return p.Probs[i*p.Classes+c] }

// Worst returns the images whose true class is truth and predicted class
// is pred (either may be -1 for any; both -1 means every misclassified
// image), worst first (by loss), at most top of them (0: all).
func (p *ValPreds) Worst(truth, pred, top int) []int {
	var idx []int
	for i := range p.Truth {
		if p.IsUnread(i) {
			continue // no prediction: not misclassified
		}
		t, q := p.Truth[i], p.Pred[i]
		switch {
		case truth < 0 && pred < 0:
			if t == q {
				continue
			}
		case truth >= 0 && t != truth, pred >= 0 && q != pred:
			continue
		}
		idx = append(idx, i)
	}
	sort.SliceStable(idx, func(a, b int) bool { return p.Loss[idx[a]] > p.Loss[idx[b]] })
	if top > 0 && len(idx) > top {
		idx = idx[:top]
	}
	return idx
}

// ValDir is the folder of a run's validation predictions.
func ValDir(runDir string) string { return filepath.Join(runDir, "val") }

func valFile(runDir string, epoch int) string {
	return filepath.Join(ValDir(runDir), fmt.Sprintf("%03d.preds", epoch))
}

// The .preds format: the magic, then little-endian uint32 epoch, images
// and classes, then one record per image: uint16 true class, uint16
// predicted class, float32 loss, and a uint16 per class holding its
// probability × 65535. 18 classes take 44 bytes an image.
const valMagic = "MDVALv1\n"

// WriteValPreds writes one epoch's predictions (and val/index.tsv when
// p.Items is set), each file atomically.
func (r *Run) WriteValPreds(p *ValPreds) error {
	if err := os.MkdirAll(ValDir(r.Dir), 0o755); err != nil {
		return fmt.Errorf("validation predictions: %w", err)
	}
	if p.Items != nil {
		if err := writeValIndex(r.Dir, p.Items); err != nil {
			return err
		}
		names := make([]string, len(p.Names))
		for i, n := range p.Names {
			names[i] = clean(n) + "\n"
		}
		if err := WriteFileAtomic(filepath.Join(ValDir(r.Dir), "classes.txt"), []byte(strings.Join(names, ""))); err != nil {
			return fmt.Errorf("validation classes: %w", err)
		}
	}
	n, c := p.Len(), p.Classes
	b := make([]byte, 0, len(valMagic)+12+n*(8+2*c))
	b = append(b, valMagic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(p.Epoch))
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	b = binary.LittleEndian.AppendUint32(b, uint32(c))
	for i := range n {
		b = binary.LittleEndian.AppendUint16(b, uint16(p.Truth[i]))
		pred := uint16(p.Pred[i])
		if p.IsUnread(i) {
			pred = unreadClass
		}
		b = binary.LittleEndian.AppendUint16(b, pred)
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.Loss[i]))
		for _, v := range p.Probs[i*c : (i+1)*c] {
			b = binary.LittleEndian.AppendUint16(b, uint16(math.Round(float64(min(max(v, 0), 1))*65535)))
		}
	}
	if err := WriteFileAtomic(valFile(r.Dir, p.Epoch), b); err != nil {
		return fmt.Errorf("validation predictions: %w", err)
	}
	return nil
}

func writeValIndex(runDir string, items []ValItem) error {
	var sb strings.Builder
	sb.WriteString("i\tlabel\tname\tsource\n")
	for i, it := range items {
		src := it.Path
		if src == "" {
			src = "mem:" + strconv.Itoa(it.Mem)
		}
		fmt.Fprintf(&sb, "%d\t%d\t%s\t%s\n", i, it.Label, clean(it.Name), clean(src))
	}
	if err := WriteFileAtomic(filepath.Join(ValDir(runDir), "index.tsv"), []byte(sb.String())); err != nil {
		return fmt.Errorf("validation index: %w", err)
	}
	return nil
}

// clean keeps a field on its line and in its column.
func clean(s string) string { return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s) }

// DropValPredsAfter removes the validation predictions of the epochs
// past epoch: a resume from a checkpoint at epoch redoes them, and the
// log has just dropped them (RewindTo). Until the redone epoch wrote its
// own, they stood for an epoch the run no longer has; after a resume to
// fewer epochs, for good ("the last kept" epoch of errors and cam).
func (r *Run) DropValPredsAfter(epoch int) error {
	epochs, err := ValEpochs(r.Dir)
	if err != nil {
		return fmt.Errorf("validation predictions: %w", err)
	}
	var errs []error
	for _, e := range epochs {
		if e > epoch {
			if err := os.Remove(valFile(r.Dir, e)); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("validation predictions: %w", err)
	}
	return nil
}

// ValEpochs lists the epochs whose validation predictions the run kept,
// in order.
func ValEpochs(runDir string) ([]int, error) {
	ents, err := os.ReadDir(ValDir(runDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []int
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".preds")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(name); err == nil {
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out, nil
}

// ReadValPreds reads one epoch's validation predictions and the index
// that names their images.
func ReadValPreds(runDir string, epoch int) (*ValPreds, error) {
	path := valFile(runDir, epoch)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("the run has no validation predictions for epoch %d", epoch)
		}
		return nil, err
	}
	bad := func(why string) error { return fmt.Errorf("%s is not a validation predictions file: %s", path, why) }
	if len(b) < len(valMagic)+12 || string(b[:len(valMagic)]) != valMagic {
		return nil, bad("its header is wrong")
	}
	b = b[len(valMagic):]
	p := &ValPreds{Epoch: int(binary.LittleEndian.Uint32(b))}
	n, c := int(binary.LittleEndian.Uint32(b[4:])), int(binary.LittleEndian.Uint32(b[8:]))
	b = b[12:]
	rec := 8 + 2*c
	if c == 0 || c > 1<<15 || n < 0 || len(b) != n*rec {
		return nil, bad(fmt.Sprintf("%d bytes for %d images of %d classes", len(b), n, c))
	}
	p.Classes = c
	p.Truth, p.Pred = make([]int, n), make([]int, n)
	p.Loss, p.Probs = make([]float32, n), make([]float32, n*c)
	for i := range n {
		r := b[i*rec:]
		p.Truth[i] = int(binary.LittleEndian.Uint16(r))
		p.Pred[i] = int(binary.LittleEndian.Uint16(r[2:]))
		if p.Pred[i] == unreadClass {
			if p.Unread == nil {
				p.Unread = make([]bool, n)
			}
			p.Unread[i], p.Pred[i] = true, 0
		}
		if p.Truth[i] >= c || p.Pred[i] >= c {
			return nil, bad(fmt.Sprintf("image %d has class %d or %d of %d", i, p.Truth[i], p.Pred[i], c))
		}
		p.Loss[i] = math.Float32frombits(binary.LittleEndian.Uint32(r[4:]))
		for k := range c {
			p.Probs[i*c+k] = float32(binary.LittleEndian.Uint16(r[8+2*k:])) / 65535
		}
	}
	items, err := readValIndex(runDir)
	if err != nil {
		return nil, err
	}
	if len(items) != n {
		return nil, fmt.Errorf("%s names %d images but epoch %d has predictions for %d", filepath.Join(ValDir(runDir), "index.tsv"), len(items), epoch, n)
	}
	p.Items = items
	names, err := os.ReadFile(filepath.Join(ValDir(runDir), "classes.txt"))
	if err != nil {
		return nil, fmt.Errorf("validation classes: %w", err)
	}
	p.Names = strings.Split(strings.TrimSuffix(string(names), "\n"), "\n")
	if len(p.Names) != c {
		return nil, fmt.Errorf("%s names %d classes but the predictions have %d", filepath.Join(ValDir(runDir), "classes.txt"), len(p.Names), c)
	}
	return p, nil
}

// ClassIndex finds a class by its name or number.
func (p *ValPreds) ClassIndex(s string) (int, bool) {
	for i, n := range p.Names {
		if n == s {
			return i, true
		}
	}
	if i, err := strconv.Atoi(s); err == nil && i >= 0 && i < p.Classes {
		return i, true
	}
	return 0, false
}

func readValIndex(runDir string) ([]ValItem, error) {
	path := filepath.Join(ValDir(runDir), "index.tsv")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("validation index: %w", err)
	}
	defer f.Close() //nolint:errcheck // read-only: a failed close loses nothing
	var items []ValItem
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			continue
		}
		fs := strings.Split(sc.Text(), "\t")
		if len(fs) != 4 {
			return nil, fmt.Errorf("%s line %d: want 4 tab-separated fields, got %d", path, line, len(fs))
		}
		it := ValItem{Name: fs[2]}
		if it.Label, err = strconv.Atoi(fs[1]); err != nil {
			return nil, fmt.Errorf("%s line %d: label %q is not a number", path, line, fs[1])
		}
		if m, ok := strings.CutPrefix(fs[3], "mem:"); ok {
			if it.Mem, err = strconv.Atoi(m); err != nil {
				return nil, fmt.Errorf("%s line %d: source %q is not mem:N", path, line, fs[3])
			}
		} else {
			it.Path = fs[3]
		}
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return items, nil
}
