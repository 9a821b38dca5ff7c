package training

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
)

// launch is what a run starts from, worked out before any data is read:
// the run's whole config, the checkpoint it loads, and how its folder is
// opened. A new run, a resumed one and a child run differ only here.
type launch struct {
	cfg  Config
	ckpt string   // weights to load; "" for fresh ones
	meta CkptMeta // the checkpoint's JSON
	// resume: cfg.Resume names an existing run to continue; with a
	// checkpoint the position in training is restored too, without one
	// (a run killed before its first) it starts over under the same id.
	resume bool
	// parent: ckpt is the parent's (a child run, or a child resumed
	// before its own first checkpoint), not the run's own.
	parent bool
	// check: only say whether the run could start (CheckStart): its net
	// on the CPU at batch 1, no GPU asked, no statistics of the images.
	check bool
	// checks: the checks of a sweep's trials (StartChecks), which open
	// each data folder once; nil opens it.
	checks *StartChecks
}

// CheckStart says what a run of cfg would refuse as it starts, before it
// writes anything: its settings, its data (opened, its labels read; the
// built-in set drawn if it is not yet), a child run's parent and what it
// takes from the parent's weights (a frozen layer that would start
// fresh, --freeze-epochs with nothing fresh, another model). A sweep asks
// it of each trial before any starts, as a trial's failure at its start
// would be every trial's. It builds the model on the CPU at batch 1 and
// asks no GPU, so what only a GPU refuses is not in it.
func CheckStart(ctx context.Context, cfg Config) error {
	return new(StartChecks).Check(ctx, cfg)
}

// StartChecks checks the starts of many runs, as CheckStart does, reading
// each data folder once: a sweep's trials all train on one or two (0.04
// s a check on 18,900 images, of 0.05). The zero value is ready to use.
type StartChecks struct {
	mu     sync.Mutex
	opened map[openedKey]*dataset.Data
}

// openedKey is a data folder opened one way.
type openedKey struct {
	dir  string
	opts dataset.Options
}

// Check is CheckStart with the data folders opened before.
func (s *StartChecks) Check(ctx context.Context, cfg Config) error {
	l, err := plan(cfg)
	if err != nil {
		return err
	}
	l.check, l.checks = true, s
	t, err := newTrainer(ctx, l, NewHub())
	if err != nil {
		return err
	}
	return t.net.Close()
}

// open is dataset.Open, once for each folder and options. A check reads
// the sets it gets, never changes them (a run's splits are Subsets,
// copies).
func (s *StartChecks) open(dir string, o dataset.Options) (*dataset.Data, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := openedKey{dir, o}
	if d, ok := s.opened[k]; ok {
		return d, nil
	}
	d, err := dataset.Open(dir, o)
	if err != nil {
		return nil, err
	}
	if s.opened == nil {
		s.opened = map[openedKey]*dataset.Data{}
	}
	s.opened[k] = d
	return d, nil
}

// plan works out the launch of cfg: for a resume, the run's own settings
// (with --epochs and the runtime knobs of cfg); for a child run, the
// parent's checkpoint.
func plan(cfg Config) (launch, error) {
	if err := cfg.Check(); err != nil {
		return launch{}, err
	}
	if cfg.Runs == "" {
		cfg.Runs = runs.DefaultDir
	}
	store := runs.NewStore(cfg.Runs)
	if cfg.Resume != "" {
		info, err := store.Info(cfg.Resume)
		if err != nil {
			return launch{}, err
		}
		if info.Status == runs.StatusRunning {
			return launch{}, fmt.Errorf("run %s: %w", info.ID, runs.ErrLocked)
		}
		own, err := ConfigFromMap(info.Config)
		if err != nil {
			return launch{}, fmt.Errorf("run %s: %w", info.ID, err)
		}
		own.Runs, own.Resume = cfg.Runs, info.ID
		own.StepEvery, own.StallRetry, own.Workers = cfg.StepEvery, cfg.StallRetry, cfg.Workers
		own.Gate, own.ControlPoll = cfg.Gate, cfg.ControlPoll
		own.SynthProfiles, own.SynthSize = cfg.SynthProfiles, cfg.SynthSize
		if cfg.Epochs > 0 {
			own.Epochs = cfg.Epochs
		}
		if cfg.Data != "" {
			own.Data = cfg.Data // resume --data: where the run's data is now
		} else if own.Data != "" && !dirExists(own.Data) {
			return launch{}, fmt.Errorf("run %s trained on the data folder %s, which is not there now (moved, or a path relative to another folder than this one): resume it with --data DIR where that data is now", info.ID, own.Data)
		}
		own.Defaults()
		own.Data = absPath(own.Data)
		l := launch{cfg: own, resume: true}
		if p, err := CheckpointPath(info.Dir, "latest"); err == nil {
			if l.meta, err = ReadCkptMeta(p); err != nil {
				return launch{}, err
			}
			l.ckpt = p
			return l, nil
		}
		return l.withParent(store)
	}
	cfg.Defaults()
	cfg.Data = absPath(cfg.Data) // run.json's data folder serves eval, predict and resume from any folder
	cfg.Pretrained = absPath(cfg.Pretrained)
	return launch{cfg: cfg}.withParent(store)
}

