package main

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Number flags that refuse what no default can mend: --epochs 0, --batch
// -3, --lr -1 get one sentence instead of quietly becoming a default.

// numberFlag is a pflag.Value for a number with a rule.
type numberFlag[T int | uint64 | float64] struct {
	p    *T
	ok   func(T) bool
	want string // what the rule asks for, for the error
}

// Set implements pflag.Value.
func (f numberFlag[T]) Set(s string) error {
	var v T
	switch p := any(&v).(type) {
	case *int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("want %s", f.want)
		}
		*p = n
	case *uint64:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return fmt.Errorf("want %s", f.want)
		}
		*p = n
	case *float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("want %s", f.want)
		}
		*p = x
	}
	if !f.ok(v) {
		return fmt.Errorf("want %s", f.want)
	}
	*f.p = v
	return nil
}

// String implements pflag.Value.
func (f numberFlag[T]) String() string {
	if f.p == nil {
		return ""
	}
	return fmt.Sprint(*f.p)
}

// Type implements pflag.Value.
func (f numberFlag[T]) Type() string {
	var v T
	switch any(v).(type) {
	case int:
		return "int"
	case uint64:
		return "uint"
	}
	return "float"
}

func positiveInt(fs *pflag.FlagSet, p *int, name string, def int, usage string) {
	*p = def
	fs.Var(numberFlag[int]{p, func(v int) bool { return v > 0 }, "a whole number above 0"}, name, usage)
}

func countInt(fs *pflag.FlagSet, p *int, name string, def int, usage string) {
	*p = def
	fs.Var(numberFlag[int]{p, func(v int) bool { return v >= 0 }, "a whole number, 0 or more"}, name, usage)
}

// seedUint is a seed: any whole number from 0 to 2⁶⁴−1 (--seed -5 said
// "strconv.ParseUint: parsing "-5": invalid syntax" before).
func seedUint(fs *pflag.FlagSet, p *uint64, name string, def uint64, usage string) {
	*p = def
	fs.Var(numberFlag[uint64]{p, func(uint64) bool { return true }, "a whole number, 0 or more"}, name, usage)
}

func positiveFloat(fs *pflag.FlagSet, p *float64, name string, def float64, usage string) {
	*p = def
	fs.Var(numberFlag[float64]{p, func(v float64) bool { return v > 0 && v < 1e300 }, "a number above 0"}, name, usage)
}

func fractionFloat(fs *pflag.FlagSet, p *float64, name string, def float64, usage string) {
	*p = def
	fs.Var(numberFlag[float64]{p, func(v float64) bool { return v >= 0 && v < 1 }, "a number from 0 up to (not including) 1"}, name, usage)
}

func chanceFloat(fs *pflag.FlagSet, p *float64, name string, def float64, usage string) {
	*p = def
	fs.Var(numberFlag[float64]{p, func(v float64) bool { return v >= 0 && v <= 1 }, "a chance from 0 to 1"}, name, usage)
}

// rateFraction is a fraction of a rate: above 0, up to 1.
func rateFraction(fs *pflag.FlagSet, p *float64, name string, usage string) {
	fs.Var(numberFlag[float64]{p, func(v float64) bool { return v > 0 && v <= 1 }, "a fraction above 0, up to 1"}, name, usage)
}

func nonNegFloat(fs *pflag.FlagSet, p *float64, name string, def float64, usage string) {
	*p = def
	fs.Var(numberFlag[float64]{p, func(v float64) bool { return v >= 0 && v < 1e300 }, "a number, 0 or more"}, name, usage)
}

// engineHelp is the --engine flag's help, for train, serve and bench.
const engineHelp = "ops to build the network from: own (this project's ops, on the CPU or the GPU) or gorgonia (Gorgonia's own ops, a slow reference on the CPU); default own"

const precisionHelp = "the GPU's arithmetic: fp32 (TF32 allowed in convolutions, PyTorch's default), tf32 (in matrix products too), strict (no TF32) or bf16 (bfloat16 activations, NHWC, float32 weights); the CPU computes in float32 whatever it says"

