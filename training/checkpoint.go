package training

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/maskdash/maskdash/models"
	"github.com/maskdash/maskdash/runs"
)

// ErrCheckpoint is wrapped by every checkpoint loading error.
var ErrCheckpoint = errors.New("checkpoint")

// F32s is a float32 slice stored in JSON as base64 of little-endian bytes
// (compact, and exact).
type F32s []float32

// MarshalJSON implements json.Marshaler.
func (f F32s) MarshalJSON() ([]byte, error) {
	b := make([]byte, 4*len(f))
	for i, v := range f {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return json.Marshal(base64.StdEncoding.EncodeToString(b))
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *F32s) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b)%4 != 0 {
		return fmt.Errorf("bad float32 data")
	}
	*f = make([]float32, len(b)/4)
	for i := range *f {
		(*f)[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return nil
}

// CkptMeta is the JSON beside a checkpoint's weights.
type CkptMeta struct {
	Model     models.Spec       `json:"model"`
	Epoch     int               `json:"epoch"`          // epochs completed
	Step      int               `json:"step"`           // global step
	Batch     int               `json:"batch_in_epoch"` // batches done in the current epoch
	Metrics   *Metrics          `json:"metrics,omitempty"`
	Loss      string            `json:"loss"`
	BaseLR    float64           `json:"base_lr"`
	Optimizer string            `json:"optimizer"`
	OptStep   int               `json:"optimizer_step"`
	OptLR     float64           `json:"optimizer_lr"`
	Slots     map[string][]F32s `json:"optimizer_slots"`
	Data      DataIdentity      `json:"data"`
	Mean      [3]float32        `json:"mean"`
	CropW     int               `json:"crop_w,omitempty"` // centre crop before resizing
	CropH     int               `json:"crop_h,omitempty"`
	Std       [3]float32        `json:"std"`
	Classes   []string          `json:"classes"`
	BestF1    float64           `json:"best_f1"`
	Weights   string            `json:"weights"` // the .safetensors file beside this JSON
}

// DataIdentity says which data and split a checkpoint was trained on.
type DataIdentity struct {
	Root     string  `json:"root"`
	Format   string  `json:"format"`
	Images   int     `json:"images"`
	Seed     uint64  `json:"seed"`
	Split    string  `json:"split"`
	ValRatio float64 `json:"val_ratio"`
	AgeBins  string  `json:"age_bins"`
	Sampler  string  `json:"sampler"`
}

// writeSafetensors writes tensors in the safetensors layout: an 8-byte
// little-endian header length, a JSON header of dtype/shape/offsets, and
// the raw little-endian data.
func writeSafetensors(path string, ps []*models.Param, meta map[string]string) error {
	sorted := append([]*models.Param(nil), ps...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	hdr := map[string]any{}
	if len(meta) > 0 {
		hdr["__metadata__"] = meta
	}
	off := 0
	for _, p := range sorted {
		n := 4 * len(p.Data)
		hdr[p.Name] = map[string]any{"dtype": "F32", "shape": p.Shape, "data_offsets": []int{off, off + n}}
		off += n
	}
	h, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	buf := make([]byte, 8+len(h)+off)
	binary.LittleEndian.PutUint64(buf, uint64(len(h)))
	copy(buf[8:], h)
	o := 8 + len(h)
	for _, p := range sorted {
		for _, v := range p.Data {
			binary.LittleEndian.PutUint32(buf[o:], math.Float32bits(v))
			o += 4
		}
	}
	return runs.WriteFileAtomic(path, buf)
}

type stEntry struct {
	Dtype   string `json:"dtype"`
	Shape   []int  `json:"shape"`
	Offsets [2]int `json:"data_offsets"`
}

// readSafetensors returns every F32 tensor of a safetensors file.
func readSafetensors(path string) (map[string]stEntry, []byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%w %s: %v", ErrCheckpoint, path, err)
	}
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("%w %s: too short to be safetensors", ErrCheckpoint, path)
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("%w %s: header length %d past the end of the file", ErrCheckpoint, path, n)
	}
	raw := map[string]json.RawMessage{}
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		return nil, nil, fmt.Errorf("%w %s: header is not JSON: %v", ErrCheckpoint, path, err)
	}
	data := b[8+n:]
	out := map[string]stEntry{}
	for k, v := range raw {
		if k == "__metadata__" {
			continue
		}
		var e stEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, nil, fmt.Errorf("%w %s: tensor %s: %v", ErrCheckpoint, path, k, err)
		}
		if e.Dtype != "F32" || e.Offsets[0] < 0 || e.Offsets[1] > len(data) || e.Offsets[0] > e.Offsets[1] {
			return nil, nil, fmt.Errorf("%w %s: tensor %s has dtype %s or offsets %v outside the file", ErrCheckpoint, path, k, e.Dtype, e.Offsets)
		}
		out[k] = e
	}
	return out, data, nil
}

