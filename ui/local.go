package ui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/ui/thumb"
	"github.com/muesli/termenv"
)

// RunLocal trains with mgr in a goroutine and shows the dashboard in this
// terminal. q checkpoints and stops training first; the call returns once
// training has ended and the log is flushed.
func RunLocal(ctx context.Context, mgr *training.Manager, cfg Config) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub, snap := mgr.Hub().Subscribe(0)
	defer sub.Cancel()
	errc := make(chan error, 1)
	go func() { errc <- mgr.Run(ctx) }()
	r := lipgloss.NewRenderer(os.Stdout)
	if os.Getenv("NO_COLOR") != "" {
		r.SetColorProfile(termenv.Ascii)
	}
	ring := func(msg string) {
		_ = RingTerminal(os.Stdout, msg) // a terminal that cannot be written to has no one to tell
	}
	m := New(Options{Sub: sub, Snapshot: snap, Ctrl: mgr, Who: "local", Renderer: r, RunsDir: mgr.RunsDir(), Prepared: mgr.Prepared(), QuitStops: true, Ring: ring, Config: cfg,
		Images: thumb.Detect(os.Getenv)})
	_, perr := tea.NewProgram(m, tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithContext(ctx), tea.WithFPS(15)).Run()
	cancel() // training stops gracefully (checkpoint, flush) if it still runs
	err := <-errc
	if err == nil && perr != nil && ctx.Err() == nil {
		return perr
	}
	if err != nil && ctx.Err() != nil && err == context.Canceled {
		return nil
	}
	return err
}

// Watch is a dashboard of a run that trains in another process or on
// another machine, shown from its folder (RunWatch).
type Watch struct {
	Dir      string // the run's folder
	Who      string // the user the operator keys are logged as
	ReadOnly bool   // without the operator keys
	Config   Config
	// Prepared is where the runs view's vote (E) reads and keeps the
	// prepared eval images, as in a local dashboard (zero: it decodes them).
	Prepared dataset.PreparedStore
}

// options are the dashboard's options for w, reading from sub and snap.
func (w Watch) options(sub *training.Sub, snap []training.Event) Options {
	o := Options{Sub: sub, Snapshot: snap, Who: w.Who, RunsDir: filepath.Dir(w.Dir), Prepared: w.Prepared, Remote: true, Config: w.Config,
		Images: thumb.Detect(os.Getenv), Ring: func(msg string) { _ = RingTerminal(os.Stdout, msg) }}
	if !w.ReadOnly {
		o.Ctrl = training.RemoteRun{Dir: w.Dir}
	}
	return o
}

// RunWatch shows w's run: its log is followed every half second and,
// unless w.ReadOnly, the operator keys reach its trainer through its
// control/ folder, logged as w.Who. It returns when the user quits.
func RunWatch(ctx context.Context, w Watch) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hub := training.FollowLog(ctx, w.Dir, 500*time.Millisecond) // an unreadable log shows nothing; the header says so
	sub, snap := hub.Subscribe(0)
	defer sub.Cancel()
	o := w.options(sub, snap)
	o.Renderer = lipgloss.NewRenderer(os.Stdout)
	if os.Getenv("NO_COLOR") != "" {
		o.Renderer.SetColorProfile(termenv.Ascii)
	}
	_, err := tea.NewProgram(New(o), tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithContext(ctx), tea.WithFPS(15)).Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}
