// The trainer's data: the folder it reads (or the built-in set it draws),
// the splits, the labels it trains on, the loaders, and the warnings of
// inputs it skips.

package training

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/maskdash/maskdash/dataset"
)

// dataDir is the data folder the run reads: --data, or the built-in
// synthetic set's folder in the cache.
func (t *Trainer) dataDir() string {
	if t.cfg.Data == "" {
		return DefaultSynthDir(t.cfg.SynthProfiles, t.cfg.SynthSize, 7)
	}
	return t.cfg.Data
}

// openData opens (or makes) the data and builds split, sampler and loaders.
func (t *Trainer) openData(ctx context.Context) error {
	cfg := t.cfg
	dir := t.dataDir()
	if cfg.Data == "" {
		if err := ensureSynth(ctx, dir, cfg.SynthProfiles, cfg.SynthSize, func(msg string) {
			t.hub.Publish(Event{Kind: KindState, State: StateStarting, Msg: msg, Time: time.Now()})
		}); err != nil {
			return err
		}
	}
	bins, err := dataset.ParseAgeBins(cfg.AgeBins)
	if err != nil {
		return err
	}
	open := dataset.Open
	if t.checks != nil {
		open = t.checks.open
	}
	if t.data, err = open(dir, dataset.Options{Format: cfg.Format, Bins: bins, FixLabels: cfg.FixLabels}); err != nil {
		return err
	}
	t.warnSkips(t.data.Train.Skipped)
	if n := t.data.Train.Corrected; n > 0 {
		t.hub.Publish(Event{Kind: KindNotice, Time: time.Now(), Msg: fmt.Sprintf("%d training images relabelled by %s", n, cfg.FixLabels)})
	}
	all := t.data.Train
	var sp dataset.Split
	if cfg.Folds > 0 {
		sp, err = dataset.SplitFold(all, cfg.Fold, cfg.Folds, cfg.Seed)
	} else {
		sp, err = dataset.SplitNamed(cfg.Split, all, cfg.ValRatio, cfg.Seed)
	}
	if err != nil {
		return err
	}
	if cfg.Limit > 0 && len(sp.Train) > cfg.Limit {
		sp.Train = sp.Train[:cfg.Limit]
		sp.Val = sp.Val[:min(len(sp.Val), max(cfg.Limit/4, 1))]
	}
	t.train, t.val = all.Subset(sp.Train), all.Subset(sp.Val)
	if t.train, err = t.asTraining(t.train, true); err != nil {
		return err
	}
	var valAsTrain *dataset.Set // the validation images as the last epochs train on them (--val-train)
	if cfg.ValTrain > 0 {
		if valAsTrain, err = t.asTraining(all.Subset(sp.Val), false); err != nil {
			return err
		}
	}
	if cfg.PseudoLabels != "" {
		// Last: the eval images have no age to skip or relabel by.
		if err := t.addPseudoLabels(cfg.PseudoLabels, cfg.PseudoMinProb); err != nil {
			return err
		}
	}
	if cfg.Task != "" {
		// Last: every relabelling above works on the 18 classes.
		if t.train, err = t.train.ForTask(cfg.Task); err != nil {
			return err
		}
		if t.val, err = t.val.ForTask(cfg.Task); err != nil {
			return err
		}
		if valAsTrain != nil {
			if valAsTrain, err = valAsTrain.ForTask(cfg.Task); err != nil {
				return err
			}
		}
	}
	if t.train.Len() < cfg.Batch {
		return fmt.Errorf("data %s: %d training images is fewer than one batch of %d", dir, t.train.Len(), cfg.Batch)
	}
	if t.sampler, err = dataset.NewSampler(cfg.Sampler, t.train.Labels(), cfg.Seed); err != nil {
		return err
	}
	if valAsTrain != nil {
		if err := t.openValTrain(valAsTrain); err != nil {
			return err
		}
	}
	t.aug = dataset.DefaultAugment(cfg.W, cfg.H)
	if cfg.NoAugment {
		t.aug.Flip, t.aug.Jitter, t.aug.Rotate = false, 0, 0
	} else if t.aug, err = t.aug.WithRecipe(cfg.Augmentation); err != nil {
		return fmt.Errorf("--%w", err)
	}
	t.aug.CropW, t.aug.CropH = cfg.CropW, cfg.CropH
	t.warnCropTooLarge(cfg.CropW, cfg.CropH)
	t.aug.Erase = cfg.Erase
	if cfg.Std != ([3]float32{}) {
		t.aug.Mean, t.aug.Std = cfg.Mean, cfg.Std
	}
	cache := dataset.NewCache(0)
	t.trainL = dataset.NewLoader(t.train, dataset.LoaderConfig{Batch: cfg.Batch, Aug: t.aug, Seed: cfg.Seed, Train: !cfg.NoAugment, Workers: cfg.Workers}, cache, t.warn)
	t.valL = dataset.NewLoader(t.val, dataset.LoaderConfig{Batch: max(cfg.Batch, 64), Aug: t.aug, Workers: cfg.Workers}, nil, t.warn)
	t.rebuildValTrainLoader()
	t.loadPrepared(cfg.Prepared)
	return nil
}

