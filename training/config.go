package training

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/models"
	"github.com/maskdash/maskdash/runs"
)

// Config is everything a training run needs. A zero value means the
// default written beside each field; Defaults fills them in, and it is the
// only place they live (main shows them in the flags' help by calling
// DefaultConfig). Negative numbers are invalid (Check), never a default.
// The JSON form is run.json's "config" and round-trips.
type Config struct {
	Data     string  `json:"data"`      // data folder; "" means the built-in synthetic set (run.json records its folder)
	Format   string  `json:"format"`    // mask, folder, idx or "" (detect)
	Model    string  `json:"model"`     // default cnn-s
	Loss     string  `json:"loss"`      // default ce
	Optim    string  `json:"optim"`     // default adam
	LR       float64 `json:"lr"`        // default 1e-3
	Epochs   int     `json:"epochs"`    // default 5
	Batch    int     `json:"batch"`     // default 32
	W        int     `json:"-"`         // input width; default 64 (JSON: "img": "WxH")
	H        int     `json:"-"`         // input height; default 64
	Split    string  `json:"split"`     // profile or random; default profile
	ValRatio float64 `json:"val_ratio"` // default 0.2
	AgeBins  string  `json:"age_bins"`  // default "30,60"
	// TrainAgeBins, when set, labels the training images' ages with other
	// thresholds than AgeBins (the competition's top teams trained "old"
	// from 58 while it is scored from 60); validation, the metrics and
	// predictions keep AgeBins. Mask layout only; "" (or "none") none.
	TrainAgeBins string `json:"train_age_bins,omitempty"`
	// SkipTrainAges leaves the training images of these ages out
	// (dataset.ParseAgeRanges: "27-29,57-59", the people nearest a class
	// border); validation keeps them. Mask layout only; "" (or "none") none.
	SkipTrainAges string `json:"skip_train_ages,omitempty"`
	FixLabels     string `json:"fix_labels"` // label corrections file (dataset.ReadCorrections); "" (or "none") none
	// PseudoLabels is an ImageID,ans file (another run's predictions)
	// whose eval images join the training split with its classes as their
	// labels; validation is unchanged. Mask layout only; "" (or "none")
	// none.
	PseudoLabels string `json:"pseudo_labels,omitempty"`
	// PseudoMinProb keeps only the pseudo-labelled images whose class the
	// file gives at least this probability (it must then be a file of
	// probabilities: predict --probs); 0: all.
	PseudoMinProb float64 `json:"pseudo_min_prob,omitempty"`
	Sampler       string  `json:"sampler"`      // shuffle, weighted or balance; default shuffle
	Seed          uint64  `json:"seed"`         // default 42
	Device        string  `json:"device"`       // auto (a GPU when one answers), cpu or cuda; default auto
	Engine        string  `json:"engine"`       // own or gorgonia (the slow reference path on the CPU); default own
	Precision     string  `json:"precision"`    // the GPU's arithmetic: fp32 (TF32 in convolutions), tf32, strict or bf16; default fp32
	Runs          string  `json:"-"`            // runs folder; default runs.DefaultDir
	LRFind        bool    `json:"lr_find"`      // LR comes from a range test run first (FindLR)
	Name          string  `json:"name"`         // optional run name
	Note          string  `json:"-"`            // the run's note at its start (runs.NoteFile, not a setting)
	Schedule      string  `json:"schedule"`     // none, step, cosine or plateau; default none
	Warmup        int     `json:"warmup"`       // linear warm-up steps from 1e-5; default 0
	HeadDepth     int     `json:"head_depth"`   // hidden layers per head of -mh models; default 1
	Dropout       float64 `json:"dropout"`      // dropout before output layers; default 0
	WeightDecay   float64 `json:"weight_decay"` // default 0 (adamw 1e-2)
	Workers       int     `json:"-"`            // loader goroutines; default models.Workers() (the cores)
	Prepared      string  `json:"-"`            // folder of prepared images kept between runs (prepared.go); default dataset.DefaultPreparedDir, "off": none
	NoAugment     bool    `json:"-"`            // turn off random crop, flip, jitter and rotation (JSON: "augment")
	// Augmentation is how much training images vary beyond the random
	// crop: a recipe of dataset.AugmentRecipes or settings that change
	// the default's ("rotate=0,jitter=0.2"; dataset.Augment.WithRecipe);
	// "" (or "default") the default, AugmentOff NoAugment.
	Augmentation string     `json:"augmentation,omitempty"`
	CropW        int        `json:"-"`    // centre crop of the source image before resizing, in source pixels; 0: none (JSON: "crop")
	CropH        int        `json:"-"`    // (see CropW)
	Mean         [3]float32 `json:"mean"` // normalisation; a zero Std means: compute both from the training split
	Std          [3]float32 `json:"std"`
	Limit        int        `json:"limit"` // use at most this many training images (0: all)
	// LRStep is the step schedule's epochs between halvings of the rate;
	// default DefaultLRStep (the baseline's --lr_decay_step) with
	// Schedule step, refused with another schedule.
	LRStep int `json:"lr_step,omitempty"`
	// LRPatience is the plateau schedule's epochs without a gain in
	// validation macro F1 it waits out (the next one lowers the rate);
	// default DefaultLRPatience with Schedule plateau, refused with
	// another schedule.
	LRPatience int `json:"lr_patience,omitempty"`
	// LRGamma is what the step and plateau schedules multiply the rate by;
	// default DefaultLRGamma with either, refused with another schedule.
	LRGamma float64 `json:"lr_gamma,omitempty"`
	// ClipGrad clips the gradients' global L2 norm to at most this before
	// each step (PyTorch's clip_grad_norm_; clip.go); 0: never.
	ClipGrad float64 `json:"clip_grad,omitempty"`
	// EMA is the decay of the exponential moving average of the weights
	// that validation, checkpoints and predictions use (ema.go), such as
	// 0.999; 0: none, the weights as trained.
	EMA float64 `json:"ema,omitempty"`
	// EMAEvery updates that average after every EMAEvery-th optimizer
	// step; default 1 with EMA, refused without it.
	EMAEvery int `json:"ema_every,omitempty"`
	// LATau is the logit-adjusted loss's τ (--loss la: the logits are
	// shifted by τ·log of each class's share in training); default
	// DefaultLATau. It applies whenever the loss has an la term, one
	// switched to while training too.
	LATau float64 `json:"la_tau,omitempty"`
	// FocalGamma is focal's γ (--loss focal: each image's cross entropy
	// weighed by (1 − p)^γ, p its class's probability); default
	// DefaultFocalGamma. Like LATau it applies to any loss with a focal
	// term, one switched to while training too.
	FocalGamma float64 `json:"focal_gamma,omitempty"`
	// Smoothing is smooth's label smoothing (the target 1 − s on the true
	// class and s/(c − 1) on each other); default DefaultSmoothing.
	Smoothing float64 `json:"smoothing,omitempty"`
	// ClassWeights weighs each image's loss in the ce, focal and smooth
	// terms by its class's weight, one of ClassWeightings from the
	// training split's counts (classweights.go); "" (or "none") none.
	ClassWeights string `json:"class_weights,omitempty"`
	// CutMix is the chance that a training batch is mixed: each image
	// shows a box of another image of the batch, and the loss weighs both
	// labels by the area each shows (cutmix.go). 0: never.
	CutMix float64 `json:"cutmix,omitempty"`
	// CutMixBox is the box CutMix pastes, a dataset.CutMixBox's name: half or
	// random; default half (when CutMix is set).
	CutMixBox string `json:"cutmix_box,omitempty"`
	// Mixup is the chance that a training batch is mixed by Mixup
	// instead: each image is blended with another, λ of its own, and the
	// loss weighs both labels by λ and 1−λ (mixup.go). A batch is mixed
	// one way at most: CutMix + Mixup is at most 1. 0: never.
	Mixup float64 `json:"mixup,omitempty"`
	// MixupAlpha is the α of the Beta(α, α) that Mixup's λ is drawn from;
	// default DefaultMixupAlpha (when Mixup is set).
	MixupAlpha float64 `json:"mixup_alpha,omitempty"`
	// Task trains on one task of the mask layout (dataset.TaskNames:
	// mask, gender or age), its 3, 2 or 3 classes instead of the 18; ""
	// (or "none") all 18. The top teams trained one model a task and
	// combined them (ensemble of task runs).
	Task string `json:"task,omitempty"`
	// MixPairs is which image CutMix and Mixup mix each image with:
	// MixPairsAny (any of the batch; "" too) or MixPairsClass (one of its
	// own class: intra-class mixing, new images of a class with its label
	// unchanged, the competition's "SMOTE-like" CutMix).
	MixPairs string `json:"mix_pairs,omitempty"`
	// Erase is the chance that a training image loses a random box to
	// the mean colour (random erasing: dataset/erase.go); 0: never. It is
	// part of augmentation, so NoAugment refuses it.
	Erase float64 `json:"erase,omitempty"`
	// ValTrain is how many of the last epochs train on the validation
	// images too (valtrain.go; the 2021 winners' val_train); 0: none.
	// Their validation is then of images the weights saw.
	ValTrain int `json:"val_train,omitempty"`
	// Fold and Folds pick fold Fold (1 to Folds) of a K-fold split by
	// person as validation, instead of Split and ValRatio; 0: no folds.
	Fold  int `json:"fold,omitempty"`
	Folds int `json:"folds,omitempty"`
	// RunID names the run exactly (a sweep's trials); "" makes one from
	// the time, model, loss and name.
	RunID string `json:"-"`
	// Gate, when set, is asked after each epoch whether the run goes on (a
	// sweep's early-stopping rule).
	Gate *EpochGate `json:"-"`
	// ControlPoll is how often the trainer reads commands dropped into its
	// run folder's control/ (runs.SendControl); default 1s.
	ControlPoll time.Duration `json:"-"`
	// KeepCheckpoints is how many numbered checkpoints a run keeps besides
	// its best and latest; default 3.
	KeepCheckpoints int `json:"keep_checkpoints"`
	// EarlyStop stops a run (with a checkpoint) whose validation macro F1
	// has not improved for this many epochs; 0: never.
	EarlyStop int `json:"early_stop,omitempty"`
	// StopDead stops a run (with a checkpoint) once no gradient has
	// reached any weight tensor for LayerAlertAfter measures in a row: a
	// net whose ReLUs all died does not come back (a sweep's trial at a
	// rate far too high, say).
	StopDead bool `json:"stop_dead,omitempty"`
	// NoGainEpochs raises the no-gain alert after this many epochs without
	// a better macro F1; 0: never.
	NoGainEpochs int `json:"no_gain_alert,omitempty"`
	// AlertGPUMiB raises the gpu-memory alert past this many MiB in use;
	// 0: never.
	AlertGPUMiB float64 `json:"gpu_mem_alert_mib,omitempty"`

	From string `json:"from"` // parent run to start from (train --from)
	// Pretrained is a PyTorch state_dict (.pth, as torch.save writes it)
	// whose tensors of this model's names and shapes start the run, the
	// others (a classifier for this run's classes) fresh: torchvision's
	// ImageNet weights for --model resnet18. --freeze-epochs,
	// --freeze-layers and --from-lr-scale then treat its tensors as a
	// child run treats its parent's. With it the normalisation defaults
	// to ImageNet's mean and std, which the weights were trained with.
	Pretrained string `json:"pretrained,omitempty"`
	FromCkpt   string `json:"from_ckpt"` // best or latest; default best
	// FreezeEpochs keeps the tensors a child run took from its parent as
	// they are for its first this many epochs: only the layers that start
	// fresh (a head for other classes) train, then all (linear probing,
	// then fine-tuning). 0: all train from the start.
	FreezeEpochs int `json:"freeze_epochs,omitempty"`
	// FromLRScale is the fraction of the learning rate a child run's
	// tensors from its parent train at, while the fresh ones (a head for
	// other classes) take all of it (discriminative fine-tuning); 0 means
	// 1. During --freeze-epochs they do not train at all.
	FromLRScale float64 `json:"from_lr_scale,omitempty"`
	// FreshHead starts a child run's output layer fresh even when it has
	// its parent's classes, so that FreezeEpochs retrains the classifier
	// alone on the parent's features: with a class-balanced sampler,
	// Kang et al.'s classifier re-training (cRT, "Decoupling
	// Representation and Classifier for Long-Tailed Recognition", 2020).
	FreshHead bool `json:"fresh_head,omitempty"`
	// FreezeLayers names layers of a child run that keep the parent's
	// values for the whole run, comma-separated: a tensor is in layer L
	// when its name is L or starts with "L." ("b1" holds b1.conv.weight
	// and b1.bn's; "head.mask" the mask head). Fine-tuning's frozen early
	// layers; the backward pass stops at the first layer that trains.
	FreezeLayers string `json:"freeze_layers,omitempty"`
	// FromDir is the parent's folder, as found when the child started: a
	// child run (a sweep's trial, say) whose parent is in another runs
	// folder finds it there again if it starts over.
	FromDir string `json:"from_dir,omitempty"`

	Resume string `json:"-"` // run to continue (resume)

	// StepEvery is how often a step event is published; default 250ms.
	StepEvery time.Duration `json:"-"`
	// LayersEvery is how often a step's parameter norms (LayerStat) are
	// measured and sent with the next step event; default 5s. A run's
	// first step is always measured.
	LayersEvery time.Duration `json:"-"`
	// StallRetry is how often a trainer that cannot write its run folder
	// tries again by itself; default 30s (a resume command tries at once).
	StallRetry time.Duration `json:"-"`
	// Synth configures the built-in synthetic set (Data == "").
	SynthProfiles int    `json:"-"` // default 300
	SynthSize     string `json:"-"` // default 192x256
}