// trainFlags registers the training flags on fs, with the defaults of
// training.DefaultConfig (the one place they live), and returns a function
// that finishes the Config after parsing (a child run's, --from, from its
// parent's settings: child_flags.go).
func trainFlags(fs *pflag.FlagSet, c *training.Config) func() error {
	d := training.DefaultConfig()
	fs.StringVar(&c.Data, "data", "", "data folder (default: the built-in synthetic set)")
	fs.StringVar(&c.Format, "format", "", "data format: mask, folder or idx (default: detect)")
	fs.StringVar(&c.Model, "model", d.Model, "model: cnn-s, vgg-s, resnet-s, or a -mh multi-head variant")
	fs.StringVar(&c.Loss, "loss", d.Loss, "loss: ce, focal, smooth, f1, la (cross entropy of the logits shifted by the log of each class's share of the batches: Menon et al.'s logit adjustment, for macro F1 on imbalanced classes), or a weighted sum such as 0.6focal+0.4f1")
	fs.StringVar(&c.Optim, "optim", d.Optim, "optimizer: sgd, adam, adamw, adamp, radam")
	positiveFloat(fs, &c.LR, "lr", d.LR, "learning rate")
	fs.BoolVar(&c.LRFind, "lr-find", false, "find the learning rate first: lrfind's range test, then train at its suggestion (instead of --lr)")
	positiveInt(fs, &c.Epochs, "epochs", d.Epochs, "epochs")
	positiveInt(fs, &c.Batch, "batch", d.Batch, "batch size")
	img := fs.String("img", fmt.Sprintf("%dx%d", d.W, d.H), "input size WxH (multiples of 8)")
	fs.StringVar(&c.Split, "split", d.Split, "validation split: profile (all of a person on one side) or random")
	fractionFloat(fs, &c.ValRatio, "val-ratio", d.ValRatio, "share of profiles (or images) for validation")
	fs.StringVar(&c.AgeBins, "age-bins", d.AgeBins, "age thresholds for the three age classes")
	fs.StringVar(&c.TrainAgeBins, "train-age-bins", "", "age thresholds for the training images' labels only (such as 30,58: more old examples; none in a sweep's grid); validation and predictions keep --age-bins")
	fs.StringVar(&c.SkipTrainAges, "skip-train-ages", "", "leave the training images of these ages out, such as 27-29,57-59 (the people nearest a class border; 27-29:57-59 and none in a sweep's grid); validation keeps them")
	fs.StringVar(&c.PseudoLabels, "pseudo-labels", "", "an ImageID,ans file (another run's predict or ensemble output): its eval images join the training split with those classes as labels (pseudo-labelling; mask layout; none in a sweep's grid)")
	fractionFloat(fs, &c.PseudoMinProb, "pseudo-min-prob", 0, "with --pseudo-labels from predict --probs: keep only the eval images whose class it gives at least this probability (0: all)")
	fs.StringVar(&c.FixLabels, "fix-labels", "", fixLabelsHelp)
	fs.StringVar(&c.Sampler, "sampler", d.Sampler, "sampler: shuffle, weighted (inverse class frequency), balance (dynamic)")
	seedUint(fs, &c.Seed, "seed", d.Seed, "random seed (0 means the default)")
	fs.StringVar(&c.Device, "device", d.Device, "auto (the GPU when one answers in a GPU build, else the CPU), cpu or cuda")
	fs.StringVar(&c.Engine, "engine", "", engineHelp)
	fs.StringVar(&c.Precision, "precision", d.Precision, precisionHelp)
	runsFlag(fs, &c.Runs, "runs folder")
	fs.StringVar(&c.Name, "name", "", "run name (added to the run id)")
	fs.StringVar(&c.Note, "note", "", "a note on the run: what it tries (maskdash note RUN changes it; the runs table and filter show it)")
	fs.StringVar(&c.Schedule, "schedule", d.Schedule, "learning-rate schedule: none, step (×0.5 every --lr-step epochs), cosine, plateau (×0.5 once validation macro F1 has not improved for more than --lr-patience epochs: PyTorch's ReduceLROnPlateau)")
	countInt(fs, &c.LRStep, "lr-step", 0, fmt.Sprintf("with --schedule step: epochs between halvings of the rate (default %d, the baseline's --lr_decay_step; the 2021 winners used 5)", training.DefaultLRStep))
	countInt(fs, &c.LRPatience, "lr-patience", 0, fmt.Sprintf("with --schedule plateau: epochs without a gain in validation macro F1 it waits out; the next one lowers the rate (0: the default, %d; PyTorch's patience)", training.DefaultLRPatience))
	fs.Var(numberFlag[float64]{&c.LRGamma, func(v float64) bool { return v >= 0 && v < 1 }, "a factor above 0 and below 1 (0: the default)"}, "lr-gamma",
		fmt.Sprintf("with --schedule step or plateau: what each lowering multiplies the rate by (0: the default, %g; PyTorch's gamma, or factor)", training.DefaultLRGamma))
	countInt(fs, &c.Warmup, "warmup", d.Warmup, "linear warm-up steps starting at 1e-5")
	fractionFloat(fs, &c.EMA, "ema", 0,
		"validate, checkpoint and predict with an exponential moving average of the weights, of this decay per update, such as 0.999 (timm's ModelEma, with TensorFlow's warm-up of the decay; each epoch says both weights' macro F1; 0: none)")
	countInt(fs, &c.EMAEvery, "ema-every", 0, "with --ema: update the average after every N-th step only (0: the default, each)")
	nonNegFloat(fs, &c.LATau, "la-tau", 0, fmt.Sprintf("with --loss la: τ, how far training shifts each logit, τ·log of its class's share of the batches (0: the default, %g, Menon et al.'s; larger favours rare classes more)", training.DefaultLATau))
	nonNegFloat(fs, &c.FocalGamma, "focal-gamma", 0, fmt.Sprintf("with --loss focal: γ, how much an image the net already gets right is weighed down, by (1 − p)^γ (0: the default, %g, Lin et al.'s; --loss ce is γ 0)", training.DefaultFocalGamma))
	fractionFloat(fs, &c.Smoothing, "smoothing", 0, fmt.Sprintf("with --loss smooth: the label smoothing s, the target 1 − s on the true class and s spread over the others (0: the default, %g; --loss ce is s 0)", training.DefaultSmoothing))
	fs.StringVar(&c.ClassWeights, "class-weights", "", "weigh each image's loss in the ce, focal and smooth terms by its class's weight from the training split's counts: none, inverse (1/n, as PyTorch's CrossEntropyLoss(weight=…) with inverse class frequency) or sqrt (1/√n)")
	nonNegFloat(fs, &c.ClipGrad, "clip-grad", 0, "clip the gradients' global L2 norm to at most this before each step (PyTorch's clip_grad_norm_; each epoch's line says how often it did; 0: never)")
	positiveInt(fs, &c.HeadDepth, "head-depth", d.HeadDepth, "hidden layers in each head of -mh models")
	fractionFloat(fs, &c.Dropout, "dropout", d.Dropout, "dropout before output layers")
	nonNegFloat(fs, &c.WeightDecay, "weight-decay", d.WeightDecay, "weight decay (adamw: 0 means 1e-2)")
	countInt(fs, &c.Limit, "limit", d.Limit, "use at most this many training images (0: all)")
	countInt(fs, &c.KeepCheckpoints, "keep-checkpoints", d.KeepCheckpoints, "numbered checkpoints to keep besides best and latest")
	countInt(fs, &c.EarlyStop, "early-stop", 0, "stop (with a checkpoint) when validation macro F1 has not improved for N epochs (0: never)")
	fs.BoolVar(&c.StopDead, "stop-dead", false, "stop (with a checkpoint) when no gradient reaches any layer's weights for 3 measures in a row, about 15 s: a dead net")
	countInt(fs, &c.NoGainEpochs, "alert-no-gain", 0, "alert when validation macro F1 has not improved for N epochs (0: never)")
	nonNegFloat(fs, &c.AlertGPUMiB, "alert-gpu-mem", 0, "alert when the GPU has more than this many MiB in use (0: never)")
	fs.BoolVar(&c.NoAugment, "no-augment", false, "turn off crop, flip, colour jitter and rotation (images are still resized to 1.125× and centre-cropped)")
	fs.StringVar(&c.Augmentation, "augmentation", "", "how much training images vary beyond the random crop: light (flips), default (flips, colour jitter 0.1, rotation ±10°), strong (flips, jitter 0.3, ±20°), off (as --no-augment), or settings that change the default's, such as 'rotate=0,jitter=0.2' (flip=0|1, rotate=DEG, jitter=F)")
	chanceFloat(fs, &c.CutMix, "cutmix", 0, "the chance a training batch is mixed by CutMix: each image shows a box of another, and the loss weighs both labels by area (0: never; the 2022 winners used 0.3)")
	fs.StringVar(&c.CutMixBox, "cutmix-box", "", "CutMix's box: half (the right half of each image, the 2022 winners' box) or random (Yun et al.'s); default half")
	chanceFloat(fs, &c.Mixup, "mixup", 0, "the chance a training batch is mixed by Mixup (when CutMix does not mix it: the two chances add up to 1 at most): each image is blended with another, λ of its own, and the loss weighs both labels by λ (0: never)")
	fs.StringVar(&c.Task, "task", "", "train on one task of the mask layout: mask, gender or age (its 3, 2 or 3 classes; none: all 18); ensemble combines a run of each into the 18 classes")
	fs.IntVar(&c.ValTrain, "val-train", 0, "the last N epochs train on the validation images too (the 2021 winners' last 3): the model predictions use has seen every labelled image; validation from then on is of images trained on, so the best figures stay those before (0: none)")
	fs.Float64Var(&c.Erase, "erase", 0, "the chance a training image loses a random box (2–33% of it, any shape from 0.3 to 3.3 high to wide) to the mean colour: random erasing, the competition's cutout; 0.5 is the paper's (0: never)")
	fs.StringVar(&c.MixPairs, "mix-pairs", "", "which image CutMix and Mixup mix each image with: any (of the batch; the default) or class (one of its own class: new images of the class, its label unchanged; intra-class, SMOTE-like mixing, with --sampler balance for the rare classes)")
	nonNegFloat(fs, &c.MixupAlpha, "mixup-alpha", 0, "Mixup's λ is drawn from Beta(α, α): small α gives λ near 0 or 1, 1 gives any λ alike; default 0.2 (Zhang et al.'s best on ImageNet)")
	crop := fs.String("crop", "", "centre crop WxH of the source image before resizing, such as 256x320 (the baseline's CenterCrop)")
	mean := fs.String("mean", "", "normalisation mean R,G,B (with --std; default: computed from the training split)")
	std := fs.String("std", "", "normalisation standard deviation R,G,B (with --mean)")
	countInt(fs, &c.Fold, "fold", 0, "validation is fold N (1 to --folds) of a K-fold split by person")
	countInt(fs, &c.Folds, "folds", 0, "the K of --fold (0: no folds; --split and --val-ratio then apply)")
	fs.StringVar(&c.RunID, "run-id", "", "the run's id exactly (default: made from the time, model, loss and name)")
	fs.StringVar(&c.From, "from", "", "start from this run's checkpoint (a child run)")
	fs.StringVar(&c.Pretrained, "pretrained", "", "start from a PyTorch state_dict (.pth): its tensors of the model's names and shapes, the others (a classifier for these classes) fresh; torchvision's ImageNet weights (resnet18-f37072fd.pth) for --model resnet18; the normalisation then defaults to ImageNet's")
	fs.StringVar(&c.FromCkpt, "from-ckpt", d.FromCkpt, "which checkpoint of --from: best, latest or a file (best.train, latest.train: the training weights beside an --ema run's)")
	rateFraction(fs, &c.FromLRScale, "from-lr-scale", "with --from or --pretrained: the tensors taken from the parent train at this fraction of the rate, the fresh ones (a head for other classes) at all of it, such as 0.1 (discriminative fine-tuning; default 1)")
	fs.StringVar(&c.FreezeLayers, "freeze-layers", "", "with --from or --pretrained: these layers keep the parent's values for the whole run, separated by commas or plus signs (a sweep's grid: freeze-layers=none,b1,b1+b2) as 'maskdash model' names them, a block by its prefix (vgg-s: b1,b2; resnet-s: stem,s1): fine-tuning with the early layers fixed, whose backward pass is then not computed")
	fs.BoolVar(&c.FreshHead, "fresh-head", false, "with --from or --pretrained: the output layer starts fresh even for the parent's classes, so --freeze-epochs retrains the classifier alone on the parent's features (with --sampler weighted: classifier re-training for classes of unequal sizes, Kang et al. 2020)")
	countInt(fs, &c.FreezeEpochs, "freeze-epochs", 0, "with --from or --pretrained: the tensors taken from the parent stay fixed for the first N epochs, so only the layers that start fresh (a head for other classes) train, then all do (0: all from the start)")
	complete := func() error {
		w, h, err := training.ParseSize(*img)
		if err != nil {
			return fmt.Errorf("--img %w", err)
		}
		c.W, c.H = w, h
		if *crop != "" {
			if c.CropW, c.CropH, err = training.ParseSize(*crop); err != nil {
				return fmt.Errorf("--crop %w", err)
			}
		}
		if (*mean == "") != (*std == "") {
			return errors.New("--mean and --std go together")
		}
		if *mean != "" {
			if c.Mean, err = training.ParseTriple(*mean); err != nil {
				return fmt.Errorf("--mean %w", err)
			}
			if c.Std, err = training.ParseTriple(*std); err != nil {
				return fmt.Errorf("--std %w", err)
			}
			for _, v := range c.Std {
				if v <= 0 {
					return fmt.Errorf("--std %s: every standard deviation must be positive", *std)
				}
			}
		}
		// A resume or a sweep's trial may start in another folder.
		for name, p := range map[string]*string{"fix-labels": &c.FixLabels, "pseudo-labels": &c.PseudoLabels} {
			if *p == "" || *p == training.NoneSetting {
				continue
			}
			if *p, err = filepath.Abs(*p); err != nil {
				return fmt.Errorf("--%s: %w", name, err)
			}
		}
		return c.Check()
	}
	return func() error {
		if c.From != "" {
			return inheritParent(fs, c) // a child run: its parent's settings, but those given
		}
		return complete()
	}
}