// loadWeights copies a safetensors file into a network's parameters and
// BatchNorm statistics, refusing any mismatch with a reason.
func loadWeights(path string, net *models.Net) error {
	ents, data, err := readSafetensors(path)
	if err != nil {
		return err
	}
	all := append(append([]*models.Param(nil), net.Params()...), net.Buffers()...)
	for _, p := range all {
		e, ok := ents[p.Name]
		if !ok {
			return fmt.Errorf("%w %s does not match model %s: it has no tensor %s", ErrCheckpoint, path, net.Spec.Name, p.Name)
		}
		if fmt.Sprint(e.Shape) != fmt.Sprint(p.Shape) {
			return fmt.Errorf("%w %s does not match model %s: %s is %v in the file but %v in the model", ErrCheckpoint, path, net.Spec.Name, p.Name, e.Shape, p.Shape)
		}
		if e.Offsets[1]-e.Offsets[0] != 4*len(p.Data) {
			return fmt.Errorf("%w %s: %s has %d bytes for %d values", ErrCheckpoint, path, p.Name, e.Offsets[1]-e.Offsets[0], len(p.Data))
		}
	}
	if len(ents) != len(all) {
		return fmt.Errorf("%w %s does not match model %s: %d tensors in the file, %d in the model", ErrCheckpoint, path, net.Spec.Name, len(ents), len(all))
	}
	for _, p := range all {
		e := ents[p.Name]
		for i := range p.Data {
			p.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[e.Offsets[0]+4*i:]))
		}
	}
	return nil
}

// SaveCheckpoint writes <epoch>-<step>.safetensors and its JSON, then
// points latest.json (and best.json when best is set) at them. Each
// pointer is one atomic rename, so a kill at any moment leaves latest and
// best naming a complete pair of files.
func SaveCheckpoint(dir string, net *models.Net, meta CkptMeta, best bool) (string, error) {
	base := fmt.Sprintf("%03d-%07d", meta.Epoch, meta.Step)
	meta.Weights = base + ".safetensors"
	mj, err := json.MarshalIndent(meta, "", " ")
	if err != nil {
		return "", fmt.Errorf("checkpoint meta: %w", err)
	}
	all := append(append([]*models.Param(nil), net.Params()...), net.Buffers()...)
	md := map[string]string{"model": net.Spec.Name, "format": "maskdash", "epoch": fmt.Sprint(meta.Epoch), "step": fmt.Sprint(meta.Step)}
	if err := writeSafetensors(filepath.Join(dir, meta.Weights), all, md); err != nil {
		return "", fmt.Errorf("save checkpoint: %w", err)
	}
	names := []string{base, "latest"}
	if best {
		names = append(names, "best")
	}
	for _, n := range names {
		if err := runs.WriteFileAtomic(filepath.Join(dir, n+".json"), mj); err != nil {
			return "", fmt.Errorf("save checkpoint: %w", err)
		}
	}
	return filepath.Join(dir, meta.Weights), nil
}

// ReadCkptMeta reads the JSON beside a checkpoint (path may name the
// .safetensors or the .json).
func ReadCkptMeta(path string) (CkptMeta, error) {
	jp := strings.TrimSuffix(path, ".safetensors")
	jp = strings.TrimSuffix(jp, ".json") + ".json"
	b, err := os.ReadFile(jp)
	if err != nil {
		return CkptMeta{}, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	var m CkptMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return CkptMeta{}, fmt.Errorf("%w %s is corrupt: %v", ErrCheckpoint, jp, err)
	}
	return m, nil
}

// CheckpointPath resolves best, latest or a file name inside a run folder
// to a weights file. best and latest are JSON pointers (best.json,
// latest.json) naming the numbered checkpoint; a run with no best yet
// falls back to latest.
func CheckpointPath(runDir, which string) (string, error) {
	if which == "" {
		which = "best"
	}
	dir := filepath.Join(runDir, "checkpoints")
	switch which {
	case "best", "latest":
		ptr := filepath.Join(dir, which+".json")
		if !fileExists(ptr) && which == "best" {
			ptr = filepath.Join(dir, "latest.json")
		}
		m, err := ReadCkptMeta(ptr)
		if err != nil {
			return "", fmt.Errorf("%w %s: the run has no %s checkpoint yet", ErrCheckpoint, ptr, which)
		}
		if m.Weights == "" {
			return "", fmt.Errorf("%w %s names no weights file", ErrCheckpoint, ptr)
		}
		return filepath.Join(dir, m.Weights), nil
	}
	p := which
	if !strings.Contains(which, string(filepath.Separator)) {
		p = filepath.Join(dir, which)
	}
	if !strings.HasSuffix(p, ".safetensors") {
		p += ".safetensors"
	}
	if !fileExists(p) {
		return "", fmt.Errorf("%w %s: no such file", ErrCheckpoint, p)
	}
	return p, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// LoadNet builds the network a checkpoint describes (with the given
// evaluation batch) and loads its weights.
func LoadNet(path string, evalBatch int) (*models.Net, CkptMeta, error) {
	meta, err := ReadCkptMeta(path)
	if err != nil {
		return nil, meta, err
	}
	spec := meta.Model
	if evalBatch > 0 {
		spec.EvalBatch = evalBatch
		spec.Batch = min(spec.Batch, evalBatch)
	}
	net, err := models.New(spec)
	if err != nil {
		return nil, meta, fmt.Errorf("%w %s: %v", ErrCheckpoint, path, err)
	}
	if err := loadWeights(path, net); err != nil {
		return nil, meta, err
	}
	return net, meta, nil
}

func (m *CkptMeta) optState() OptState {
	s := OptState{Name: m.Optimizer, LR: m.OptLR, Step: m.OptStep, Slots: map[string][][]float32{}}
	for k, v := range m.Slots {
		for _, f := range v {
			s.Slots[k] = append(s.Slots[k], []float32(f))
		}
	}
	return s
}

func slotsJSON(s OptState) map[string][]F32s {
	out := map[string][]F32s{}
	for k, v := range s.Slots {
		for _, f := range v {
			out[k] = append(out[k], F32s(f))
		}
	}
	return out
}
