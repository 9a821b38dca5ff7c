package runs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCreateLockListAndCrash(t *testing.T) {
	s := NewStore(t.TempDir())
	r, err := s.Create(Info{Model: "vgg-s", Loss: "focal", Start: time.Date(2026, 11, 26, 18, 30, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if r.ID() != "20261126-183000-vgg-s-focal" {
		t.Errorf("id %s", r.ID())
	}
	r2, err := s.Create(Info{Model: "vgg-s", Loss: "focal", Start: time.Date(2026, 11, 26, 18, 30, 0, 0, time.UTC)})
	if err != nil || r2.ID() != "20261126-183000-vgg-s-focal-2" {
		t.Fatalf("second id %v %v", r2, err)
	}
	if _, err := s.OpenForWrite(r.ID()); !errors.Is(err, ErrLocked) {
		t.Errorf("a second writer was let in: %v", err)
	}
	if info, _ := s.Info(r.ID()); info.Status != StatusRunning {
		t.Errorf("live run shows %s", info.Status)
	}
	r.Close(StatusDone, nil)
	// r2's writer "dies": its lock goes away but run.json still says running.
	r2.lock.Close()
	list, err := s.List()
	if err != nil || len(list) != 2 {
		t.Fatalf("%v %v", list, err)
	}
	got := map[string]Status{}
	for _, l := range list {
		got[l.Info.ID] = l.Info.Status
	}
	if got[r.ID()] != StatusDone || got[r2.ID()] != StatusCrashed {
		t.Errorf("statuses %v", got)
	}
	// A crashed run's duration ends at its last write, not now (it was
	// 47 minutes for a run that trained for one, and growing).
	last := time.Date(2026, 11, 26, 18, 31, 10, 0, time.UTC)
	for _, f := range []string{"metrics.jsonl", "run.json"} {
		if err := os.Chtimes(filepath.Join(s.Path(r2.ID()), f), last, last); err != nil {
			t.Fatal(err)
		}
	}
	if info, err := s.Info(r2.ID()); err != nil || info.Duration() != 70*time.Second {
		t.Errorf("a crashed run's duration: %v (%v), want 1m10s", info.Duration(), err)
	}
}

func TestCorruptRunJSONNamesTheFileAndOthersStillList(t *testing.T) {
	s := NewStore(t.TempDir())
	good, _ := s.Create(Info{Model: "cnn-s", Loss: "ce"})
	good.Close(StatusDone, nil)
	bad, _ := s.Create(Info{Model: "cnn-s", Loss: "f1", Name: "bad"})
	bad.Close(StatusDone, nil)
	p := filepath.Join(s.Path(bad.ID()), "run.json")
	os.WriteFile(p, []byte("{not json"), 0o644)
	list, err := s.List()
	if err != nil || len(list) != 2 {
		t.Fatalf("%v %v", list, err)
	}
	for _, l := range list {
		if l.Info.ID == bad.ID() && (l.Err == nil || !strings.Contains(l.Err.Error(), p)) {
			t.Errorf("corrupt run: %v", l.Err)
		}
		if l.Info.ID == good.ID() && (l.Err != nil || l.Info.Status != StatusDone) {
			t.Errorf("good run: %+v %v", l.Info, l.Err)
		}
	}
}

func TestTornLastLineIsIgnoredAndRepaired(t *testing.T) {
	s := NewStore(t.TempDir())
	r, _ := s.Create(Info{Model: "cnn-s", Loss: "ce"})
	r.Append(map[string]int{"step": 1})
	r.Append(map[string]int{"step": 2})
	r.Close(StatusDone, nil)
	log := filepath.Join(s.Path(r.ID()), "metrics.jsonl")
	f, _ := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"step": 3, "lo`)
	f.Close()
	count := func() int {
		n := 0
		if err := ReadLog(s.Path(r.ID()), func([]byte) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 2 {
		t.Fatalf("%d lines read, want 2", n)
	}
	r2, err := s.OpenForWrite(r.ID())
	if err != nil {
		t.Fatal(err)
	}
	r2.Append(map[string]int{"step": 3})
	r2.Close(StatusDone, nil)
	if n := count(); n != 3 {
		t.Errorf("after repair and append: %d lines", n)
	}
}

func TestHistoryBucketsKeepSpikes(t *testing.T) {
	s := NewStore(t.TempDir())
	r, _ := s.Create(Info{Model: "cnn-s", Loss: "ce"})
	for i := 0; i < 1000; i++ {
		v := 1.0
		if i == 537 {
			v = 50 // a spike
		}
		row := map[string]float64{"loss": v}
		if i >= 500 {
			row["lr"] = 0.5 // a metric that appears later
		}
		r.AppendHistory(i+1, row)
	}
	r.Close(StatusDone, nil)
	h, err := ReadHistory(s.Path(r.ID()), 10)
	if err != nil {
		t.Fatal(err)
	}
	loss := h.Series["loss"]
	if h.Rows != 1000 || len(loss.Max) != 10 || loss.Max[5] != 50 || loss.Min[5] != 1 || loss.Step[9] != 1000 {
		t.Fatalf("rows %d, loss %+v", h.Rows, loss)
	}
	lr := h.Series["lr"]
	if !math.IsNaN(lr.Last[0]) || lr.Last[9] != 0.5 || lr.Count != 500 {
		t.Errorf("lr %+v", lr)
	}
}

// writeBigHistory writes steps × metrics rows in the history's layout
// (directly: the writer makes one write per value, too slow for this).
func writeBigHistory(tb testing.TB, dir string, steps, metrics int) {
	col := make([]byte, 4*steps)
	for i := range steps {
		binary.LittleEndian.PutUint32(col[4*i:], uint32(i+1))
	}
	if err := os.WriteFile(filepath.Join(dir, stepFile), col, 0o644); err != nil {
		tb.Fatal(err)
	}
	for m := range metrics {
		for i := range steps {
			binary.LittleEndian.PutUint32(col[4*i:], math.Float32bits(float32(float64(i%977)*float64(m+1))))
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("m%03d.f32", m)), col, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkReadHistory400kx100 reads a run of 400,000 steps × 100 metrics
// into chart-ready form (1,000 min/max buckets per metric): W&B's LEET
// opens such a run in 0.30 s.
func BenchmarkReadHistory400kx100(b *testing.B) {
	run := b.TempDir()
	os.MkdirAll(filepath.Join(run, "history"), 0o755)
	writeBigHistory(b, filepath.Join(run, "history"), 400_000, 100)
	b.ResetTimer()
	for b.Loop() {
		h, err := ReadHistory(run, 1000)
		if err != nil || h.Rows != 400_000 || len(h.Series) != 100 {
			b.Fatal(err)
		}
	}
}

// TestResolve: a run by its id, a unique prefix or suffix, a unique part
// of it when no prefix or suffix matches, or its folder; ambiguity and no
// match are errors that name the reference.
func TestResolve(t *testing.T) {
	dir := t.TempDir()
	for _, id := range []string{"20261205-002757-cnn-s-ce-a", "20261205-002801-cnn-s-ce-b", "20261205-002832-cnn-s-ce"} {
		if err := os.MkdirAll(filepath.Join(dir, id), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, ".trash", "20261205-009999-cnn-s-ce"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, trial := range []string{"t000", "t001"} {
		if err := os.MkdirAll(filepath.Join(dir, "sweep-20261205-023629", trial), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s := NewStore(dir)
	for ref, want := range map[string]string{
		"20261205-002832-cnn-s-ce": "20261205-002832-cnn-s-ce",
		"ce-b":                     "20261205-002801-cnn-s-ce-b", // suffix
		"20261205-0028":            "",                           // prefix of two
		"002832":                   "20261205-002832-cnn-s-ce",   // a unique part
		"cnn-s":                    "",                           // a part of all three
		"009999":                   "",                           // only in .trash
		"nothing":                  "",
		// A sweep's trial, as the runs view lists it; each part found
		// as a run is.
		"sweep-20261205-023629/t001": "sweep-20261205-023629/t001",
		"023629/t000":                "sweep-20261205-023629/t000",
		"023629/t00":                 "", // a prefix of both trials
	} {
		got, err := s.Resolve(ref)
		switch {
		case want == "" && err == nil:
			t.Errorf("%q resolved to %s, want an error", ref, got)
		case want == "" && !strings.Contains(err.Error(), fmt.Sprintf("%q", ref)):
			t.Errorf("%q: the error does not name it: %v", ref, err)
		case want != "" && (err != nil || got != filepath.Join(dir, want)):
			t.Errorf("%q resolved to %s, %v; want %s", ref, got, err, want)
		}
	}
}

// TestListReadsItsOwnFolder: a list reads each run in the folder listed,
// whatever folder the command runs in. A sweep's trials are named t000,
// t001… in every sweep: listing one sweep from inside another's folder
// gave the other's trials, read by their names from the working folder.
func TestListReadsItsOwnFolder(t *testing.T) {
	start := time.Date(2026, 12, 6, 18, 0, 0, 0, time.UTC)
	a, b := NewStore(t.TempDir()), NewStore(t.TempDir())
	for _, s := range []struct {
		store *Store
		model string
	}{{a, "cnn-s"}, {b, "vgg-s"}} {
		r, err := s.store.Create(Info{ID: "t000", Model: s.model, Loss: "ce", Start: start})
		if err != nil {
			t.Fatal(err)
		}
		r.Close(StatusDone, nil)
	}
	t.Chdir(b.Dir)
	list, err := a.List()
	if err != nil || len(list) != 1 {
		t.Fatalf("%v %v", list, err)
	}
	if got := list[0].Info; got.Model != "cnn-s" || got.Dir != a.Path(got.ID) {
		t.Errorf("listed %s in %s (%s), want cnn-s in %s", got.ID, got.Dir, got.Model, a.Dir)
	}
}

// BenchmarkList400: listing a folder of 400 runs (the dashboard's runs
// view does it every 5 s). It read the folder once a run before, 113 ms
// for 400 runs here; 19 ms after.
func BenchmarkList400(b *testing.B) {
	s := NewStore(b.TempDir())
	for i := range 400 {
		r, err := s.Create(Info{Model: "cnn-s", Loss: "ce", Start: time.Date(2026, 12, 6, 0, 0, i, 0, time.UTC)})
		if err != nil {
			b.Fatal(err)
		}
		r.Close(StatusDone, nil)
	}
	for b.Loop() {
		if list, err := s.List(); err != nil || len(list) != 400 {
			b.Fatal(len(list), err)
		}
	}
}

// TestResolveInTheRunsFolderFirst: a run named exactly ref in the runs
// folder is the one found, not a run folder of that name in the working
// directory (every sweep has a t003); a path to a run folder, and a name
// the runs folder does not have, still find the working directory's.
func TestResolveInTheRunsFolderFirst(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{filepath.Join(a, "t003"), filepath.Join(b, "t003"), filepath.Join(b, "t009")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "run.json"), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(b)
	s := NewStore(a)
	for ref, want := range map[string]string{
		"t003":   filepath.Join(a, "t003"),
		"./t003": "t003",
		"t009":   "t009",
	} {
		if got, err := s.Resolve(ref); err != nil || got != want {
			t.Errorf("%q resolved to %q, %v; want %q", ref, got, err, want)
		}
	}
}

// TestReadLogKinds: only the lines of the kinds asked for reach f, in
// order, checked as ReadLog checks them; a line of another kind is
// passed over unread, a corrupt one too; a line that does not start with
// its kind is read as ReadLog reads it.
func TestReadLogKinds(t *testing.T) {
	dir := t.TempDir()
	log := strings.Join([]string{
		`{"kind":"run","epoch":0}`,
		`{"kind":"step","epoch":1,"step":1}`,
		`{"kind":"step","epoch":1,"step":2,` + "\x00" + `torn`, // corrupt, but a step
		`{"kind":"epochs-like","epoch":1}`,                     // another kind that starts the same
		`{"kind":"epoch","epoch":1}`,
		`{"epoch":2,"kind":"epoch"}`, // the kind not first: read as ReadLog does
		`{"kind":"state","state":"done"}`,
		`{"kind":"step","epoch":2,`, // a torn last line
	}, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := ReadLogKinds(dir, []string{"epoch", "run"}, func(line []byte) error {
		got = append(got, string(line))
		return nil
	})
	want := []string{`{"kind":"run","epoch":0}`, `{"kind":"epoch","epoch":1}`, `{"epoch":2,"kind":"epoch"}`}
	if err != nil || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("read %q, %v; want %q", got, err, want)
	}
	if err := ReadLog(dir, func([]byte) error { return nil }); err == nil || !strings.Contains(err.Error(), "line 3 is not JSON") {
		t.Errorf("ReadLog of the same log: %v, want line 3 reported", err)
	}
	// a corrupt line of a kind asked for is reported as ReadLog reports it
	bad := strings.Replace(log, `{"kind":"epoch","epoch":1}`, `{"kind":"epoch","epoch":1`, 1)
	if err := os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ReadLogKinds(dir, []string{"epoch"}, func([]byte) error { return nil }); err == nil || !strings.Contains(err.Error(), "line 5 is not JSON") {
		t.Errorf("a corrupt epoch line: %v, want line 5 reported", err)
	}
}

// TestRewindTo: the log keeps every line at or before the step (and
// lines without one, and lines that are not JSON), loses the later ones,
// blank lines and a torn last line, and takes appends after that; a log
// with nothing to drop is left as it is, the same file.
func TestRewindTo(t *testing.T) {
	r, err := NewStore(t.TempDir()).Create(Info{ID: "r", Model: "cnn-s"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(StatusStopped, nil)
	p := filepath.Join(r.Dir, "metrics.jsonl")
	var lines []string
	for s := 1; s <= 8; s++ {
		lines = append(lines, fmt.Sprintf(`{"kind":"step","step":%d}`, s))
		if s == 2 {
			lines = append(lines, `{"kind":"run"}`, "", "not json")
		}
	}
	log := strings.Join(lines, "\n") + "\n" + `{"kind":"step","st`
	if err := os.WriteFile(p, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.RewindTo(5); err != nil {
		t.Fatal(err)
	}
	if err := r.Append(map[string]any{"kind": "state", "step": 5}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kind":"step","step":1}
{"kind":"step","step":2}
{"kind":"run"}
not json
{"kind":"step","step":3}
{"kind":"step","step":4}
{"kind":"step","step":5}
{"kind":"state","step":5}
`
	if string(b) != want {
		t.Errorf("the log after a rewind to step 5 and an append:\n%s\nwant\n%s", b, want)
	}
	before, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RewindTo(5); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) || after.Size() != before.Size() {
		t.Errorf("a rewind with nothing to drop wrote the log anew")
	}
	if err := r.Append(map[string]any{"kind": "state", "step": 6}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); !strings.HasSuffix(string(b), want+`{"kind":"state","step":6}`+"\n") {
		t.Errorf("append after a rewind that dropped nothing:\n%s", b)
	}
}