// Defaults fills the zero values.
func (c *Config) Defaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Model, "cnn-s")
	if c.Pretrained != "" && c.Std == ([3]float32{}) {
		c.Mean, c.Std = ImageNetMean, ImageNetStd
	}
	def(&c.Loss, "ce")
	def(&c.Optim, "adam")
	def(&c.Split, "profile")
	def(&c.AgeBins, "30,60")
	def(&c.Sampler, "shuffle")
	def(&c.Device, "auto")
	def(&c.Precision, "fp32")
	def(&c.Runs, runs.DefaultDir)
	def(&c.Schedule, ScheduleNone)
	if c.Schedule == ScheduleStep {
		defNum(&c.LRStep, DefaultLRStep)
	}
	if c.Schedule == SchedulePlateau {
		defNum(&c.LRPatience, DefaultLRPatience)
	}
	if c.Schedule == ScheduleStep || c.Schedule == SchedulePlateau {
		defNum(&c.LRGamma, DefaultLRGamma)
	}
	def(&c.FromCkpt, "best")
	def(&c.SynthSize, "192x256")
	if c.EMA > 0 {
		defNum(&c.EMAEvery, 1)
	}
	if l, err := ParseLoss(c.Loss); err == nil {
		if l.Uses("la") {
			defNum(&c.LATau, DefaultLATau)
		}
		if l.Uses("focal") {
			defNum(&c.FocalGamma, DefaultFocalGamma)
		}
		if l.Uses("smooth") {
			defNum(&c.Smoothing, DefaultSmoothing)
		}
	}
	if c.CutMix > 0 {
		def(&c.CutMixBox, string(dataset.CutMixHalf))
	}
	if c.Mixup > 0 {
		defNum(&c.MixupAlpha, DefaultMixupAlpha)
	}
	switch c.Augmentation { // off is --no-augment; default is no setting
	case AugmentOff:
		c.NoAugment, c.Augmentation = true, ""
	case dataset.AugmentDefault:
		c.Augmentation = ""
	}
	// A sweep's grid cannot give an empty value: "none" is the word for
	// it in the settings whose "" is none.
	for _, v := range []*string{&c.SkipTrainAges, &c.TrainAgeBins, &c.FixLabels, &c.PseudoLabels, &c.Task, &c.ClassWeights} {
		if *v == NoneSetting {
			*v = ""
		}
	}
	defNum(&c.LR, 1e-3)
	defNum(&c.Epochs, 5)
	defNum(&c.Batch, 32)
	defNum(&c.W, 64)
	defNum(&c.H, 64)
	defNum(&c.ValRatio, 0.2)
	defNum(&c.Seed, 42)
	defNum(&c.HeadDepth, 1)
	defNum(&c.KeepCheckpoints, 3)
	defNum(&c.StepEvery, 250*time.Millisecond)
	defNum(&c.LayersEvery, 5*time.Second)
	defNum(&c.StallRetry, 30*time.Second)
	defNum(&c.ControlPoll, time.Second)
	defNum(&c.SynthProfiles, 300)
	// Not GOMAXPROCS: the OpenBLAS build keeps a spare P (see models).
	defNum(&c.Workers, models.Workers())
}

