package training

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/maskdash/maskdash/dataset"
)

// Manager runs one trainer after another on the same hub: when a run ends
// with a fork request ("new run from here with this loss and rate"), it
// starts the child run from the parent's latest checkpoint. It is the
// controller a dashboard talks to, and it prepares each run's folder (new,
// resumed or child) so the trainer only trains.
//
// With Linger set, a run that has ended is kept: predictions can still be
// made from its weights and a child run started from it, until ctx ends.
// A dashboard lingers; a headless run does not.
type Manager struct {
	hub    *Hub
	cfg    Config
	linger bool

	mu       sync.Mutex
	cur      *Trainer     // the running trainer; nil between runs
	ended    *Trainer     // the run that ended last (while lingering)
	idle     chan Command // commands for the ended run, carried out by Run's goroutine
	starting bool         // a run (the first, or a child) is being prepared: commands wait for it
	early    []Command    // the commands that arrived while it was
}

// maxEarly bounds the commands kept for a run that is starting.
const maxEarly = 32

// NewManager returns a manager that will train cfg.
func NewManager(cfg Config, hub *Hub) *Manager {
	// Commands sent before Run wait for the first run, as they do for
	// every run while it is being prepared.
	return &Manager{hub: hub, cfg: cfg, idle: make(chan Command, 8), starting: true}
}

// Linger keeps an ended run for predictions and child runs until Run's ctx
// ends (see Manager).
func (m *Manager) Linger() *Manager { m.linger = true; return m }

// Hub returns the event hub.
func (m *Manager) Hub() *Hub { return m.hub }

// Run trains until the last run ends (or, lingering, until ctx ends) and
// returns the error of the last run; it closes the hub when done.
func (m *Manager) Run(ctx context.Context) error {
	defer m.hub.Close()
	cfg := m.cfg
	for {
		t, sink, err := start(ctx, cfg, m.hub)
		if err != nil {
			m.setStarting(false)
			m.hub.Publish(Event{Kind: KindError, Msg: err.Error(), Setting: SettingFatal, Time: time.Now()})
			return err
		}
		m.mu.Lock()
		m.cur, m.ended, m.starting = t, nil, false
		early := m.early
		m.early = nil
		m.mu.Unlock()
		// Commands sent while the run was being prepared (a q pressed as a
		// child run started) go to it now, in order.
		for _, c := range early {
			if serr := t.Send(c); serr != nil {
				m.hub.Publish(Event{Kind: KindError, Run: t.RunID(), Who: c.Who, Msg: fmt.Sprintf("%s: %v", c.Kind, serr), Time: time.Now()})
			}
		}
		err = t.Run(ctx)
		m.mu.Lock()
		// A fork's child starts next: from here the commands wait for it
		// (a stop that came with the fork stops the child, not nothing).
		m.cur, m.ended, m.starting = nil, t, t.Forked() != nil
		m.mu.Unlock()
		// Commands that arrived as the run ended get the answers of an
		// ended run.
		for _, c := range t.pending() {
			if serr := m.Send(c); serr != nil {
				m.hub.Publish(Event{Kind: KindError, Run: t.RunID(), Who: c.Who, Msg: fmt.Sprintf("%s: %v", c.Kind, serr), Time: time.Now()})
			}
		}
		t.release()
		if t.Forked() == nil {
			// A write error here is kept by the sink and reported by close.
			_ = sink.Record(Event{Kind: KindAlert, Alert: AlertFinished, Msg: finished(t, err)})
		}
		if cerr := sink.close(t.Status(), err); cerr != nil {
			err = errors.Join(err, fmt.Errorf("run %s: %w", t.RunID(), cerr))
		}
		if ctx.Err() != nil {
			m.setStarting(false)
			return err
		}
		f := t.Forked()
		if f == nil && m.linger {
			if f = m.wait(ctx, t); f != nil {
				m.setStarting(true)
			}
		}
		if f == nil {
			return err
		}
		if cfg, err = forkConfig(t, f.Fork); err != nil {
			// Checked when asked for (the run went on then): not expected.
			m.setStarting(false)
			return fmt.Errorf("new run from %s: %w", t.RunID(), err)
		}
	}
}

// setStarting marks whether a run is being prepared; when not, the
// commands kept for it are dropped (its start failed, or ctx ended).
func (m *Manager) setStarting(on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.starting = on
	if !on {
		m.early = nil
	}
}

// childOf is the config of a child run of t with f's loss, rate and
// task, and CutMix and Mixup as t mixes now (a change made while t
// trained goes on). forkConfig checks it.
func childOf(t *Trainer, f Fork) Config {
	cfg := t.cfg
	cfg.Resume, cfg.From, cfg.FromCkpt, cfg.Name, cfg.Note = "", t.RunID(), "latest", "", ""
	cfg.FromDir = t.RunDir()
	cfg.LRFind = false // a child run goes on at its parent's rate, or the one asked for
	// Its weights are all its parent's, nothing to train apart, unless it
	// has other classes (a fresh head).
	cfg.FreezeEpochs, cfg.FromLRScale, cfg.FreshHead, cfg.FreezeLayers = f.FreezeEpochs, f.FromLRScale, f.FreshHead, f.FreezeLayers
	if f.Task != "" {
		cfg.Task = noneEmpty(f.Task)
	}
	m := t.mixer
	cfg.CutMix, cfg.CutMixBox, cfg.Mixup, cfg.MixupAlpha = m.cutChance, "", m.mixupChance, 0
	if m.cutChance > 0 {
		cfg.CutMixBox = string(m.box)
	}
	if m.mixupChance > 0 {
		cfg.MixupAlpha = m.alpha
	}
	if f.Loss != "" {
		cfg.Loss = f.Loss
	}
	if f.LR > 0 {
		cfg.LR = f.LR
	}
	return cfg
}

