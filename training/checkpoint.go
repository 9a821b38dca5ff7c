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
	"regexp"
	"sort"
	"strconv"
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
	Model   models.Spec `json:"model"`
	Epoch   int         `json:"epoch"`          // epochs completed
	Step    int         `json:"step"`           // global step
	Batch   int         `json:"batch_in_epoch"` // batches done in the current epoch
	Metrics *Metrics    `json:"metrics,omitempty"`
	Loss    string      `json:"loss"`
	// CutMix is the CutMix setting when the checkpoint was written
	// (ParseCutMix's form: a change made while training outlives a
	// resume); "" in checkpoints from before it: the run's config's.
	CutMix string `json:"cutmix,omitempty"`
	// Mixup is the Mixup setting when the checkpoint was written
	// (ParseMixup's form); "" in checkpoints from before it: the run's
	// config's.
	Mixup     string  `json:"mixup,omitempty"`
	BaseLR    float64 `json:"base_lr"`
	Optimizer string  `json:"optimizer"`
	OptStep   int     `json:"optimizer_step"`
	// OptSkipped is OptState.Skipped: the steps each frozen tensor sat out.
	OptSkipped map[string]int    `json:"optimizer_skipped,omitempty"`
	OptLR      float64           `json:"optimizer_lr"`
	Slots      map[string][]F32s `json:"optimizer_slots,omitempty"` // checkpoints before optimizer_state: the slots as base64
	OptFile    string            `json:"optimizer_state,omitempty"` // the .optim.safetensors file beside this JSON
	Data       DataIdentity      `json:"data"`
	Mean       [3]float32        `json:"mean"`
	CropW      int               `json:"crop_w,omitempty"` // centre crop before resizing
	CropH      int               `json:"crop_h,omitempty"`
	Std        [3]float32        `json:"std"`
	Classes    []string          `json:"classes"`
	BestF1     float64           `json:"best_f1"`
	BestEpoch  int               `json:"best_epoch"`
	// ValTrained: the weights have trained on the run's validation images
	// (--val-train), so its validation predictions are of images it saw.
	ValTrained bool `json:"val_trained,omitempty"`
	// Fresh names the tensors of a child run that did not come from its
	// parent's weights (its --freeze-epochs train only these).
	Fresh []string `json:"fresh,omitempty"`
	// Averaged are the epochs whose weights maskdash average averaged
	// into this checkpoint; the run keeps no validation predictions of
	// it (those of its epoch are the epoch's own weights').
	Averaged []int `json:"averaged,omitempty"`
	// Plateau is the plateau schedule's state after the checkpoint's
	// last validated epoch (nil with another schedule).
	Plateau *Plateau `json:"plateau,omitempty"`
	// EMA is the weights' moving average's state (--ema; nil without
	// it): Weights is then the average, which predictions use, and
	// TrainWeights the training weights a resume trains on.
	EMA *EMAState `json:"ema,omitempty"`
	// Clips are the gradient clipping's counts of the open epoch's
	// steps (--clip-grad; nil at an epoch's end), which a resume adds
	// the rest of the epoch's to.
	Clips        *models.ClipCounts `json:"clips,omitempty"`
	TrainWeights string             `json:"train_weights,omitempty"`
	Weights      string             `json:"weights"` // the .safetensors file beside this JSON

	// OfTrainingWeights: the meta was read for the training weights
	// beside an --ema checkpoint (its TrainWeights file, which --ckpt
	// names as best.train or NNN-NNNNNNN.train), not for its average.
	// The run's validation predictions and class offsets are the
	// average's, so none of them are of these weights.
	OfTrainingWeights bool `json:"-"`

	dir string // the folder it was read from
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
	// FixLabels is the label corrections file the training images were
	// relabelled by ("" none): eval applies it again when it scores them.
	FixLabels string `json:"fix_labels,omitempty"`
	// TrainAgeBins are the age thresholds of the training images' labels
	// when they differ from AgeBins (Config.TrainAgeBins).
	TrainAgeBins string `json:"train_age_bins,omitempty"`
	// SkipTrainAges are the ages the training images left out
	// (Config.SkipTrainAges).
	SkipTrainAges string `json:"skip_train_ages,omitempty"`
	// PseudoLabels is the file whose eval images the training split
	// took in (Config.PseudoLabels).
	PseudoLabels string `json:"pseudo_labels,omitempty"`
	// Task is the one task of the mask layout the run trained on
	// (Config.Task); "" all 18 classes.
	Task string `json:"task,omitempty"`
}

// tensor is one named array for a safetensors file.
type tensor struct {
	name  string
	shape []int
	data  []float32
}