// flagError turns a flag parsing error into one sentence that points at
// the command's help.
func flagError(cmd *cobra.Command, err error) error {
	return fmt.Errorf("%s; see '%s --help'", strings.TrimSuffix(err.Error(), "."), cmd.CommandPath())
}

// notifyFlags registers where alerts go besides the screen and the log.
func notifyFlags(fs *pflag.FlagSet) *training.Notifier {
	n := &training.Notifier{}
	fs.StringVar(&n.Cmd, "notify-cmd", "", "run this shell command on each alert (MASKDASH_ALERT, MASKDASH_ALERT_RULE and MASKDASH_RUN in its environment)")
	fs.StringVar(&n.URL, "notify-url", "", "POST each alert as JSON to this URL")
	return n
}

// watchAlerts starts delivering hub's alerts with n, if it delivers
// anywhere; failures become warnings on the hub.
func watchAlerts(hub *training.Hub, n *training.Notifier) {
	if n == nil || !n.Enabled() {
		return
	}
	sub, _ := hub.Subscribe(64)
	go n.Watch(sub, func(err error) {
		hub.Publish(training.Event{Kind: training.KindError, Msg: err.Error(), Time: time.Now()})
	})
}

// fixLabelsHelp describes --fix-labels (train, stats).
const fixLabelsHelp = "label corrections for the mask layout: a CSV of id,field,value rows (000225,gender,male · 001009,age,29 · 000020,mask,swap); fixes/mask-community.csv has the ones found in the competition's data"

