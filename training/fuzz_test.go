package training

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/models"
)

// The readers of checkpoint files a user may be handed never panic and
// never allocate past what the file holds; a bad file is named.

// safetensorsBytes builds a small valid file for the seeds.
func safetensorsBytes(t testing.TB) []byte {
	p := filepath.Join(t.TempDir(), "w.safetensors")
	if err := writeSafetensors(p, []tensor{{"a", []int{2, 2}, []float32{1, 2, 3, 4}}, {"b", []int{1}, []float32{5}}}, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzReadSafetensors(f *testing.F) {
	good := safetensorsBytes(f)
	f.Add(good)
	huge := append([]byte(nil), good...)
	binary.LittleEndian.PutUint64(huge, 1<<60) // a header length of 2^60
	f.Add(huge)
	f.Add([]byte(strings.Replace(string(good), `"data_offsets":[0,16]`, `"data_offsets":[0,99999999]`, 1)))
	f.Add([]byte(strings.Replace(string(good), `"shape":[2,2]`, `"shape":[1000000,1000000]`, 1)))
	f.Add([]byte("short"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "f.safetensors")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		ents, data, err := readSafetensors(p)
		if err != nil {
			if !strings.Contains(err.Error(), p) {
				t.Errorf("the error does not name the file: %v", err)
			}
			return
		}
		for name, e := range ents {
			n := 1
			for _, d := range e.Shape {
				n *= d
			}
			if e.Offsets[1] > len(data) || 4*n != e.Offsets[1]-e.Offsets[0] {
				t.Errorf("tensor %s accepted with shape %v and offsets %v of %d bytes", name, e.Shape, e.Offsets, len(data))
			}
		}
	})
}

func FuzzCheckpointMeta(f *testing.F) {
	good, err := json.Marshal(CkptMeta{Model: models.Spec{Name: "cnn-s", W: 16, H: 16, Batch: 2, Classes: 18}, Epoch: 1, Step: 3,
		Optimizer: "adam", OptFile: "o.optim.safetensors", Weights: "w.safetensors", Classes: []string{"a"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, []byte(`{"checkpoint":"m.json","weights":"w.safetensors"}`))
	f.Add([]byte(`{"model":{"name":"cnn-s","W":99999999,"H":99999999,"Batch":1000000000}}`), []byte(`{"checkpoint":"../../etc/passwd"}`))
	f.Add([]byte(`{"optimizer_slots":{"w":["AAAA","!!"]},"optimizer_state":"../x"}`), []byte(`{"weights":"x"}`))
	f.Add([]byte(`[]`), []byte(`null`))
	f.Fuzz(func(t *testing.T, meta, pointer []byte) {
		dir := t.TempDir()
		for name, b := range map[string][]byte{"m.json": meta, "latest.json": pointer, "o.optim.safetensors": safetensorsBytes(t)} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range []string{filepath.Join(dir, "m.json"), filepath.Join(dir, "latest.json")} {
			m, err := ReadCkptMeta(p)
			if err != nil {
				continue
			}
			if st, err := m.optState(); err == nil {
				for _, v := range st.Slots {
					for _, s := range v {
						if len(s) > 1<<20 {
							t.Errorf("a slot of %d values from a tiny file", len(s))
						}
					}
				}
			}
			// Building the network a meta names is bounded (models.New
			// refuses sizes past its limits before allocating).
			if m.Model.W*m.Model.H > 64*64 || m.Model.Batch > 64 || m.Model.Classes > 1000 {
				if _, err := models.New(m.Model); err == nil && (m.Model.W > models.MaxSide || m.Model.Batch > models.MaxBatch) {
					t.Errorf("a spec past the limits was built: %+v", m.Model)
				}
			}
		}
		runDir := filepath.Dir(dir)
		_, _ = CheckpointPath(runDir, "latest")
	})
}

func FuzzConfigJSON(f *testing.F) {
	good, err := json.Marshal(DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"img":"99999999x99999999","batch":-5,"augment":"yes"}`))
	f.Add([]byte(`{"img":"x","crop":"0x0"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m map[string]any
		if json.Unmarshal(b, &m) != nil {
			return
		}
		c, err := ConfigFromMap(m)
		if err != nil {
			return
		}
		// A config read back marshals and reads again the same.
		again, err := c.AsMap()
		if err != nil {
			t.Fatal(err)
		}
		c2, err := ConfigFromMap(again)
		if err != nil {
			t.Fatalf("a config that was read does not read again: %v", err)
		}
		if c2 != c {
			t.Errorf("round trip changed the config:\n%+v\n%+v", c, c2)
		}
	})
}