// withParent loads the parent's checkpoint of a child run (train --from).
func (l launch) withParent(store *runs.Store) (launch, error) {
	if l.cfg.From == "" && l.cfg.Pretrained != "" {
		return l, nil // the file's tensors play the parent's part (Trainer.startFromPretrained)
	}
	if l.cfg.From == "" {
		if l.cfg.FreezeEpochs > 0 {
			return launch{}, fmt.Errorf("--freeze-epochs %d keeps the tensors a child run takes from its parent fixed, and this run has no parent: give --from RUN", l.cfg.FreezeEpochs)
		}
		if noneEmpty(l.cfg.FreezeLayers) != "" {
			return launch{}, fmt.Errorf("--freeze-layers %s keeps layers at their parent's values, and this run has no parent (they would stay at their random start): give --from RUN", l.cfg.FreezeLayers)
		}
		if l.cfg.FreshHead {
			return launch{}, fmt.Errorf("--fresh-head starts a child run's output layer fresh, and this run has no parent (every layer of it starts fresh): give --from RUN")
		}
		if l.cfg.FromLRScale > 0 && l.cfg.FromLRScale != 1 {
			return launch{}, fmt.Errorf("--from-lr-scale %g is the rate of the tensors a child run takes from its parent, and this run has no parent: give --from RUN, or a lower --lr", l.cfg.FromLRScale)
		}
		return l, nil
	}
	ref := l.cfg.From
	if l.cfg.FromDir != "" {
		ref = l.cfg.FromDir // the folder it was found in: from another runs folder too
	}
	info, err := store.Info(ref)
	if err != nil {
		return launch{}, err
	}
	p, err := CheckpointPath(info.Dir, l.cfg.FromCkpt)
	if err != nil {
		return launch{}, fmt.Errorf("start from %s: %w", info.ID, err)
	}
	if l.meta, err = ReadCkptMeta(p); err != nil {
		return launch{}, err
	}
	l.cfg.From, l.ckpt, l.parent = info.ID, p, true
	if l.cfg.FromDir, err = filepath.Abs(info.Dir); err != nil {
		return launch{}, err
	}
	return l, nil
}