// runsFlag adds --runs: the runs folder, by default $MASKDASH_RUNS when
// it is set (one folder for every run, from whatever folder maskdash
// starts in: runs are not scattered over ./maskdash-runs folders), else
// ./maskdash-runs.
func runsFlag(fs *pflag.FlagSet, p *string, usage string) {
	fs.StringVar(p, "runs", defaultRunsDir(os.Getenv), usage+" ($MASKDASH_RUNS sets the default)")
}

// defaultRunsDir is the runs folder when --runs is not given.
func defaultRunsDir(getenv func(string) string) string {
	return cmp.Or(getenv("MASKDASH_RUNS"), runs.DefaultDir)
}

// preparedFromEnv sets where a run keeps prepared images between runs
// from $MASKDASH_PREPARED (a folder, or "off"), unless cfg says; unset,
// the default folder (training.Config.Prepared).
func preparedFromEnv(cfg *training.Config, getenv func(string) string) {
	cfg.Prepared = cmp.Or(cfg.Prepared, getenv("MASKDASH_PREPARED"))
}

// keepPrepared has a predictor read the images earlier runs and commands
// prepared ($MASKDASH_PREPARED, as training does) and keep its own, a
// failure said as a warning: a second predict of the eval images
// decodes none of them.
func (a *app) keepPrepared(p *training.Predictor) {
	p.Prepared = training.PreparedStoreAt(os.Getenv("MASKDASH_PREPARED"))
	p.Say = func(msg string) { fmt.Fprintln(a.errOut, "warning: "+msg) }
}
