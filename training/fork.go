package training

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/maskdash/maskdash/dataset"
)

// Fork is what a child run started from a running (or just finished) one
// changes: the dashboard's n, CmdFork. A zero field keeps the parent's
// setting. With another Task the child has other classes: it takes the
// parent's trunk and starts a fresh head, as `train --from RUN --task T`
// does; FreshHead starts the output layer fresh for the same classes.
// FreezeEpochs and FromLRScale then say how the parent's tensors train
// (Config's fields of those names).
type Fork struct {
	Loss         string
	LR           float64
	Task         string // a task of the mask layout, or NoneSetting for its 18 classes
	FreshHead    bool
	FreezeEpochs int
	FromLRScale  float64
	FreezeLayers string // layers kept at the parent's values (Config.FreezeLayers)
}

// ForkWords are the optional words of ParseFork, for prompts and help.
const ForkWords = "task=mask|gender|age|none, fresh-head, freeze-epochs=N, from-lr-scale=F, freeze-layers=L1,L2"

// ParseFork reads "LOSS LR [task=T] [fresh-head] [freeze-epochs=N]
// [from-lr-scale=F] [freeze-layers=L1,L2]",
// the dashboard's n prompt: a loss spec and a learning rate, then any of
// the settings a child of other classes takes, as `train` spells them.
func ParseFork(s string) (Fork, error) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return Fork{}, fmt.Errorf("type a loss and a learning rate, such as: focal 0.0005 (then, for other classes: %s)", ForkWords)
	}
	if _, err := ParseLoss(f[0]); err != nil {
		return Fork{}, err
	}
	lr, err := strconv.ParseFloat(f[1], 64)
	if err != nil || !(lr > 0) {
		return Fork{}, fmt.Errorf("learning rate %q is not a positive number", f[1])
	}
	fk := Fork{Loss: f[0], LR: lr}
	for _, w := range f[2:] {
		if w == "fresh-head" {
			fk.FreshHead = true
			continue
		}
		k, v, ok := strings.Cut(w, "=")
		if !ok || v == "" {
			return Fork{}, fmt.Errorf("%q is not a setting: after the loss and the rate come %s", w, ForkWords)
		}
		switch k {
		case "task":
			if _, err := dataset.ParseTask(v); err != nil && v != NoneSetting {
				return Fork{}, err
			}
			fk.Task = v
		case "freeze-epochs":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return Fork{}, fmt.Errorf("freeze-epochs %q is not 0 or more epochs", v)
			}
			fk.FreezeEpochs = n
		case "freeze-layers":
			fk.FreezeLayers = v
		case "from-lr-scale":
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || !(x > 0 && x <= 1) {
				return Fork{}, fmt.Errorf("from-lr-scale %q is not a fraction of the rate above 0, up to 1", v)
			}
			fk.FromLRScale = x
		default:
			return Fork{}, fmt.Errorf("%q is not a setting a new run from here takes; it takes %s", k, ForkWords)
		}
	}
	return fk, nil
}

// String is the fork as ParseFork reads it (the control event's value).
func (f Fork) String() string {
	s := fmt.Sprintf("%s %g", f.Loss, f.LR)
	if f.Task != "" {
		s += " task=" + f.Task
	}
	if f.FreshHead {
		s += " fresh-head"
	}
	if f.FreezeEpochs > 0 {
		s += fmt.Sprintf(" freeze-epochs=%d", f.FreezeEpochs)
	}
	if f.FromLRScale > 0 {
		s += fmt.Sprintf(" from-lr-scale=%g", f.FromLRScale)
	}
	if f.FreezeLayers != "" {
		s += " freeze-layers=" + f.FreezeLayers
	}
	return strings.TrimSpace(s)
}

// forkConfig is the config of t's child run for f, or why t cannot have
// that child: the same checks a `train --from` of it would make at start,
// made before t stops, so that a refused fork leaves t training.
func forkConfig(t *Trainer, f Fork) (Config, error) {
	cfg := childOf(t, f)
	other := noneEmpty(cfg.Task) != noneEmpty(t.cfg.Task)
	if other && !t.train.Masked && t.train.Task == "" {
		return Config{}, fmt.Errorf("task=%s needs the mask layout's 18 classes; this run's data has %d classes of its own", f.Task, len(t.train.Classes))
	}
	if !other && !f.FreshHead && (f.FreezeEpochs > 0 || f.FromLRScale > 0) {
		return Config{}, fmt.Errorf("freeze-epochs and from-lr-scale are for a child with a fresh head, which trains beside this run's tensors: give a task=… other than this run's, or fresh-head, or drop them")
	}
	if err := cfg.Check(); err != nil {
		return Config{}, err
	}
	if held, err := frozenTensors(t.net, f.FreezeLayers); err != nil {
		return Config{}, err
	} else if other || f.FreshHead {
		for _, p := range t.net.Params() {
			if p.Output && slices.Contains(held, p.Name) {
				return Config{}, fmt.Errorf("freeze-layers=%s holds %s, and the new run's output layer starts fresh: it would stay at its random start", f.FreezeLayers, p.Name)
			}
		}
	}
	return cfg, nil
}
