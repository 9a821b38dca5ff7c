package pth

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// onePickle is what torch.save writes of OrderedDict(w=tensor([1.5, -2]))
// in data.pkl, written out by hand: the tensor's storage "0" holds two
// float32 values.
const onePickle = "\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x01\x00\x00\x00wq\x02" +
	"ctorch._utils\n_rebuild_tensor_v2\nq\x03((X\x07\x00\x00\x00storageq\x04ctorch\nFloatStorage\nq\x05" +
	"X\x01\x00\x00\x000q\x06X\x03\x00\x00\x00cpuq\x07K\x02tq\x08QK\x00K\x02\x85q\tK\x01\x85q\n\x89" +
	"ccollections\nOrderedDict\nq\x0b)Rq\x0ctq\rRq\x0es."

// oneZip is torch.save's archive of onePickle.
func oneZip(t testing.TB) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range map[string][]byte{
		"archive/data.pkl": []byte(onePickle),
		"archive/data/0":   binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, math.Float32bits(1.5)), math.Float32bits(-2)),
	} {
		w, err := zw.Create(name)
		if err == nil {
			_, err = w.Write(data)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestHandWrittenPickle: the hand-written archive the fuzzer starts from
// reads as its tensor.
func TestHandWrittenPickle(t *testing.T) {
	p := filepath.Join(t.TempDir(), "one.pth")
	if err := os.WriteFile(p, oneZip(t), 0o644); err != nil {
		t.Fatal(err)
	}
	ts, err := Read(p)
	if err != nil || len(ts) != 1 || ts[0].Name != "w" || !slices.Equal(ts[0].Shape, []int{2}) || !slices.Equal(ts[0].Data, []float32{1.5, -2}) {
		t.Fatalf("%+v, %v", ts, err)
	}
}

// FuzzRead: no file makes Read panic or run away with memory; it returns
// tensors or an error: go test ./models/pth -fuzz FuzzRead.
func FuzzRead(f *testing.F) {
	f.Add(oneZip(f))
	f.Add([]byte(onePickle))
	f.Add([]byte("\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03."))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "f.pth")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		ts, err := Read(p)
		for _, x := range ts {
			n := 1
			for _, d := range x.Shape {
				n *= d
			}
			if err == nil && n != len(x.Data) {
				t.Fatalf("%s: shape %v, %d values", x.Name, x.Shape, len(x.Data))
			}
		}
	})
}
