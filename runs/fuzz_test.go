package runs

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The readers of files a user may be handed never panic and never
// allocate past the input; a bad file is named in the error.

func FuzzReadInfo(f *testing.F) {
	f.Add([]byte(`{"id":"x","status":"done","start":"2026-11-26T18:30:00Z","model":"cnn-s","epochs":3,"config":{"lr":0.001}}`))
	f.Add([]byte(`{"status":"running","changes":[{"step":1,"setting":"lr","value":"0.1"}]}`))
	f.Add([]byte(`{"config":null,"best":{"macro_f1":"NaN"}}`))
	f.Add([]byte("\x00\xff{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := filepath.Join(t.TempDir(), "run")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "run.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		info, err := ReadInfo(dir)
		if err != nil && !strings.Contains(err.Error(), "run.json") {
			t.Errorf("the error does not name run.json: %v", err)
		}
		if err == nil {
			_ = info.Duration()
			_ = info.Status.Ended()
		}
	})
}

func FuzzReadLog(f *testing.F) {
	f.Add([]byte("{\"kind\":\"step\",\"step\":1}\n{\"kind\":\"epoch\",\"epoch\":1}\n"))
	f.Add([]byte("{\"kind\":\"step\"}\n{torn"))
	f.Add([]byte("not json\n{\"a\":1}\n"))
	f.Add([]byte(strings.Repeat("{}\n", 100)))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "metrics.jsonl"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		n := 0
		err := ReadLog(dir, func([]byte) error { n++; return nil })
		if err != nil && !strings.Contains(err.Error(), "metrics.jsonl") {
			t.Errorf("the error does not name metrics.jsonl: %v", err)
		}
		if n > strings.Count(string(b), "\n")+1 {
			t.Errorf("%d lines read from %d", n, strings.Count(string(b), "\n")+1)
		}
	})
}

func FuzzReadHistory(f *testing.F) {
	steps := make([]byte, 12)
	for i := range 3 {
		binary.LittleEndian.PutUint32(steps[4*i:], uint32(i+1))
	}
	vals := make([]byte, 12)
	for i := range 3 {
		binary.LittleEndian.PutUint32(vals[4*i:], math.Float32bits(float32(i)))
	}
	f.Add(steps, vals, 2)
	f.Add(steps[:7], vals, 0)      // a torn step column
	f.Add(steps, vals[:5], 10)     // a short value column
	f.Add([]byte{}, []byte{1}, -1) // nothing
	f.Add(steps, append(vals, vals...), 1)
	f.Fuzz(func(t *testing.T, stepCol, valCol []byte, buckets int) {
		run := t.TempDir()
		h := filepath.Join(run, "history")
		if err := os.MkdirAll(h, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(h, stepFile), stepCol, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(h, "loss.f32"), valCol, 0o644); err != nil {
			t.Fatal(err)
		}
		hist, err := ReadHistory(run, buckets%5000)
		if err != nil {
			return
		}
		s := hist.Series["loss"]
		if s == nil || len(s.Step) > len(stepCol)/4 || len(s.Step) != len(s.Min) || len(s.Min) != len(s.Max) || len(s.Max) != len(s.Last) {
			t.Errorf("series %+v from %d step bytes", s, len(stepCol))
		}
		// A writer continues such a history without panicking and
		// realigns it.
		c, err := newColumns(h)
		if err != nil {
			return
		}
		if err := c.append(99, map[string]float64{"loss": 1}); err != nil {
			t.Fatal(err)
		}
		if err := c.close(); err != nil {
			t.Fatal(err)
		}
		a, _ := os.Stat(filepath.Join(h, stepFile))
		b, _ := os.Stat(filepath.Join(h, "loss.f32"))
		if a.Size() != b.Size() {
			t.Errorf("after append: step column %d bytes, loss %d", a.Size(), b.Size())
		}
	})
}

func FuzzReadClassOffsets(f *testing.F) {
	f.Add([]byte(`{"epoch":3,"step":90,"classes":["a","b"],"offsets":[0.5,-1],"held_out_gain":0.01}`))
	f.Add([]byte(`{"classes":["a"],"offsets":[]}`))
	f.Add([]byte(`{"offsets":[1e400]}`))
	f.Add([]byte("\x00{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, OffsetsFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
		o, err := ReadClassOffsets(dir)
		if err != nil && !strings.Contains(err.Error(), OffsetsFile) {
			t.Errorf("the error does not name %s: %v", OffsetsFile, err)
		}
		if err == nil && (len(o.Offsets) == 0 || len(o.Offsets) != len(o.Classes)) {
			t.Errorf("accepted %d offsets for %d classes", len(o.Offsets), len(o.Classes))
		}
	})
}