// trainAgesAs labels the training images' ages with other thresholds
// (Config.TrainAgeBins), keeping the classes' names and meaning: a
// prediction of the oldest bin is still scored and written as the
// evaluation's oldest class.
func trainAgesAs(train *dataset.Set, bins string) error {
	if !train.Masked {
		return fmt.Errorf("--train-age-bins applies to the mask layout's ages; %s has none", train.Root)
	}
	b, err := dataset.ParseAgeBins(bins)
	if err != nil {
		return fmt.Errorf("--train-age-bins: %w", err)
	}
	classes, keep := train.Classes, train.Bins
	train.Relabel(b)
	train.Classes, train.Bins = classes, keep
	return nil
}

// asTraining labels and filters s as the training split is (a copy of
// it when it changes): its ages binned by Config.TrainAgeBins, the ages
// of Config.SkipTrainAges left out. say reports what was left out (the
// training split's; the validation images that --val-train trains on
// are counted with them by openValTrain).
func (t *Trainer) asTraining(s *dataset.Set, say bool) (*dataset.Set, error) {
	if t.cfg.TrainAgeBins != "" {
		if err := trainAgesAs(s, t.cfg.TrainAgeBins); err != nil {
			return nil, err
		}
	}
	if t.cfg.SkipTrainAges == "" {
		return s, nil
	}
	r, err := dataset.ParseAgeRanges(t.cfg.SkipTrainAges)
	if err != nil {
		return nil, fmt.Errorf("--skip-train-ages: %w", err)
	}
	kept, n, err := s.WithoutAges(r)
	if err != nil {
		return nil, fmt.Errorf("--skip-train-ages: %w", err)
	}
	if say {
		t.hub.Publish(Event{Kind: KindNotice, Time: time.Now(),
			Msg: fmt.Sprintf("%d training images of ages %s left out (--skip-train-ages); validation keeps every age", n, r)})
	}
	return kept, nil
}

// addPseudoLabels adds the eval images that file names to the training
// split, labelled as it says, those it gives at least minProb
// (Config.PseudoLabels, PseudoMinProb), and says how many.
func (t *Trainer) addPseudoLabels(file string, minProb float64) error {
	p, skips, err := dataset.ReadPseudoLabels(file)
	if err != nil {
		return fmt.Errorf("--pseudo-labels: %w", err)
	}
	t.warnSkips(skips)
	with, a, err := t.train.WithPseudoLabels(t.data.Test, p, minProb)
	if err != nil {
		return fmt.Errorf("--pseudo-labels: %w", err)
	}
	t.train = with
	msg := fmt.Sprintf("%d eval images join the training split, labelled by %s", a.Joined, file)
	if a.Unsure > 0 {
		msg += fmt.Sprintf("; %d below probability %g stay out", a.Unsure, minProb)
	}
	if a.Unknown > 0 {
		msg += fmt.Sprintf(" (%d of its ImageIDs are not among the eval images)", a.Unknown)
	}
	t.hub.Publish(Event{Kind: KindNotice, Time: time.Now(), Msg: msg})
	return nil
}

// warnSkips reports what the data's reader skipped: each of the first 20,
// then a count by kind.
func (t *Trainer) warnSkips(skips []dataset.Skip) {
	for i, s := range skips {
		if i == 20 {
			break
		}
		t.warn(s)
	}
	if len(skips) > 20 {
		var kinds []string
		for k, n := range dataset.CountSkips(skips) {
			if n > 0 {
				kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
			}
		}
		sort.Strings(kinds)
		t.warnf("%d inputs skipped in all (%s); 'maskdash stats' lists them", len(skips), strings.Join(kinds, ", "))
	}
}