// writeSafetensors writes tensors in the safetensors layout: an 8-byte
// little-endian header length, a JSON header of dtype/shape/offsets, and
// the raw little-endian data.
func writeSafetensors(path string, ts []tensor, meta map[string]string) error {
	sorted := append([]tensor(nil), ts...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	hdr := map[string]any{}
	if len(meta) > 0 {
		hdr["__metadata__"] = meta
	}
	off := 0
	for _, t := range sorted {
		n := 4 * len(t.data)
		hdr[t.name] = map[string]any{"dtype": "F32", "shape": t.shape, "data_offsets": []int{off, off + n}}
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
	for _, t := range sorted {
		for _, v := range t.data {
			binary.LittleEndian.PutUint32(buf[o:], math.Float32bits(v))
			o += 4
		}
	}
	return runs.WriteFileAtomic(path, buf)
}

func paramTensors(ps []*models.Param) []tensor {
	out := make([]tensor, len(ps))
	for i, p := range ps {
		out[i] = tensor{p.Name, p.Shape, p.Data}
	}
	return out
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
		if e.Dtype != "F32" || e.Offsets[0] < 0 || e.Offsets[1] > len(data) || e.Offsets[0] > e.Offsets[1] || (e.Offsets[1]-e.Offsets[0])%4 != 0 {
			return nil, nil, fmt.Errorf("%w %s: tensor %s has dtype %s or offsets %v outside the file", ErrCheckpoint, path, k, e.Dtype, e.Offsets)
		}
		n := 1
		for _, d := range e.Shape {
			if d < 0 || d > len(data) {
				return nil, nil, fmt.Errorf("%w %s: tensor %s has shape %v", ErrCheckpoint, path, k, e.Shape)
			}
			n *= d
			if n > len(data) {
				return nil, nil, fmt.Errorf("%w %s: tensor %s has shape %v, larger than the file", ErrCheckpoint, path, k, e.Shape)
			}
		}
		if 4*n != e.Offsets[1]-e.Offsets[0] {
			return nil, nil, fmt.Errorf("%w %s: tensor %s has shape %v but %d bytes", ErrCheckpoint, path, k, e.Shape, e.Offsets[1]-e.Offsets[0])
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
	return net.WeightsToDevice()
}

// ckptPointer is best.json and latest.json: which numbered checkpoint
// they name. Each is one small atomic rename, so a kill at any moment
// leaves both naming a complete checkpoint.
type ckptPointer struct {
	Meta    string `json:"checkpoint"` // the numbered .json
	Weights string `json:"weights"`
	Epoch   int    `json:"epoch"`
	Step    int    `json:"step"`
}

// SaveCheckpoint writes <epoch>-<step>.safetensors (weights and BatchNorm
// statistics), <epoch>-<step>.optim.safetensors (the optimizer's slots) and
// the JSON beside them, then points latest.json (and best.json when best
// is set) at them. It returns the weights' path.
func SaveCheckpoint(dir string, net *models.Net, meta CkptMeta, opt OptState, best bool) (string, error) {
	return saveCheckpoint(dir, net, meta, opt, best, nil)
}

// saveCheckpoint is SaveCheckpoint; own, when set, are the training
// weights of a run whose net holds their moving average (--ema), written
// as <epoch>-<step>.train.safetensors.
func saveCheckpoint(dir string, net *models.Net, meta CkptMeta, opt OptState, best bool, own []tensor) (string, error) {
	base := fmt.Sprintf("%03d-%07d", meta.Epoch, meta.Step)
	meta.Weights = base + ".safetensors"
	meta.Slots = nil
	meta.TrainWeights = ""
	if own != nil {
		meta.TrainWeights = base + ".train.safetensors"
		md := map[string]string{"model": net.Spec.Name, "format": "maskdash", "epoch": fmt.Sprint(meta.Epoch), "step": fmt.Sprint(meta.Step), "weights": "training"}
		if err := writeSafetensors(filepath.Join(dir, meta.TrainWeights), own, md); err != nil {
			return "", fmt.Errorf("save checkpoint: %w", err)
		}
	}
	if err := net.WeightsToHost(); err != nil {
		return "", fmt.Errorf("save checkpoint: the weights from the GPU: %w", err)
	}
	all := append(append([]*models.Param(nil), net.Params()...), net.Buffers()...)
	md := map[string]string{"model": net.Spec.Name, "format": "maskdash", "epoch": fmt.Sprint(meta.Epoch), "step": fmt.Sprint(meta.Step)}
	if err := writeSafetensors(filepath.Join(dir, meta.Weights), paramTensors(all), md); err != nil {
		return "", fmt.Errorf("save checkpoint: %w", err)
	}
	var slots []tensor
	for name, v := range opt.Slots {
		for k, d := range v {
			slots = append(slots, tensor{fmt.Sprintf("%s/%d", name, k), []int{len(d)}, d})
		}
	}
	if len(slots) > 0 {
		meta.OptFile = base + ".optim.safetensors"
		if err := writeSafetensors(filepath.Join(dir, meta.OptFile), slots, map[string]string{"optimizer": opt.Name}); err != nil {
			return "", fmt.Errorf("save checkpoint: %w", err)
		}
	}
	mj, err := json.MarshalIndent(meta, "", " ")
	if err != nil {
		return "", fmt.Errorf("checkpoint meta: %w", err)
	}
	if err := runs.WriteFileAtomic(filepath.Join(dir, base+".json"), mj); err != nil {
		return "", fmt.Errorf("save checkpoint: %w", err)
	}
	pj, err := json.Marshal(ckptPointer{Meta: base + ".json", Weights: meta.Weights, Epoch: meta.Epoch, Step: meta.Step})
	if err != nil {
		return "", err
	}
	names := []string{"latest"}
	if best {
		names = append(names, "best")
	}
	for _, n := range names {
		if err := runs.WriteFileAtomic(filepath.Join(dir, n+".json"), append(pj, '\n')); err != nil {
			return "", fmt.Errorf("save checkpoint: %w", err)
		}
	}
	return filepath.Join(dir, meta.Weights), nil
}

// PruneCheckpoints removes numbered checkpoints past the newest keep, but
// never those best.json and latest.json name.
func PruneCheckpoints(dir string, keep int) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("prune checkpoints: %w", err)
	}
	held := map[string]bool{}
	for _, n := range []string{"best", "latest"} {
		if p, err := readPointer(filepath.Join(dir, n+".json")); err == nil {
			held[strings.TrimSuffix(p.Meta, ".json")] = true
		}
	}
	var bases []string
	for _, e := range ents {
		if b, ok := strings.CutSuffix(e.Name(), ".json"); ok && ckptName.MatchString(b) {
			bases = append(bases, b)
		}
	}
	sort.Strings(bases) // zero-padded epoch and step: oldest first
	var errs []error
	for i, b := range bases {
		if held[b] || i >= len(bases)-keep {
			continue
		}
		for _, suffix := range []string{".safetensors", ".optim.safetensors", ".train.safetensors", ".json"} {
			if err := os.Remove(filepath.Join(dir, b+suffix)); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("prune checkpoints: %w", err)
	}
	return nil
}

var ckptName = regexp.MustCompile(`^[0-9]{3,}-[0-9]{7,}$`)

// readPointer reads best.json or latest.json.
func readPointer(path string) (ckptPointer, error) {
	var p ckptPointer
	b, err := os.ReadFile(path)
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("%s is corrupt: %w", path, err)
	}
	if p.Meta == "" {
		// Before pointers, best.json and latest.json were full copies of
		// the numbered JSON; its "weights" names the checkpoint.
		var m CkptMeta
		if err := json.Unmarshal(b, &m); err != nil || m.Weights == "" {
			return p, fmt.Errorf("%s names no checkpoint", path)
		}
		p = ckptPointer{Meta: strings.TrimSuffix(m.Weights, ".safetensors") + ".json", Weights: m.Weights, Epoch: m.Epoch, Step: m.Step}
	}
	if filepath.Base(p.Meta) != p.Meta || filepath.Base(p.Weights) != p.Weights {
		return p, fmt.Errorf("%s names a file outside its folder", path)
	}
	return p, nil
}

// ReadCkptMeta reads the JSON beside a checkpoint (path may name the
// .safetensors, the .json, or best.json and latest.json).
func ReadCkptMeta(path string) (CkptMeta, error) {
	jp := strings.TrimSuffix(path, ".safetensors")
	training := strings.HasSuffix(jp, trainSuffix)
	jp = strings.TrimSuffix(strings.TrimSuffix(jp, trainSuffix), ".json") + ".json"
	if n := filepath.Base(jp); n == "best.json" || n == "latest.json" {
		p, err := readPointer(jp)
		if err != nil {
			return CkptMeta{}, fmt.Errorf("%w: %v", ErrCheckpoint, err)
		}
		jp = filepath.Join(filepath.Dir(jp), p.Meta)
	}
	b, err := os.ReadFile(jp)
	if err != nil {
		return CkptMeta{}, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	var m CkptMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return CkptMeta{}, fmt.Errorf("%w %s is corrupt: %v", ErrCheckpoint, jp, err)
	}
	m.dir = filepath.Dir(jp)
	if training {
		if m.TrainWeights == "" {
			return CkptMeta{}, fmt.Errorf("%w %s: the checkpoint kept no training weights beside its weights (only a run with --ema does)", ErrCheckpoint, jp)
		}
		m.Weights, m.TrainWeights, m.EMA, m.OfTrainingWeights = m.TrainWeights, "", nil, true
	}
	return m, nil
}

// trainSuffix marks the training weights beside an --ema checkpoint:
// <epoch>-<step>.train.safetensors, and best.train or latest.train to
// --ckpt.
const trainSuffix = ".train"

// CheckpointPath resolves best, latest or a file name inside a run folder
// to a weights file. best and latest are JSON pointers (best.json,
// latest.json) naming the numbered checkpoint; a run with no best yet
// falls back to latest. best.train and latest.train name the training
// weights beside them in a run with --ema (whose checkpoints' own
// weights are the average).
func CheckpointPath(runDir, which string) (string, error) {
	if which == "" {
		which = "best"
	}
	dir := filepath.Join(runDir, "checkpoints")
	switch which {
	case "best", "latest", "best" + trainSuffix, "latest" + trainSuffix:
		word, training := strings.CutSuffix(which, trainSuffix)
		ptr := filepath.Join(dir, word+".json")
		if !fileExists(ptr) && word == "best" {
			ptr = filepath.Join(dir, "latest.json")
		}
		if !fileExists(ptr) {
			return "", fmt.Errorf("%w %s: the run has no %s checkpoint yet", ErrCheckpoint, ptr, word)
		}
		p, err := readPointer(ptr)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrCheckpoint, err)
		}
		w := filepath.Join(dir, p.Weights)
		if !training {
			return w, nil
		}
		t := strings.TrimSuffix(w, ".safetensors") + trainSuffix + ".safetensors"
		if !fileExists(t) {
			return "", fmt.Errorf("%w %s: run %s kept no training weights beside its %s checkpoint (only a run with --ema does: its checkpoints hold the average)", ErrCheckpoint, filepath.Base(t), filepath.Base(runDir), word)
		}
		return t, nil
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
	return loadNet(path, evalBatch, false)
}

