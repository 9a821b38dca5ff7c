package training

import (
	"context"
	"errors"
	"sync"
)

// ErrNoTrainer is returned by Send before training has started.
var ErrNoTrainer = errors.New("training has not started yet")

// Manager runs one trainer after another on the same hub: when a run ends
// with a fork request ("new run from here with this loss and rate"), it
// starts the child run from the parent's latest checkpoint. It is the
// controller a dashboard talks to.
type Manager struct {
	hub *Hub
	cfg Config
	mu  sync.Mutex
	cur *Trainer
}

// NewManager returns a manager that will train cfg.
func NewManager(cfg Config, hub *Hub) *Manager { return &Manager{hub: hub, cfg: cfg} }

// Hub returns the event hub.
func (m *Manager) Hub() *Hub { return m.hub }

// Run trains until the last run ends; it closes the hub when done.
func (m *Manager) Run(ctx context.Context) error {
	defer m.hub.Close()
	cfg := m.cfg
	for {
		t, err := New(ctx, cfg, m.hub)
		if err != nil {
			m.hub.Publish(Event{Kind: KindError, Msg: err.Error(), Setting: FatalSetting})
			return err
		}
		m.mu.Lock()
		m.cur = t
		m.mu.Unlock()
		err = t.Run(ctx)
		f := t.Forked()
		if err != nil || f == nil || ctx.Err() != nil {
			return err
		}
		parent := t.cfg
		cfg = parent
		cfg.Resume, cfg.From, cfg.FromCkpt, cfg.Name = "", t.RunID(), "latest", ""
		if f.Text != "" {
			cfg.Loss = f.Text
		}
		if f.Value > 0 {
			cfg.LR = f.Value
		}
	}
}

// Send passes a command to the current trainer.
func (m *Manager) Send(c Command) error {
	m.mu.Lock()
	t := m.cur
	m.mu.Unlock()
	if t == nil {
		return ErrNoTrainer
	}
	return t.Send(c)
}

// Current returns the current run's header and folder ("" before start).
func (m *Manager) Current() (RunHeader, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur == nil {
		return RunHeader{}, ""
	}
	return m.cur.Header(), m.cur.RunDir()
}

// RunsDir is the runs folder.
func (m *Manager) RunsDir() string {
	c := m.cfg
	c.Defaults()
	return c.Runs
}