// warn reports an input that was skipped; an image past the first
// imageWarnings is only counted (tellUnreadable says how many).
func (t *Trainer) warn(s dataset.Skip) {
	if s.Kind == dataset.SkipImage && t.unreadable.Add(1) > imageWarnings {
		return
	}
	// Loader goroutines call this: straight to the hub, not the sink.
	t.hub.Publish(Event{Kind: KindError, Run: t.id, Msg: fmt.Sprintf("skipped %s %s: %s", s.Kind, s.Path, s.Reason), Time: time.Now()})
}

// tellUnreadable says how many unreadable images were counted and not
// named since it last said so (warn names the first imageWarnings).
func (t *Trainer) tellUnreadable() {
	n := t.unreadable.Load()
	more := n - max(imageWarnings, t.told)
	if more <= 0 {
		return
	}
	t.told = n
	t.hub.Publish(Event{Kind: KindError, Run: t.id, Time: time.Now(), Msg: fmt.Sprintf(
		"%d more images could not be read (%d in all; the first %d are named above, 'maskdash stats --data %s' lists every one); each is left out of training and of the validation figures", more, n, imageWarnings, t.dataDir())})
}

// computeNorm sets the normalisation from up to 256 training images: the
// real per-channel mean and standard deviation.
func (t *Trainer) computeNorm() {
	var imgs []dataset.RGB
	step := max(t.train.Len()/256, 1)
	for i := 0; i < t.train.Len() && len(imgs) < 256; i += step {
		if im, ok := t.trainL.Prepared(i); ok {
			imgs = append(imgs, im)
		}
	}
	t.aug.Mean, t.aug.Std = dataset.MeanStd(imgs)
	t.rebuildLoaders()
}

func (t *Trainer) rebuildLoaders() {
	tc, vc := t.trainL.Config(), t.valL.Config()
	tc.Aug, vc.Aug = t.aug, t.aug
	t.trainL = dataset.NewLoader(t.train, tc, t.trainL.Cache(), t.warn)
	t.valL = dataset.NewLoader(t.val, vc, t.valL.Cache(), t.warn) // the mean and spread come after the cache
	t.rebuildValTrainLoader()
}

// ensureSynth makes the built-in synthetic set once.
func ensureSynth(ctx context.Context, dir string, profiles int, size string, say func(string)) error {
	marker := filepath.Join(dir, ".complete")
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	w, h, err := ParseSize(size)
	if err != nil {
		return err
	}
	say(fmt.Sprintf("drawing the built-in synthetic set (%d people, %dx%d) into %s", profiles, w, h, dir))
	if err := dataset.Synthesize(ctx, dataset.SynthConfig{Out: dir, Profiles: profiles, W: w, H: h, Eval: profiles * 7 / 3, Seed: 7}); err != nil {
		return err
	}
	return os.WriteFile(marker, []byte("ok\n"), 0o644)
}

// warnCropTooLarge says at start when --crop is wider or taller than the
// first training image: each image keeps a side the crop is longer than
// whole (Augment.crop), which --crop 400x400 on the competition's 384×512
// photos did without a word. Images of other sizes are cropped each as
// it allows; an image that cannot be read is left to the loader's warning.
func (t *Trainer) warnCropTooLarge(cropW, cropH int) {
	if (cropW == 0 && cropH == 0) || t.train.Len() == 0 {
		return
	}
	w, h, err := t.train.SourceSize(0)
	if err != nil || (cropW <= w && cropH <= h) {
		return
	}
	x0, y0, cw, ch := dataset.Augment{CropW: cropW, CropH: cropH}.CropRect(w, h)
	t.warnf("--crop %dx%d is larger than the images (the first is %dx%d): a side the crop is longer than stays whole, so it crops %dx%d at (%d, %d)",
		cropW, cropH, w, h, cw, ch, x0, y0)
}

// warnf publishes a warning of the run's start (headless prints it as
// "warning: …", the dashboard among its events).
func (t *Trainer) warnf(format string, args ...any) {
	t.hub.Publish(Event{Kind: KindError, Time: time.Now(), Msg: fmt.Sprintf(format, args...)})
}
