package runs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// The history folder holds step metrics as columns: _step.u32 has one
// little-endian uint32 step per row and <metric>.f32 one float32 per row
// (NaN where a row lacks the metric). Reading a metric is one file read
// and no parsing, which is what makes long runs open fast. metrics.jsonl
// stays the complete record; the columns are what charts read.

const stepFile = "_step.u32"

var badName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

type columns struct {
	dir   string
	rows  int
	step  *os.File
	cols  map[string]*os.File
	names []string
}

// newColumns opens a run's history folder, continuing an existing history:
// every column is cut or padded (with NaN) to the step column's length,
// which is what a writer killed mid-row leaves uneven.
func newColumns(dir string) (*columns, error) {
	c := &columns{dir: dir, cols: map[string]*os.File{}}
	st, err := os.Stat(filepath.Join(dir, stepFile))
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	c.rows = int(st.Size() / 4)
	if err := os.Truncate(filepath.Join(dir, stepFile), int64(c.rows*4)); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		n, ok := strings.CutSuffix(e.Name(), ".f32")
		if !ok {
			continue
		}
		p := filepath.Join(dir, e.Name())
		fi, err := e.Info()
		if err != nil {
			return nil, err
		}
		// Whole rows only, and no more than the step column has.
		if size := min(fi.Size()/4*4, int64(c.rows*4)); size != fi.Size() {
			if err := os.Truncate(p, size); err != nil {
				return nil, err
			}
		}
		f, err := openCol(p)
		if err != nil {
			return nil, err
		}
		c.cols[n] = f
		c.names = append(c.names, n)
		if k := int(fi.Size() / 4); k < c.rows {
			if _, err := f.Write(nanRows(c.rows - k)); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

func openCol(p string) (*os.File, error) {
	return os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
}

func nanRows(n int) []byte {
	b := make([]byte, 4*n)
	for i := range n {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(math.NaN())))
	}
	return b
}

func f32bytes(v float64) []byte {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], math.Float32bits(float32(v)))
	return b[:]
}

// append writes one row. Rows come a few times a second, so each value is
// one write (no buffer to lose); a row that fails part-way is cut off
// again, so the columns stay aligned and the caller may retry.
func (c *columns) append(step int, vals map[string]float64) (err error) {
	if c.step == nil {
		if c.step, err = openCol(filepath.Join(c.dir, stepFile)); err != nil {
			return fmt.Errorf("history: %w", err)
		}
	}
	for k := range vals {
		name := badName.ReplaceAllString(k, "_")
		if _, ok := c.cols[name]; ok {
			continue
		}
		f, err := openCol(filepath.Join(c.dir, name+".f32"))
		if err != nil {
			return fmt.Errorf("history: %w", err)
		}
		if _, err := f.Write(nanRows(c.rows)); err != nil {
			_ = f.Close()           // the write error is the one to report
			_ = os.Remove(f.Name()) // a new column that could not be padded is not kept
			return fmt.Errorf("history: %w", err)
		}
		c.cols[name] = f
		c.names = append(c.names, name)
	}
	written := []*os.File{}
	defer func() {
		if err != nil {
			for _, f := range written {
				_ = f.Truncate(int64(c.rows * 4)) // best effort: reopening the history realigns it too
			}
		}
	}()
	for _, n := range c.names {
		v, ok := vals[n]
		if !ok {
			v = math.NaN()
		}
		f := c.cols[n]
		written = append(written, f)
		if _, err := f.Write(f32bytes(v)); err != nil {
			return fmt.Errorf("history: %w", err)
		}
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(step))
	if _, err := c.step.Write(b[:]); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	c.rows++
	return nil
}

func (c *columns) sync() error {
	var errs []error
	for _, f := range c.cols {
		errs = append(errs, f.Sync())
	}
	if c.step != nil {
		errs = append(errs, c.step.Sync())
	}
	return errors.Join(errs...)
}

func (c *columns) close() error {
	errs := []error{c.sync()}
	for _, f := range c.cols {
		errs = append(errs, f.Close())
	}
	if c.step != nil {
		errs = append(errs, c.step.Close())
	}
	return errors.Join(errs...)
}

// Series is one metric's history reduced to buckets: each bucket keeps the
// minimum, maximum and last value of the rows it covers, so spikes survive
// at any zoom.
type Series struct {
	Name  string
	Step  []int     // last step of each bucket
	Min   []float64 // NaN where a bucket had no value
	Max   []float64
	Last  []float64
	Count int // rows with a value
}