// open creates the run's folder (or reopens the resumed one, dropping
// from its log what is about to be redone) and binds the trainer to it.
func (l launch) open(t *Trainer, hub *Hub) (*runSink, error) {
	store := runs.NewStore(l.cfg.Runs)
	var run *runs.Run
	var err error
	if l.resume {
		if run, err = store.OpenForWrite(l.cfg.Resume); err != nil {
			return nil, err
		}
		epoch, step := 0, 0
		if l.ckpt != "" && !l.parent {
			epoch, step = l.meta.Epoch, l.meta.Step
		}
		// Forget what was logged after the checkpoint: it is about to be
		// done again, and the log must not hold a step or an epoch twice.
		if err := run.RewindTo(step); err != nil {
			return nil, errors.Join(err, run.Close(runs.StatusFailed, err))
		}
		run.Info.Epochs = l.cfg.Epochs // resume --epochs N plans N in all: run.json's "done 2/3" said 3 after a resume to 2
		undone, err := rewindInfo(run, epoch, step, l.meta)
		if err != nil {
			return nil, errors.Join(err, run.Close(runs.StatusFailed, err))
		}
		if len(undone) > 0 {
			t.startNotices = append(t.startNotices, undoneNotice(step, undone))
		}
	} else {
		cm, err := l.cfg.AsMap()
		if err != nil {
			return nil, err
		}
		info := runs.Info{ID: l.cfg.RunID, Name: l.cfg.Name, Task: l.cfg.Task, Parent: l.cfg.From, Model: l.cfg.Model, Loss: l.cfg.Loss, Optim: t.opt.Name(),
			LR: l.cfg.LR, Epochs: l.cfg.Epochs, Config: cm, DataDir: t.dataDir()}
		if run, err = store.Create(info); err != nil {
			return nil, err
		}
		if l.cfg.Note != "" {
			if err := runs.WriteNote(run.Dir, l.cfg.Note); err != nil {
				return nil, errors.Join(err, run.Close(runs.StatusFailed, err))
			}
		}
	}
	if run.Info.DataDir == "" || l.resume && !samePath(run.Info.DataDir, t.dataDir()) {
		// runs from before data_dir was recorded, and a resume --data
		// of a run whose data moved: eval and predict look there now
		run.Info.DataDir = t.dataDir()
		if l.cfg.Data != "" && run.Info.Config != nil {
			run.Info.Config["data"] = l.cfg.Data
		}
		if err := run.SaveInfo(); err != nil {
			return nil, errors.Join(err, run.Close(runs.StatusFailed, err))
		}
	}
	sink := &runSink{hub: hub, run: run}
	t.bind(run.ID(), run.Dir, sink)
	return sink, nil
}

// start prepares, builds and opens one run.
func start(ctx context.Context, cfg Config, hub *Hub) (*Trainer, *runSink, error) {
	l, err := plan(cfg)
	if err != nil {
		return nil, nil, err
	}
	if l.cfg.LRFind && !l.resume {
		if l.cfg, err = findStartLR(ctx, l.cfg, hub); err != nil {
			return nil, nil, err
		}
	}
	t, err := newTrainer(ctx, l, hub)
	if err != nil {
		return nil, nil, err
	}
	sink, err := l.open(t, hub)
	if err != nil {
		return nil, nil, errors.Join(err, t.net.Close())
	}
	return t, sink, nil
}

// findStartLR runs the range test (FindLR) for a run started with
// --lr-find, from the weights the run starts from, and returns cfg with
// its suggested rate. Its steps show as the run's starting state; its
// result and warnings as notices.
func findStartLR(ctx context.Context, cfg Config, hub *Hub) (Config, error) {
	probe := cfg
	probe.LRFind = false
	f, err := FindLR(ctx, probe, DefaultLRRange(), func(step, steps int) {
		if step%10 == 0 {
			hub.Publish(Event{Kind: KindState, State: StateStarting, Time: time.Now(),
				Msg: fmt.Sprintf("finding a learning rate (range test, --lr-find): step %d of %d", step, steps)})
		}
	})
	for _, w := range f.Warnings {
		hub.Publish(Event{Kind: KindNotice, Time: time.Now(), Msg: "range test: " + w})
	}
	if err != nil {
		return cfg, fmt.Errorf("--lr-find: %w", err)
	}
	if f.Suggested <= 0 {
		return cfg, errors.New("--lr-find: the range test found no rate (the loss was not finite from its first step)")
	}
	// Two significant digits: the test's grid is no finer, and the rate
	// reads as typed everywhere it shows (0.0028, not 0.0028480358684357995).
	cfg.LR, _ = strconv.ParseFloat(strconv.FormatFloat(f.Suggested, 'g', 2, 64), 64)
	hub.Publish(Event{Kind: KindNotice, Time: time.Now(), Msg: fmt.Sprintf("--lr-find: training at lr %g, where the range test's loss fell fastest", cfg.LR)})
	return cfg, nil
}