// AugmentOff is --augmentation's word for --no-augment (so that a sweep's
// grid can try it beside the recipes: --grid 'augmentation=off,light,strong').
const AugmentOff = "off"

// NoneSetting is what a sweep's grid (or any flag) gives for "none" to
// the settings whose empty value is none: --skip-train-ages,
// --train-age-bins, --fix-labels, --pseudo-labels, --task and
// --class-weights.
const NoneSetting = "none"

// noneEmpty is a setting with none ("none", the empty value a sweep's
// grid gives) as "".
func noneEmpty(s string) string {
	if s == NoneSetting {
		return ""
	}
	return s
}

func defNum[T int | uint64 | float64 | time.Duration](v *T, d T) {
	if *v == 0 {
		*v = d
	}
}

// DefaultConfig is the Config a run gets when nothing is set.
func DefaultConfig() Config {
	var c Config
	c.Defaults()
	return c
}

// Check rejects settings that no default can mend: negative counts and
// rates, ratios outside their range. It names the setting and its value.
func (c *Config) Check() error {
	type bad struct {
		name string
		ok   bool
		val  any
		want string
	}
	for _, b := range []bad{
		{"lr", c.LR >= 0, c.LR, "a positive number"},
		{"epochs", c.Epochs >= 0, c.Epochs, "a positive whole number"},
		{"batch", c.Batch >= 0, c.Batch, "a positive whole number"},
		{"img", c.W >= 0 && c.H >= 0, fmt.Sprintf("%dx%d", c.W, c.H), "a positive size"},
		{"val-ratio", c.ValRatio >= 0 && c.ValRatio < 1, c.ValRatio, "at least 0 and below 1"},
		{"fold", c.Fold == 0 && c.Folds == 0 || c.Folds >= 2 && c.Fold >= 1 && c.Fold <= c.Folds, fmt.Sprintf("%d of %d", c.Fold, c.Folds), "a fold from 1 to --folds, with --folds 2 or more"},
		{"warmup", c.Warmup >= 0, c.Warmup, "0 or more steps"},
		{"head-depth", c.HeadDepth >= 0, c.HeadDepth, "0 or more layers"},
		{"dropout", c.Dropout >= 0 && c.Dropout < 1, c.Dropout, "at least 0 and below 1"},
		{"weight-decay", c.WeightDecay >= 0, c.WeightDecay, "0 or more"},
		{"limit", c.Limit >= 0, c.Limit, "0 (all) or more images"},
		{"keep-checkpoints", c.KeepCheckpoints >= 0, c.KeepCheckpoints, "0 or more"},
		{"early-stop", c.EarlyStop >= 0, c.EarlyStop, "0 (never) or more epochs"},
		{"alert-no-gain", c.NoGainEpochs >= 0, c.NoGainEpochs, "0 (never) or more epochs"},
		{"alert-gpu-mem", c.AlertGPUMiB >= 0, c.AlertGPUMiB, "0 (never) or more MiB"},
		{"workers", c.Workers >= 0, c.Workers, "0 or more"},
		{"crop", c.CropW >= 0 && c.CropH >= 0, fmt.Sprintf("%dx%d", c.CropW, c.CropH), "a positive size"},
		{"cutmix", c.CutMix >= 0 && c.CutMix <= 1, c.CutMix, "a chance from 0 (never) to 1 (every batch)"},
		{"mixup", c.Mixup >= 0 && c.Mixup <= 1, c.Mixup, "a chance from 0 (never) to 1 (every batch)"},
		{"lr-step", c.LRStep >= 0, c.LRStep, "a whole number of epochs above 0"},
		{"lr-patience", c.LRPatience >= 0, c.LRPatience, "0 or more epochs"},
		{"clip-grad", c.ClipGrad >= 0 && c.ClipGrad < 1e300, c.ClipGrad, "0 (never) or a norm above 0"},
		{"ema", c.EMA >= 0 && c.EMA < 1, c.EMA, "a decay above 0 and below 1, such as 0.999 (0: none)"},
		{"ema-every", c.EMAEvery >= 0, c.EMAEvery, "1 or more steps"},
		{"la-tau", c.LATau >= 0 && c.LATau < 1e300, c.LATau, "0 (the default) or more"},
		{"focal-gamma", c.FocalGamma >= 0 && c.FocalGamma <= 100, c.FocalGamma, "0 (the default) or more, up to 100"},
		{"smoothing", c.Smoothing >= 0 && c.Smoothing < 1, c.Smoothing, "0 (the default) or more, below 1"},
		{"lr-gamma", c.LRGamma >= 0 && c.LRGamma < 1, c.LRGamma, "a factor above 0 and below 1"},
		{"val-train", c.ValTrain >= 0, c.ValTrain, "0 (none) or more epochs"},
		{"freeze-epochs", c.FreezeEpochs >= 0, c.FreezeEpochs, "0 (none) or more epochs"},
		{"from-lr-scale", c.FromLRScale >= 0 && c.FromLRScale <= 1, c.FromLRScale, "a fraction of the rate above 0, up to 1"},
		{"erase", c.Erase >= 0 && c.Erase <= 1, c.Erase, "a chance from 0 (never) to 1 (every training image)"},
		{"mixup-alpha", c.MixupAlpha >= 0 && c.MixupAlpha <= 100, c.MixupAlpha, "a number above 0 (0.2 to 1 are usual)"},
		{"pseudo-min-prob", c.PseudoMinProb >= 0 && c.PseudoMinProb < 1, c.PseudoMinProb, "a probability from 0 (all) up to (not including) 1"},
	} {
		if !b.ok {
			return fmt.Errorf("%s %v is invalid: want %s", b.name, b.val, b.want)
		}
	}
	if len(strings.TrimSpace(c.Note)) > runs.MaxNote {
		return fmt.Errorf("note has %d bytes; a note holds at most %d", len(strings.TrimSpace(c.Note)), runs.MaxNote)
	}
	for flag, bins := range map[string]string{"age-bins": c.AgeBins, "train-age-bins": c.TrainAgeBins} {
		if bins == "" {
			continue
		}
		if _, err := dataset.ParseAgeBins(bins); err != nil {
			return fmt.Errorf("--%s: %w", flag, err)
		}
	}
	if err := checkClassWeights(c.ClassWeights); err != nil {
		return err
	}
	if c.CutMix+c.Mixup > 1+1e-9 {
		return fmt.Errorf("--cutmix %g and --mixup %g add up to more than 1: a batch is mixed one way at most, so their chances can add up to 1", c.CutMix, c.Mixup)
	}
	if _, err := dataset.ParseTask(c.Task); err != nil && c.Task != NoneSetting {
		return fmt.Errorf("--%w", err)
	}
	if c.Task != "" && c.Task != NoneSetting && len(models.Spec{Name: c.Model}.Heads()) > 1 {
		return fmt.Errorf("--task %s trains one task, but model %s predicts all three: use it without --task, or a model without -mh", c.Task, c.Model)
	}
	if c.LRStep > 0 && c.Schedule != "" && c.Schedule != ScheduleStep {
		return fmt.Errorf("--lr-step %d is the step schedule's: it halves the rate every %d epochs, and --schedule is %s; use --schedule step", c.LRStep, c.LRStep, c.Schedule)
	}
	if c.LRPatience > 0 && c.Schedule != "" && c.Schedule != SchedulePlateau {
		return fmt.Errorf("--lr-patience %d is the plateau schedule's: it lowers the rate after %d epochs without a gain, and --schedule is %s; use --schedule plateau", c.LRPatience, c.LRPatience, c.Schedule)
	}
	if c.LRGamma > 0 && c.Schedule != "" && c.Schedule != ScheduleStep && c.Schedule != SchedulePlateau {
		return fmt.Errorf("--lr-gamma %g is what the step and plateau schedules multiply the rate by, and --schedule is %s; use --schedule step or plateau", c.LRGamma, c.Schedule)
	}
	if c.EMAEvery > 0 && c.EMA == 0 {
		return fmt.Errorf("--ema-every %d is how often --ema's moving average of the weights is updated, and there is none: give --ema too, such as --ema 0.999", c.EMAEvery)
	}
	if c.ValTrain > 0 && c.Epochs > 0 && c.ValTrain >= c.Epochs {
		return fmt.Errorf("--val-train %d of --epochs %d leaves no epoch validated on images it did not train on: train more epochs, or on fewer with the validation images", c.ValTrain, c.Epochs)
	}
	if c.Augmentation != "" && c.Augmentation != AugmentOff {
		if c.NoAugment {
			return fmt.Errorf("--augmentation %s sets how training images vary, and --no-augment turns augmentation off: use one of them", c.Augmentation)
		}
		if _, err := dataset.DefaultAugment(64, 64).WithRecipe(c.Augmentation); err != nil {
			return fmt.Errorf("--%w", err)
		}
	}
	// --augmentation off is --no-augment once Defaults has run; before,
	// it trained without erasing while the header said "erasing".
	if off := map[bool]string{true: "--no-augment", false: "--augmentation off"}[c.NoAugment]; c.Erase > 0 && (c.NoAugment || c.Augmentation == AugmentOff) {
		return fmt.Errorf("--erase %g erases boxes of augmented training images, and %s turns augmentation off: use one of them", c.Erase, off)
	}
	if c.MixPairs != "" && c.MixPairs != MixPairsAny && c.MixPairs != MixPairsClass {
		return fmt.Errorf("--mix-pairs %q is unknown; use any or class", c.MixPairs)
	}
	if c.CutMixBox != "" {
		if _, err := dataset.ParseCutMixBox(c.CutMixBox); err != nil {
			return fmt.Errorf("--cutmix-box: %w", err)
		}
	}
	if c.SkipTrainAges != "" {
		if _, err := dataset.ParseAgeRanges(c.SkipTrainAges); err != nil {
			return fmt.Errorf("--skip-train-ages: %w", err)
		}
	}
	for _, v := range c.Std {
		if v < 0 {
			return fmt.Errorf("std %v is invalid: every standard deviation must be positive", c.Std)
		}
	}
	if c.Pretrained != "" && c.From != "" {
		return fmt.Errorf("--pretrained %s starts a run from a file's weights, and --from %s from a parent run's: use one of them (a child run takes its parent's, pretrained or not)", c.Pretrained, c.From)
	}
	return nil
}

