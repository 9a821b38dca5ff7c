package training

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/maskdash/maskdash/models"
)

// Config is everything a training run needs. Zero values take the
// documented defaults (see Defaults); main.go fills it from flags.
type Config struct {
	Data        string     // data folder; "" means the built-in synthetic set
	Format      string     // mask, folder, idx or "" (detect)
	Model       string     // default cnn-s
	Loss        string     // default ce
	Optim       string     // default adam
	LR          float64    // default 1e-3
	Epochs      int        // default 5
	Batch       int        // default 32
	W, H        int        // input size; default 64×64
	Split       string     // profile or random; default profile
	ValRatio    float64    // default 0.2
	AgeBins     string     // default "30,60"
	Sampler     string     // shuffle, weighted or balance; default shuffle
	Seed        uint64     // default 42
	Device      string     // cpu or cuda; default cpu
	Engine      string     // own or gorgonia (the slow reference path on the CPU); default: the device's, models.EngineFor
	Runs        string     // runs folder; default ./maskdash-runs
	Name        string     // optional run name
	Schedule    string     // none, step or cosine; default none
	Warmup      int        // linear warm-up steps from 1e-5; default 0
	HeadDepth   int        // hidden layers per head of -mh models; default 1
	Dropout     float64    // dropout before output layers; default 0
	WeightDecay float64    // default 0 (adamw 1e-2)
	Workers     int        // loader goroutines; default models.Workers() (the cores)
	NoAugment   bool       // turn off random crop, flip, jitter and rotation
	CropW       int        // centre crop of the source image before resizing, in source pixels; 0: none
	CropH       int        // (see CropW)
	Mean, Std   [3]float32 // normalisation; a zero Std means: compute both from the training split
	Limit       int        // use at most this many training images (0: all)

	From     string // parent run to start from (train --from)
	FromCkpt string // best or latest; default best
	Resume   string // run to continue (resume)

	// StepEvery is how often a step event is published; default 250ms.
	StepEvery time.Duration
	// Synth configures the built-in synthetic set (Data == "").
	SynthProfiles int    // default 300
	SynthSize     string // default 192x256
}

// Defaults fills the zero values.
func (c *Config) Defaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Model, "cnn-s")
	def(&c.Loss, "ce")
	def(&c.Optim, "adam")
	def(&c.Split, "profile")
	def(&c.AgeBins, "30,60")
	def(&c.Sampler, "shuffle")
	def(&c.Device, "cpu")
	def(&c.Runs, "maskdash-runs")
	def(&c.Schedule, "none")
	def(&c.FromCkpt, "best")
	def(&c.SynthSize, "192x256")
	if c.LR <= 0 {
		c.LR = 1e-3
	}
	if c.Epochs <= 0 {
		c.Epochs = 5
	}
	if c.Batch <= 0 {
		c.Batch = 32
	}
	if c.W <= 0 || c.H <= 0 {
		c.W, c.H = 64, 64
	}
	if c.ValRatio == 0 {
		c.ValRatio = 0.2
	}
	if c.Seed == 0 {
		c.Seed = 42
	}
	if c.StepEvery <= 0 {
		c.StepEvery = 250 * time.Millisecond
	}
	if c.SynthProfiles <= 0 {
		c.SynthProfiles = 300
	}
	if c.Workers <= 0 {
		// Not GOMAXPROCS: the OpenBLAS build keeps a spare P (see models).
		c.Workers = models.Workers()
	}
}

// ParseSize reads "WxH" such as 64x64.
func ParseSize(s string) (int, int, error) {
	a, b, ok := strings.Cut(strings.ToLower(s), "x")
	w, err1 := strconv.Atoi(a)
	h, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || w <= 0 || h <= 0 {
		return 0, 0, fmt.Errorf("size %q: want WxH such as 64x64", s)
	}
	return w, h, nil
}

// AsMap returns the config as a JSON-ready map for run.json.
func (c Config) AsMap() map[string]any {
	return map[string]any{
		"data": c.Data, "format": c.Format, "model": c.Model, "loss": c.Loss, "optim": c.Optim,
		"lr": c.LR, "epochs": c.Epochs, "batch": c.Batch, "img": fmt.Sprintf("%dx%d", c.W, c.H),
		"split": c.Split, "val_ratio": c.ValRatio, "age_bins": c.AgeBins, "sampler": c.Sampler,
		"seed": c.Seed, "device": c.Device, "engine": c.Engine, "name": c.Name, "schedule": c.Schedule, "warmup": c.Warmup,
		"head_depth": c.HeadDepth, "dropout": c.Dropout, "weight_decay": c.WeightDecay,
		"augment": !c.NoAugment, "limit": c.Limit, "from": c.From, "from_ckpt": c.FromCkpt,
		"crop": fmt.Sprintf("%dx%d", c.CropW, c.CropH), "mean": c.Mean[:], "std": c.Std[:],
	}
}

// ConfigFromMap rebuilds a Config from run.json's map (for resume).
func ConfigFromMap(m map[string]any) Config {
	s := func(k string) string { v, _ := m[k].(string); return v }
	f := func(k string) float64 { v, _ := m[k].(float64); return v }
	c := Config{Data: s("data"), Format: s("format"), Model: s("model"), Loss: s("loss"), Optim: s("optim"),
		LR: f("lr"), Epochs: int(f("epochs")), Batch: int(f("batch")), Split: s("split"), ValRatio: f("val_ratio"),
		AgeBins: s("age_bins"), Sampler: s("sampler"), Seed: uint64(f("seed")), Device: s("device"), Engine: s("engine"), Name: s("name"),
		Schedule: s("schedule"), Warmup: int(f("warmup")), HeadDepth: int(f("head_depth")), Dropout: f("dropout"),
		WeightDecay: f("weight_decay"), Limit: int(f("limit")), From: s("from"), FromCkpt: s("from_ckpt")}
	if a, ok := m["augment"].(bool); ok {
		c.NoAugment = !a
	}
	if w, h, err := ParseSize(s("img")); err == nil {
		c.W, c.H = w, h
	}
	if w, h, err := ParseSize(s("crop")); err == nil {
		c.CropW, c.CropH = w, h
	}
	for k, dst := range map[string]*[3]float32{"mean": &c.Mean, "std": &c.Std} {
		if v, ok := m[k].([]any); ok && len(v) == 3 {
			for i := range 3 {
				f, _ := v[i].(float64)
				dst[i] = float32(f)
			}
		}
	}
	return c
}

// DefaultSynthDir is where the built-in synthetic set lives: the user's
// cache folder, keyed by its size and seed so that it is made once.
func DefaultSynthDir(profiles int, size string, seed uint64) string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "maskdash", fmt.Sprintf("synth-v1-%d-%s-%d", profiles, size, seed))
}

// ParseTriple reads three comma-separated numbers such as 0.5,0.5,0.5.
func ParseTriple(s string) ([3]float32, error) {
	var out [3]float32
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return out, fmt.Errorf("%q: want three numbers such as 0.5,0.5,0.5", s)
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 32)
		if err != nil {
			return out, fmt.Errorf("%q: %q is not a number", s, p)
		}
		out[i] = float32(v)
	}
	return out, nil
}
