package runs

import (
	"bufio"
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
	step  *colFile
	cols  map[string]*colFile
	names []string
}

type colFile struct {
	f *os.File
	w *bufio.Writer
}

func newColumns(dir string) *columns {
	c := &columns{dir: dir, cols: map[string]*colFile{}}
	// Continue an existing history: align every column to the step count.
	if st, err := os.Stat(filepath.Join(dir, stepFile)); err == nil {
		c.rows = int(st.Size() / 4)
		os.Truncate(filepath.Join(dir, stepFile), int64(c.rows*4))
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if n, ok := strings.CutSuffix(e.Name(), ".f32"); ok {
				p := filepath.Join(dir, e.Name())
				if fi, err := e.Info(); err == nil && fi.Size() > int64(c.rows*4) {
					os.Truncate(p, int64(c.rows*4))
				}
				if cf, err := openCol(p); err == nil {
					c.cols[n] = cf
					c.names = append(c.names, n)
					// Pad a short column (killed mid-row) with NaN.
					if fi, err := cf.f.Stat(); err == nil {
						for k := fi.Size() / 4; k < int64(c.rows); k++ {
							writeF32(cf.w, float32(math.NaN()))
						}
					}
				}
			}
		}
	}
	return c
}

func openCol(p string) (*colFile, error) {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &colFile{f: f, w: bufio.NewWriterSize(f, 4096)}, nil
}

func writeF32(w *bufio.Writer, v float32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
	w.Write(b[:])
}

func (c *columns) append(step int, vals map[string]float64) error {
	if c.step == nil {
		var err error
		if c.step, err = openCol(filepath.Join(c.dir, stepFile)); err != nil {
			return fmt.Errorf("history: %w", err)
		}
	}
	for k := range vals {
		name := badName.ReplaceAllString(k, "_")
		if _, ok := c.cols[name]; ok {
			continue
		}
		cf, err := openCol(filepath.Join(c.dir, name+".f32"))
		if err != nil {
			return fmt.Errorf("history: %w", err)
		}
		for range c.rows {
			writeF32(cf.w, float32(math.NaN()))
		}
		c.cols[name] = cf
		c.names = append(c.names, name)
	}
	for _, n := range c.names {
		v, ok := vals[n]
		if !ok {
			v = math.NaN()
		}
		writeF32(c.cols[n].w, float32(v))
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(step))
	c.step.w.Write(b[:])
	c.rows++
	return nil
}

func (c *columns) sync() error {
	var errs []error
	for _, cf := range c.cols {
		errs = append(errs, cf.w.Flush(), cf.f.Sync())
	}
	if c.step != nil {
		errs = append(errs, c.step.w.Flush(), c.step.f.Sync())
	}
	return errors.Join(errs...)
}

func (c *columns) close() {
	c.sync()
	for _, cf := range c.cols {
		cf.f.Close()
	}
	if c.step != nil {
		c.step.f.Close()
	}
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
			s := reduce(name, b, steps, buckets)
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
	defer f.Close()
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
	return b, func() { syscall.Munmap(b) }, nil
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
