package ui

import (
	"context"
	"path/filepath"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
)

// watched is a run on screen that is not the dashboard's own: its events
// come from its folder's log (training.TailLog) and its operator keys go
// to its control/ folder (training.RemoteRun), so the run may train in
// any process on any machine that shares the folder.
type watched struct {
	dir    string
	sub    *training.Sub
	ctrl   Controller // nil for viewers
	cancel context.CancelFunc
	closed bool
}

// watchMsg asks to watch the run in dir ("" or the own run: go home).
type watchMsg struct{ dir string }

// watchStartedMsg carries a started tail.
type watchStartedMsg struct {
	w    *watched
	snap []training.Event
}

// ctrl is the controller of the run on screen.
func (m Model) ctrl() Controller {
	if m.away != nil {
		return m.away.ctrl
	}
	return m.opts.Ctrl
}

// remote reports whether the run on screen trains in another process
// (watched from its folder: w in the runs view, or maskdash watch).
func (m Model) remote() bool { return m.away != nil || m.opts.Remote }

// runDir is the folder of the run on screen ("" when unknown).
func (m Model) runDir() string {
	if m.away != nil {
		return m.away.dir
	}
	if m.opts.RunsDir == "" || m.state.Header.ID == "" {
		return ""
	}
	return filepath.Join(m.opts.RunsDir, m.state.Header.ID)
}

// ownDir is the folder of the dashboard's own run.
func (m Model) ownDir() string {
	st := m.state
	if m.away != nil {
		st = m.home
	}
	if m.opts.RunsDir == "" || st.Header.ID == "" {
		return ""
	}
	return filepath.Join(m.opts.RunsDir, st.Header.ID)
}

// startWatch switches the screen to another run, or back home.
func (m Model) startWatch(msg watchMsg) (tea.Model, tea.Cmd) {
	if m.away != nil {
		m.away.cancel()
		m.state, m.away = m.home, nil
	}
	if msg.dir == "" || filepath.Clean(msg.dir) == filepath.Clean(m.ownDir()) {
		m.view, m.errs.open, m.picking = viewOverview, false, false
		m.flash, m.flashBad = "back to this dashboard's own run", false
		return m, nil
	}
	viewer := m.opts.Ctrl == nil
	return m, func() tea.Msg {
		ctx, cancel := context.WithCancel(context.Background())
		hub := training.FollowLog(ctx, msg.dir, 500*time.Millisecond) // a log that cannot be read shows nothing
		sub, snap := hub.Subscribe(1024)
		w := &watched{dir: msg.dir, sub: sub, cancel: func() { cancel(); sub.Cancel() }}
		if !viewer {
			w.ctrl = training.RemoteRun{Dir: msg.dir}
		}
		return watchStartedMsg{w: w, snap: snap}
	}
}

// awayEvents folds a watched run's events.
func (m Model) awayEvents(msg eventsMsg) (tea.Model, tea.Cmd) {
	for _, e := range msg.events {
		m.state.Apply(e)
		if e.Kind == training.KindControl && e.Who == m.opts.Who && e.Setting != "" {
			m.flash, m.flashBad = "the run carried out: "+string(e.Setting)+" "+e.Value, false
		}
	}
	m.state.Dropped += msg.dropped
	if msg.closed {
		m.away.closed = true
		return m, nil
	}
	return m, m.waitEvents(msg.sub, msg.at)
}

// watchStarted puts the watched run on screen.
func (m Model) watchStarted(msg watchStartedMsg) (tea.Model, tea.Cmd) {
	if m.away != nil {
		m.away.cancel()
	} else {
		m.home = m.state
	}
	m.away = msg.w
	m.state = RunState{}
	for _, e := range msg.snap {
		m.state.Apply(e)
	}
	m.view, m.errs.open, m.picking, m.confEpoch = viewOverview, false, false, -1
	m.flash, m.flashBad = "watching "+filepath.Base(msg.w.dir)+" from its folder (runs view, w: back)", false
	return m, m.waitEvents(msg.w.sub, time.Time{})
}

// WatchDir is the run folder of a runs-view row.
func watchDir(runsDir string, l runs.Listed) string {
	if l.Info.Dir != "" {
		return l.Info.Dir
	}
	return filepath.Join(runsDir, l.Info.ID)
}
