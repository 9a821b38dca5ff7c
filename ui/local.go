package ui

import (
	"context"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/ui/thumb"
	"github.com/muesli/termenv"
)

// RunLocal trains with mgr in a goroutine and shows the dashboard in this
// terminal. q checkpoints and stops training first; the call returns once
// training has ended and the log is flushed.
func RunLocal(ctx context.Context, mgr *training.Manager) error {
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
	m := New(Options{Sub: sub, Snapshot: snap, Ctrl: mgr, Who: "local", Renderer: r, RunsDir: mgr.RunsDir(), QuitStops: true, Ring: ring,
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
