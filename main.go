// Command maskdash trains image classifiers and shows the training live in
// a terminal dashboard, locally or over SSH. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/maskdash/maskdash/models"
	"github.com/maskdash/maskdash/training"
)

const usage = `maskdash — watch and steer image-classifier training from a terminal

usage:
  maskdash                          the dashboard, training on the built-in synthetic set
  maskdash train    [flags]         train (dashboard, or --headless)
  maskdash synth    --out DIR       write a synthetic mask data set
  maskdash stats    --data DIR      images per class and task, skipped files
  maskdash runs                     list runs
  maskdash compare  RUN RUN…        settings, best figures and curves side by side
  maskdash resume   RUN             continue a run from its latest checkpoint
  maskdash eval     --run RUN --data DIR
  maskdash predict  --run RUN --data DIR --out FILE [--tta]
  maskdash ensemble --run RUN --run RUN… --data DIR --out FILE
  maskdash serve    [--listen :2222] [train flags]   the dashboard over SSH
  maskdash bench    [--model NAME] [--batch N]       training speed

Run 'maskdash COMMAND -h' for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	args := os.Args[1:]
	cmd := "train"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if os.Getenv("MASKDASH_WINOGRAD") == "0" {
		// im2col for every convolution, to compare with Winograd's path.
		models.Winograd = false
	}
	if p := os.Getenv("MASKDASH_CPUPROFILE"); p != "" {
		// A CPU profile of the whole command, for finding what is slow.
		if f, err := os.Create(p); err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	err := dispatch(ctx, cmd, args, os.Stdout)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "maskdash: "+sentence(err))
		os.Exit(1)
	}
}

// sentence makes sure an error prints as one sentence.
func sentence(err error) string {
	s := err.Error()
	if s != "" && !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func dispatch(ctx context.Context, cmd string, args []string, out io.Writer) error {
	switch cmd {
	case "train":
		return cmdTrain(ctx, args, out)
	case "resume":
		return cmdResume(ctx, args, out)
	case "synth":
		return cmdSynth(ctx, args, out)
	case "stats":
		return cmdStats(args, out)
	case "runs":
		return cmdRuns(args, out)
	case "compare":
		return cmdCompare(args, out)
	case "eval":
		return cmdEval(ctx, args, out)
	case "predict":
		return cmdPredict(ctx, args, out)
	case "ensemble":
		return cmdEnsemble(ctx, args, out)
	case "serve":
		return cmdServe(ctx, args, out)
	case "bench":
		return cmdBench(args, out)
	case "help", "-h", "--help":
		fmt.Fprint(out, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q; run 'maskdash help' for the list", cmd)
}

// trainFlags registers the training flags on fs and returns a function
// that finishes the Config after parsing.
func trainFlags(fs *flag.FlagSet, c *training.Config) func() error {
	fs.StringVar(&c.Data, "data", "", "data folder (default: the built-in synthetic set)")
	fs.StringVar(&c.Format, "format", "", "data format: mask, folder or idx (default: detect)")
	fs.StringVar(&c.Model, "model", "cnn-s", "model: cnn-s, vgg-s, resnet-s, or a -mh multi-head variant")
	fs.StringVar(&c.Loss, "loss", "ce", "loss: ce, focal, smooth, f1, or a weighted sum such as 0.6focal+0.4f1")
	fs.StringVar(&c.Optim, "optim", "adam", "optimizer: sgd, adam, adamw, adamp")
	fs.Float64Var(&c.LR, "lr", 1e-3, "learning rate")
	fs.IntVar(&c.Epochs, "epochs", 5, "epochs")
	fs.IntVar(&c.Batch, "batch", 32, "batch size")
	img := fs.String("img", "64x64", "input size WxH (multiples of 8)")
	fs.StringVar(&c.Split, "split", "profile", "validation split: profile (all of a person on one side) or random")
	fs.Float64Var(&c.ValRatio, "val-ratio", 0.2, "share of profiles (or images) for validation")
	fs.StringVar(&c.AgeBins, "age-bins", "30,60", "age thresholds for the three age classes")
	fs.StringVar(&c.Sampler, "sampler", "shuffle", "sampler: shuffle, weighted (inverse class frequency), balance (dynamic)")
	seed := fs.Uint64("seed", 42, "random seed")
	fs.StringVar(&c.Device, "device", "cpu", "cpu or cuda")
	fs.StringVar(&c.Engine, "engine", "", engineHelp)
	fs.StringVar(&c.Runs, "runs", "maskdash-runs", "runs folder")
	fs.StringVar(&c.Name, "name", "", "run name (added to the run id)")
	fs.StringVar(&c.Schedule, "schedule", "none", "learning-rate schedule: none, step (×0.5 every 20 epochs), cosine")
	fs.IntVar(&c.Warmup, "warmup", 0, "linear warm-up steps starting at 1e-5")
	fs.IntVar(&c.HeadDepth, "head-depth", 1, "hidden layers in each head of -mh models")
	fs.Float64Var(&c.Dropout, "dropout", 0, "dropout before output layers")
	fs.Float64Var(&c.WeightDecay, "weight-decay", 0, "weight decay")
	fs.IntVar(&c.Limit, "limit", 0, "use at most this many training images (0: all)")
	fs.BoolVar(&c.NoAugment, "no-augment", false, "turn off crop, flip, colour jitter and rotation")
	crop := fs.String("crop", "", "centre crop WxH of the source image before resizing, such as 256x320 (the baseline's CenterCrop)")
	mean := fs.String("mean", "", "normalisation mean R,G,B (with --std; default: computed from the training split)")
	std := fs.String("std", "", "normalisation standard deviation R,G,B (with --mean)")
	fs.StringVar(&c.From, "from", "", "start from this run's checkpoint (a child run)")
	fs.StringVar(&c.FromCkpt, "from-ckpt", "best", "which checkpoint of --from: best or latest")
	return func() error {
		w, h, err := training.ParseSize(*img)
		if err != nil {
			return err
		}
		c.W, c.H = w, h
		c.Seed = *seed
		if c.Seed == 0 {
			c.Seed = 42
		}
		if *crop != "" {
			if c.CropW, c.CropH, err = training.ParseSize(*crop); err != nil {
				return fmt.Errorf("--crop %w", err)
			}
		}
		if (*mean == "") != (*std == "") {
			return fmt.Errorf("--mean and --std go together")
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
		if fs.NArg() > 0 {
			return fmt.Errorf("unexpected argument %q", fs.Arg(0))
		}
		return nil
	}
}