// ImageNet's mean and standard deviation, as torchvision normalises the
// images its pretrained weights saw: a --pretrained run's default.
var (
	ImageNetMean = [3]float32{0.485, 0.456, 0.406}
	ImageNetStd  = [3]float32{0.229, 0.224, 0.225}
)

// configJSON is Config's JSON form: the fields with tags, plus the sizes
// as "WxH" and augmentation as "augment" (as run.json has always had them).
type configJSON struct {
	configFields
	Img     string `json:"img"`
	Crop    string `json:"crop"`
	Augment *bool  `json:"augment"`
}

type configFields Config

// MarshalJSON implements json.Marshaler.
func (c Config) MarshalJSON() ([]byte, error) {
	aug := !c.NoAugment
	return json.Marshal(configJSON{configFields: configFields(c), Img: fmt.Sprintf("%dx%d", c.W, c.H),
		Crop: fmt.Sprintf("%dx%d", c.CropW, c.CropH), Augment: &aug})
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *Config) UnmarshalJSON(b []byte) error {
	var j configJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = Config(j.configFields)
	if j.Img != "" && j.Img != "0x0" {
		w, h, err := ParseSize(j.Img)
		if err != nil {
			return fmt.Errorf("img: %w", err)
		}
		c.W, c.H = w, h
	}
	if j.Crop != "" && j.Crop != "0x0" {
		w, h, err := ParseSize(j.Crop)
		if err != nil {
			return fmt.Errorf("crop: %w", err)
		}
		c.CropW, c.CropH = w, h
	}
	c.NoAugment = j.Augment != nil && !*j.Augment
	return nil
}

// AsMap returns the config as run.json's "config" object.
func (c Config) AsMap() (map[string]any, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

// ConfigFromMap reads a Config back from run.json's "config" object.
func ConfigFromMap(m map[string]any) (Config, error) {
	var c Config
	b, err := json.Marshal(m)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("run.json config: %w", err)
	}
	return c, nil
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

// EpochGate decides after each epoch, from the epoch and its validation
// macro F1, whether a run stops (with a checkpoint; why is logged). A
// pointer in Config, so that Config stays comparable.
type EpochGate struct {
	Decide func(epoch int, macroF1 float64) (stop bool, why string)
}