// wait carries out commands for an ended run until one forks a child run
// (returned) or ctx ends (nil).
func (m *Manager) wait(ctx context.Context, t *Trainer) *Command {
	for {
		select {
		case <-ctx.Done():
			return nil
		case c := <-m.idle:
			switch c.Kind {
			case CmdFork:
				if t.LastCheckpoint() == "" {
					m.notice(t, c, "the run ended before its first checkpoint: there is nothing to start a child run from")
					continue
				}
				if _, err := forkConfig(t, c.Fork); err != nil {
					m.hub.Publish(Event{Kind: KindError, Run: t.RunID(), Who: c.Who, Msg: "new run: " + err.Error(), Time: time.Now()})
					continue
				}
				return &c
			case CmdPredict:
				path, figure, guesses, err := t.predictNow()
				if err != nil {
					m.hub.Publish(Event{Kind: KindError, Run: t.RunID(), Who: c.Who, Msg: "predict: " + err.Error(), Time: time.Now()})
					continue
				}
				// The run's folder is closed: the file is written, the
				// event goes to the screen only.
				m.hub.Publish(Event{Kind: KindPrediction, Run: t.RunID(), Who: c.Who, Path: path, Time: time.Now(),
					Epoch: t.epoch, Step: t.step, Msg: "prediction (with the finished run's weights) written to " + path + guessed(guesses) + recorded(figure) + ", class probabilities beside it (-probs.csv)"})
			default:
				// Send queues only predict and fork here.
			}
		}
	}
}

func (m *Manager) notice(t *Trainer, c Command, msg string) {
	m.hub.Publish(Event{Kind: KindNotice, Run: t.RunID(), Who: c.Who, Msg: msg, Time: time.Now()})
}

// Send passes a command to the current trainer; while a run (the first,
// or a child run) is being prepared, the command waits for it. Once the
// run has ended, predict and fork still work while lingering, checkpoint
// answers with the last checkpoint, stop does nothing, and the rest
// return ErrEnded.
func (m *Manager) Send(c Command) error {
	m.mu.Lock()
	cur, ended := m.cur, m.ended
	if cur == nil && m.starting {
		defer m.mu.Unlock()
		if len(m.early) >= maxEarly {
			return ErrBusy
		}
		m.early = append(m.early, c)
		return nil
	}
	m.mu.Unlock()
	switch {
	case cur != nil:
		return cur.Send(c)
	case ended == nil:
		return ErrNoTrainer
	}
	switch c.Kind {
	case CmdStop:
		return nil
	case CmdCheckpoint:
		msg := "the run has finished; its last checkpoint is " + ended.LastCheckpoint()
		if ended.LastCheckpoint() == "" {
			msg = "the run has finished without a checkpoint"
		}
		m.notice(ended, c, msg)
		return nil
	case CmdPredict, CmdFork:
		if !m.linger {
			return ErrEnded
		}
		select {
		case m.idle <- c:
			return nil
		default:
			return ErrBusy
		}
	default:
		return ErrEnded // pause, resume, learning rate, loss
	}
}

// Current returns the current (or last ended) run's header and folder (""
// before start).
func (m *Manager) Current() (RunHeader, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.cur
	if t == nil {
		t = m.ended
	}
	if t == nil {
		return RunHeader{}, ""
	}
	return t.Header(), t.RunDir()
}

// Prepared is the store of prepared images the manager's runs read and
// keep (Config.Prepared): the runs view's vote reads and keeps the eval
// images there too.
func (m *Manager) Prepared() dataset.PreparedStore { return PreparedStoreAt(m.cfg.Prepared) }

// RunsDir is the runs folder.
func (m *Manager) RunsDir() string {
	c := m.cfg
	c.Defaults()
	return c.Runs
}

// finished is the finished alert's message.
func finished(t *Trainer, err error) string {
	msg := fmt.Sprintf("run %s %s after %d of %d epochs; best macro F1 %.4f at epoch %d", t.RunID(), t.Status(), t.epoch, t.cfg.Epochs, t.bestF1, t.bestEpoch)
	if t.bestEpoch == 0 && !t.valTrained {
		msg = fmt.Sprintf("run %s %s after %d of %d epochs, before any was validated", t.RunID(), t.Status(), t.epoch, t.cfg.Epochs)
	}
	if t.valTrained && t.bestEpoch == 0 {
		msg = fmt.Sprintf("run %s %s after %d of %d epochs; every epoch validated on images its weights had trained on (--val-train), so none has best figures, and predictions use its latest epoch's checkpoint", t.RunID(), t.Status(), t.epoch, t.cfg.Epochs)
	} else if t.valTrained {
		// best.json names the model to use (valtrain.go): say which.
		if p, perr := CheckpointPath(t.dir, "best"); perr == nil {
			if m, merr := ReadCkptMeta(p); merr == nil && m.ValTrained {
				msg += fmt.Sprintf(" (held out); predictions use epoch %d's checkpoint, which trained on the validation images too (--val-train)", m.Epoch)
			}
		}
	}
	if err != nil {
		msg += ": " + err.Error()
	}
	return msg
}
