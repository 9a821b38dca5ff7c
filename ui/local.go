package ui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
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

// RunWatch shows the run in dir, which trains in another process or on
// another machine, from its folder: its log is followed every half second
// and, unless readOnly, the operator keys reach its trainer through its
// control/ folder, logged as who. It returns when the user quits.
func RunWatch(ctx context.Context, dir, who string, readOnly bool, cfg Config) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hub := training.FollowLog(ctx, dir, 500*time.Millisecond) // an unreadable log shows nothing; the header says so
	sub, snap := hub.Subscribe(0)
	defer sub.Cancel()
	r := lipgloss.NewRenderer(os.Stdout)
	if os.Getenv("NO_COLOR") != "" {
		r.SetColorProfile(termenv.Ascii)
	}
	o := Options{Sub: sub, Snapshot: snap, Who: who, Renderer: r, RunsDir: filepath.Dir(dir), Remote: true, Config: cfg,
		Images: thumb.Detect(os.Getenv), Ring: func(msg string) { _ = RingTerminal(os.Stdout, msg) }}
	if !readOnly {
		o.Ctrl = training.RemoteRun{Dir: dir}
	}
	_, err := tea.NewProgram(New(o), tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithContext(ctx), tea.WithFPS(15)).Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}
