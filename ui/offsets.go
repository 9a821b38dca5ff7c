package ui

import (
	"context"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
)

// offsetsPane is the confusion view's class offsets (C): fitted for
// macro F1 on the validation predictions of the run's best checkpoint
// (maskdash calibrate's fit, in a command), then that epoch's matrix is
// shown with them until C again. The dashboard keeps them in the run's
// folder, as calibrate does, when held-out halves say they help and it
// may write there (not a viewer's).
type offsetsPane struct {
	busy  bool
	shown bool
	fit   *offsetsFittedMsg
}

// offsetsFittedMsg is a fit's result.
type offsetsFittedMsg struct {
	run    string // the run's folder
	epoch  int
	cal    training.ClassCalibration
	before *training.Confusion
	after  *training.Confusion
	saved  bool
	err    error
}

// calibrateBest fits the class offsets of the best checkpoint of the run
// in dir, and keeps them there when they are worth it and save is set.
func calibrateBest(ctx context.Context, dir string, save bool) tea.Cmd {
	return func() tea.Msg {
		cal, err := training.CalibrateRun(ctx, dir, "best", false)
		if err != nil {
			return offsetsFittedMsg{run: dir, err: err}
		}
		msg := offsetsFittedMsg{run: dir, epoch: cal.Record.Epoch, cal: cal.ClassCalibration}
		msg.before, msg.after = cal.Confusions()
		if save {
			msg.saved, msg.err = cal.Keep(dir)
		}
		return msg
	}
}

// toggleOffsets answers C: hide the offsets, or fit them.
func (m Model) toggleOffsets() (tea.Model, tea.Cmd) {
	switch {
	case m.offsets.shown:
		m.offsets.shown = false
		return m, nil
	case m.offsets.busy:
		m.flash, m.flashBad = "class offsets: still fitting", false
		return m, nil
	}
	dir := m.runDir()
	if dir == "" {
		m.flash, m.flashBad = "class offsets: this dashboard does not know the run's folder", true
		return m, nil
	}
	m.offsets.busy = true
	m.flash, m.flashBad = "class offsets: fitting on the best checkpoint's validation predictions…", false
	return m, calibrateBest(m.runs.ctx, dir, m.ctrl() != nil) // the session's lifetime
}

// offsetsFitted shows a fit: the best epoch's matrix with the offsets,
// and in the flash line what became of them.
func (m Model) offsetsFitted(msg offsetsFittedMsg) Model {
	m.offsets.busy = false
	if msg.err != nil {
		m.flash, m.flashBad = "class offsets: "+msg.err.Error(), true
		return m
	}
	if msg.run != m.runDir() {
		return m // another run is on screen now
	}
	m.offsets.fit, m.offsets.shown = &msg, true
	for i, e := range m.state.EpochN {
		if e == msg.epoch {
			m.confEpoch = i
		}
	}
	if n := len(m.state.EpochN); n > 0 && m.confEpoch == n-1 {
		m.confEpoch = -1 // the newest: follow it
	}
	h := msg.cal.HeldOut
	gain := fmt.Sprintf("%+.4f on held-out halves (%d of %d gained)", h.Gain, h.Improved, h.Halves)
	switch {
	case msg.saved:
		m.flash, m.flashBad = fmt.Sprintf("class offsets: %s; kept for predict --offsets (%s)", gain, runs.OffsetsFile), false
	case msg.cal.Worth():
		m.flash, m.flashBad = "class offsets: "+gain+"; not kept: a viewer's dashboard writes nothing ('maskdash calibrate' keeps them)", false
	default:
		m.flash, m.flashBad = "class offsets: "+gain+"; not kept: they did not raise macro F1 on two held-out halves in three", true
	}
	return m
}

// offsetConfusion is the matrix to show for the epoch at index idx with
// the offsets on, and the title's parts for it, most needed first; nil
// when they are off or fitted for another epoch or run.
func (m Model) offsetConfusion(idx int) (*training.Confusion, []string) {
	f := m.offsets.fit
	if !m.offsets.shown || f == nil || f.run != m.runDir() || idx >= len(m.state.EpochN) || m.state.EpochN[idx] != f.epoch {
		return nil, nil
	}
	n := len(m.state.EpochN)
	return f.after, []string{
		fmt.Sprintf("confusion, epoch %d of %d, with class offsets (C: without)", f.epoch, m.state.EpochN[n-1]),
		fmt.Sprintf("macro F1 %.4f → %.4f where fitted", f.before.MacroF1(), f.after.MacroF1()),
		fmt.Sprintf("%+.4f on held-out halves", f.cal.HeldOut.Gain),
		"e: cell images (without offsets)",
	}
}