// loadNet is LoadNet, on the CPU whatever device the checkpoint's run
// trained on when cpu is set.
func loadNet(path string, evalBatch int, cpu bool) (*models.Net, CkptMeta, error) {
	meta, err := ReadCkptMeta(path)
	if err != nil {
		return nil, meta, err
	}
	spec := meta.Model
	if cpu {
		spec.Device = models.DeviceCPU
	}
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

// optState reads the optimizer's state: the .optim.safetensors file, or
// the base64 slots of older checkpoints.
func (m *CkptMeta) optState() (OptState, error) {
	s := OptState{Name: m.Optimizer, LR: m.OptLR, Step: m.OptStep, Slots: map[string][][]float32{}, Skipped: m.OptSkipped}
	for k, v := range m.Slots {
		for _, f := range v {
			s.Slots[k] = append(s.Slots[k], []float32(f))
		}
	}
	if m.OptFile == "" {
		return s, nil
	}
	if filepath.Base(m.OptFile) != m.OptFile {
		return s, fmt.Errorf("%w: optimizer state %s is outside the checkpoint folder", ErrCheckpoint, m.OptFile)
	}
	path := filepath.Join(m.dir, m.OptFile)
	ents, data, err := readSafetensors(path)
	if err != nil {
		return s, err
	}
	type slot struct {
		name string
		k    int
	}
	got := map[slot][]float32{}
	for name, e := range ents {
		i := strings.LastIndexByte(name, '/')
		k, err := strconv.Atoi(name[i+1:])
		if i < 0 || err != nil || k < 0 || k > 8 {
			return s, fmt.Errorf("%w %s: tensor %s is not an optimizer slot", ErrCheckpoint, path, name)
		}
		v := make([]float32, (e.Offsets[1]-e.Offsets[0])/4)
		for j := range v {
			v[j] = math.Float32frombits(binary.LittleEndian.Uint32(data[e.Offsets[0]+4*j:]))
		}
		got[slot{name[:i], k}] = v
	}
	for sl, v := range got {
		for len(s.Slots[sl.name]) <= sl.k {
			s.Slots[sl.name] = append(s.Slots[sl.name], nil)
		}
		s.Slots[sl.name][sl.k] = v
	}
	for name, v := range s.Slots {
		for k := range v {
			if v[k] == nil {
				return s, fmt.Errorf("%w %s: optimizer slot %s/%d is missing", ErrCheckpoint, path, name, k)
			}
		}
	}
	return s, nil
}
