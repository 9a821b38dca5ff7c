package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/spf13/pflag"
)

// perRunFlags are a child run's own whatever its parent had: where runs
// go, its name, note and id, which checkpoint of the parent it starts
// from, whether it looks for a rate first, and how many of its own last
// epochs train on the validation images (--val-train counts the run's
// epochs; a child of weights that did so holds nothing out anyway), how
// long and how fast the tensors from its own parent train, and the
// pretrained file its parent started from (it starts from its parent).
var perRunFlags = map[string]bool{"runs": true, "name": true, "note": true, "run-id": true, "from": true, "from-ckpt": true, "lr-find": true, "val-train": true, "freeze-epochs": true, "from-lr-scale": true, "pretrained": true}

// dependents are inherited settings that only make sense with a setting
// the command line changed: given --schedule cosine, a parent's --lr-step
// (the step schedule's), --lr-patience and --lr-gamma (the plateau's) are
// dropped, given --no-augment its --erase and --augmentation, given
// --augmentation its --no-augment, given --ema its --ema-every, given
// --data its --format (detected again) and the label files that name its
// images, unless the command line gives them too. Each goes back to its
// flag's default.
var dependents = map[string][]string{"schedule": slices.Sorted(maps.Keys(scheduleSettings)), "no-augment": {"erase", "augmentation"}, "augmentation": {"no-augment"}, "ema": {"ema-every"},
	"data": {"format", "fix-labels", "pseudo-labels"}}

// inheritParent finishes the Config of a child run (train --from RUN):
// every setting its command line does not give is its parent's, from the
// parent's run.json (its data, model, size, split, seed, tricks…), with
// the loss and learning rate the parent ended with (changes made while it
// trained included), as the dashboard's n starts a child. So
// `train --from RUN --lr 1e-4` goes on with RUN's model on RUN's data at a
// lower rate, where it used to take every other flag's default (cnn-s at
// 64×64 on the synthetic set) and stop at the checkpoint that did not fit.
// The flags that name the run itself (perRunFlags) are never inherited.
func inheritParent(fs *pflag.FlagSet, c *training.Config) error {
	runsDir := c.Runs
	if runsDir == "" {
		runsDir = runs.DefaultDir
	}
	info, err := runs.NewStore(runsDir).Info(c.From)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	parent, err := training.ConfigFromMap(info.Config)
	if err != nil {
		return fmt.Errorf("--from %s: its run.json: %w", info.ID, err)
	}
	parent.Loss, parent.LR = training.FinalSettings(info)
	// A second flag set over the parent's settings: the flags given on
	// this command line are set on it as they were given, so each is
	// parsed and checked as usual.
	var merged training.Config
	pfs := pflag.NewFlagSet("parent", pflag.ContinueOnError)
	complete := trainFlags(pfs, &merged)
	merged = parent
	merged.From, merged.FromDir = "", "" // the parent's own parent is not this run's
	if parent.W > 0 && parent.H > 0 {
		if err := pfs.Set("img", fmt.Sprintf("%dx%d", parent.W, parent.H)); err != nil {
			return fmt.Errorf("--from %s: its img: %w", info.ID, err)
		}
	}
	if parent.CropW > 0 && parent.CropH > 0 {
		if err := pfs.Set("crop", fmt.Sprintf("%dx%d", parent.CropW, parent.CropH)); err != nil {
			return fmt.Errorf("--from %s: its crop: %w", info.ID, err)
		}
	}
	fs.Visit(func(f *pflag.Flag) {
		for _, d := range dependents[f.Name] {
			if err == nil && !fs.Changed(d) {
				err = pfs.Set(d, pfs.Lookup(d).DefValue)
			}
		}
		// A command's own flags (--headless, --notify-cmd) are not train's.
		if err == nil && !perRunFlags[f.Name] && pfs.Lookup(f.Name) != nil {
			err = pfs.Set(f.Name, f.Value.String())
		}
	})
	if err != nil {
		return err
	}
	merged.Runs, merged.Name, merged.Note, merged.RunID, merged.FromCkpt, merged.LRFind = c.Runs, c.Name, c.Note, c.RunID, c.FromCkpt, c.LRFind
	merged.ValTrain, merged.FreezeEpochs, merged.FromLRScale, merged.FreshHead, merged.FreezeLayers = c.ValTrain, c.FreezeEpochs, c.FromLRScale, c.FreshHead, c.FreezeLayers
	if err := complete(); err != nil {
		return err
	}
	merged.From = info.ID
	if merged.FromDir, err = filepath.Abs(info.Dir); err != nil {
		return err
	}
	if !fs.Changed("data") && merged.Data != "" {
		if st, err := os.Stat(merged.Data); err != nil || !st.IsDir() {
			return fmt.Errorf("--from %s: its data folder %s is not there now (moved, or a path relative to another folder than this one): give --data DIR", info.ID, merged.Data)
		}
	}
	*c = merged
	return nil
}