// History is a run's step metrics, chart-ready.
type History struct {
	Rows   int
	Series map[string]*Series
}

// Names returns the metric names, sorted.
func (h *History) Names() []string {
	var out []string
	for k := range h.Series {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ReadHistory reads a run's columnar step history reduced to at most
// buckets buckets per metric (all rows when buckets ≤ 0 or more than the
// rows). Metrics are read and reduced in parallel.
func ReadHistory(runDir string, buckets int) (*History, error) {
	return ReadHistoryRange(runDir, 0, math.MaxInt, buckets)
}

// ReadHistoryRange is ReadHistory of the rows whose step is in [from, to]
// (a zoomed chart).
func ReadHistoryRange(runDir string, from, to, buckets int) (*History, error) {
	dir := filepath.Join(runDir, "history")
	sb, err := os.ReadFile(filepath.Join(dir, stepFile))
	if errors.Is(err, os.ErrNotExist) {
		return &History{Series: map[string]*Series{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	rows := len(sb) / 4
	steps := make([]int, rows)
	for i := range steps {
		steps[i] = int(binary.LittleEndian.Uint32(sb[4*i:]))
	}
	// Steps only grow: the range is a run of rows.
	first := sort.SearchInts(steps, from)
	last := sort.SearchInts(steps, to+1)
	if to == math.MaxInt {
		last = rows
	}
	steps = steps[first:last]
	rows = len(steps)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	h := &History{Rows: rows, Series: map[string]*Series{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	var firstErr error
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".f32")
		if !ok {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			b, unmap, err := mapFile(filepath.Join(dir, e.Name()))
			if err != nil {
				mu.Lock()
				firstErr = errors.Join(firstErr, err)
				mu.Unlock()
				return
			}
			s := reduce(name, b[min(4*first, len(b)):min(4*(first+rows), len(b))], steps, buckets)
			unmap()
			mu.Lock()
			h.Series[name] = s
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, fmt.Errorf("history: %w", firstErr)
	}
	return h, nil
}

func reduce(name string, b []byte, steps []int, buckets int) *Series {
	n := min(len(b)/4, len(steps))
	if buckets <= 0 || buckets > n {
		buckets = n
	}
	s := &Series{Name: name}
	if n == 0 {
		return s
	}
	s.Step = make([]int, 0, buckets)
	s.Min = make([]float64, 0, buckets)
	s.Max = make([]float64, 0, buckets)
	s.Last = make([]float64, 0, buckets)
	vals := f32view(b[:4*n])
	for k := range buckets {
		lo, hi := k*n/buckets, (k+1)*n/buckets
		mn, mx, last := float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())
		for _, v := range vals[lo:hi] {
			if v != v {
				continue
			}
			mn = min(mn, v)
			mx = max(mx, v)
			last = v
			s.Count++
		}
		if last != last {
			mn, mx = last, last
		}
		s.Step = append(s.Step, steps[hi-1])
		s.Min = append(s.Min, float64(mn))
		s.Max = append(s.Max, float64(mx))
		s.Last = append(s.Last, float64(last))
	}
	return s
}

// mapFile maps a file read-only (no copy into the heap); unmap releases it.
func mapFile(path string) ([]byte, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close() //nolint:errcheck // read-only: nothing to lose
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.Size() == 0 {
		return nil, func() {}, nil
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		// Fall back to reading.
		b, err := os.ReadFile(path)
		return b, func() {}, err
	}
	// Unmapping a read-only mapping only fails for a bad address, which
	// this one is not.
	return b, func() { _ = syscall.Munmap(b) }, nil
}

// f32view reinterprets little-endian bytes as float32s (the history is
// written little-endian; on a big-endian machine it decodes instead).
func f32view(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 && uintptr(unsafe.Pointer(&b[0]))%4 == 0 {
		return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// rewind cuts every column to the rows whose step is at most step.
func (c *columns) rewind(step int) error {
	if err := c.sync(); err != nil {
		return err
	}
	sb, err := os.ReadFile(filepath.Join(c.dir, stepFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	rows := len(sb) / 4
	keep := rows
	for keep > 0 && int(binary.LittleEndian.Uint32(sb[4*(keep-1):])) > step {
		keep--
	}
	if keep == rows {
		return nil
	}
	files := []string{filepath.Join(c.dir, stepFile)}
	for _, n := range c.names {
		files = append(files, filepath.Join(c.dir, n+".f32"))
	}
	for _, f := range files {
		if err := os.Truncate(f, int64(keep*4)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	c.rows = keep
	return nil
}
