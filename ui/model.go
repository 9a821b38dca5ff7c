package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/ui/thumb"
)

// Controller steers the trainer; viewers have none.
type Controller interface {
	Send(training.Command) error
}

// Options configure a dashboard Model.
type Options struct {
	Sub      *training.Sub      // the event subscription (required)
	Snapshot []training.Event   // events published before subscribing
	Ctrl     Controller         // nil: read-only viewer
	Who      string             // who acts: "local" or an SSH key fingerprint
	Renderer *lipgloss.Renderer // the session's renderer
	RunsDir  string             // for the runs view
	// Prepared is where the runs view's vote (E) reads and keeps the
	// prepared eval images (dataset.PreparedStore; zero: it decodes them).
	Prepared dataset.PreparedStore
	// Context is the session's lifetime (an SSH session's): work the
	// dashboard started that outlives no one to see it (the runs view's
	// ensemble vote) stops with it. nil: the process's.
	Context   context.Context
	QuitStops bool          // q checkpoints and stops training (local terminal)
	MinFrame  time.Duration // least time between two event batches; default 150ms (under 10 redraws/s)
	// Ring, when set, is called (in a command) with each alert: it rings
	// the terminal's bell and raises a desktop notification (RingTerminal).
	Ring func(msg string)
	// FrameGap, when set, overrides MinFrame and is asked before each
	// batch: the SSH server stretches it when many sessions watch, so that
	// their redraws together stay a small share of the CPU.
	FrameGap func() time.Duration
	// Config is the config file's settings (theme, first view, keys).
	Config Config
	// Remote says the run on screen trains elsewhere: its events come from
	// its folder's log and Ctrl writes to its control/ (maskdash watch).
	Remote bool
	// Images is the terminal's picture protocol for the errors pane's
	// large view (thumb.Detect); zero means half blocks.
	Images thumb.Protocol
}

// Views.
const (
	viewOverview = iota
	viewConfusion
	viewRuns
	viewSystem
	viewLayers
	numViews
)

var viewNames = []string{"overview", "confusion", "runs", "system", "layers"}

// Model is the root model: it owns the run state, routes keys to the
// active view and talks to the controller.
type Model struct {
	opts     Options
	keys     KeyMap
	styles   Styles
	help     help.Model
	bar      progress.Model
	state    RunState
	view     int
	w, h     int
	closed   bool
	quitting bool
	flash    string
	flashBad bool

	confEpoch int // index into state.Confs; -1 follows the latest
	percent   bool
	history   bool          // charts show the whole history (min/max) instead of recent steps
	hist      *runs.History // the run's history columns, read while history is on
	histRun   string        // the run hist belongs to
	histGen   int           // counts turns of history on (see historyTickMsg)
	smooth    int           // index into smoothings
	win       chartWin      // the step charts' x-axis, log y, zoom and cursor

	prompt      textinput.Model
	promptKind  promptKind // which prompt is open, if any
	promptFresh bool       // the prompt holds its current value, untouched: a typed character replaces it

	runs    runsModel
	runsGen int // counts visits to the runs view (see refreshRunsMsg)

	away *watched // another run on screen, read from its folder (runs view: w)
	home RunState // the own run's state while away

	palette paletteModel // the : command palette
	layers  layersPane   // the layers view's cursor
	offsets offsetsPane  // the confusion view's class offsets (C)
	ap      apPane       // the confusion view's average precision column (A)
	// projector is the confusion view's P: the validation images in the
	// space of the best checkpoint's features.
	projector projectorPane
	out       *outbox // keeps control commands in key order (shared by the model's copies)

	picking      bool // the confusion view has a cell cursor (e)
	cellT, cellP int  // the cursor's cell: true and predicted class
	errs         errorsModel
}

// RingTerminal writes an alert to a terminal: the bell, and a desktop
// notification in both common forms (OSC 9, as iTerm2 and others read it,
// and OSC 777, as urxvt, foot and VTE read it); terminals ignore the forms
// they do not know.
func RingTerminal(w io.Writer, msg string) error {
	msg = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, msg)
	_, err := fmt.Fprintf(w, "\a\x1b]9;maskdash: %s\x07\x1b]777;notify;maskdash;%s\x07", msg, msg)
	return err
}

// promptKind says which prompt the footer shows.
type promptKind int

// Prompts.
const (
	promptNone   promptKind = iota
	promptLR                // L: a learning rate
	promptLoss              // l: a loss
	promptFork              // n: a loss and a rate for a child run
	promptMixing            // M: CutMix's or Mixup's setting
)

// eventsMsg carries a batch of events from the subscription.
type eventsMsg struct {
	sub     *training.Sub // which subscription: the dashboard's own run or a watched one
	events  []training.Event
	dropped int
	closed  bool
	at      time.Time
}

// refreshRunsMsg asks the runs view to list the runs folder again. gen is
// the runs view's visit it was armed in: a tick from an earlier visit is
// dropped, so ticks never multiply.
type refreshRunsMsg struct{ gen int }

// sentMsg reports the result of sending a command.
type sentMsg struct {
	what string
	err  error
}

// New builds a dashboard model.
func New(o Options) Model {
	if o.Renderer == nil {
		o.Renderer = lipgloss.DefaultRenderer()
	}
	if o.MinFrame <= 0 {
		o.MinFrame = 150 * time.Millisecond
	}
	if o.Who == "" {
		o.Who = "local"
	}
	keys, err := DefaultKeyMap().With(o.Config.Keys)
	if err != nil {
		keys = DefaultKeyMap() // LoadConfig has refused such a config already
	}
	if o.Ctrl == nil {
		keys = keys.ReadOnly()
	}
	st := NewStylesTheme(o.Renderer, o.Config.Theme)
	m := Model{opts: o, keys: keys, styles: st, help: help.New(), w: 80, h: 24, confEpoch: -1, win: chartWin{cursor: -1}, out: &outbox{}}
	m.help.Styles.ShortKey = st.Value
	m.help.Styles.ShortDesc = st.Dim
	m.help.Styles.FullKey = st.Value
	m.help.Styles.FullDesc = st.Dim
	if st.Color {
		// The session's colour profile, not the server's.
		m.bar = progress.New(progress.WithDefaultGradient(), progress.WithoutPercentage(), progress.WithColorProfile(o.Renderer.ColorProfile()))
	} else {
		m.bar = progress.New(progress.WithoutPercentage(), progress.WithFillCharacters('#', '.'), progress.WithColorProfile(o.Renderer.ColorProfile()))
	}
	m.prompt = textinput.New()
	m.prompt.CharLimit = 64
	for _, e := range o.Snapshot {
		m.state.Apply(e)
	}
	m.runs = newRunsModel(o.RunsDir)
	m.runs.prepared = o.Prepared
	if o.Context != nil {
		m.runs.ctx = o.Context
	}
	m.errs.fullProtocol = o.Images
	m.palette = newPalette()
	for i, n := range viewNames {
		if n == o.Config.View {
			m.view = i
		}
	}
	return m
}

// Init implements tea.Model.
func (m Model) Init() tea.Cmd {
	if m.view == viewRuns {
		return tea.Batch(m.waitEvents(m.opts.Sub, time.Time{}), m.runs.load())
	}
	return m.waitEvents(m.opts.Sub, time.Time{})
}

// waitEvents waits for the next batch of events, no sooner than MinFrame
// after the last one, so that redraws stay at about 10 a second whatever
// the event rate.
func (m Model) waitEvents(sub *training.Sub, last time.Time) tea.Cmd {
	gap, gapf := m.opts.MinFrame, m.opts.FrameGap
	if sub == nil {
		return nil
	}
	return func() tea.Msg {
		if gapf != nil {
			gap = gapf()
		}
		if d := gap - time.Since(last); !last.IsZero() && d > 0 {
			time.Sleep(d)
		}
		evs, dropped, ok := sub.Next(context.Background())
		return eventsMsg{sub: sub, events: evs, dropped: dropped, closed: !ok, at: time.Now()}
	}
}

// ended reports whether the run has ended (or the stream closed): control
// keys then get answers about a finished run, and q quits at once.
func (m Model) ended() bool {
	if m.away != nil {
		return m.away.closed || m.state.State.Ended()
	}
	return m.closed || m.state.State.Ended()
}

// homeEnded reports whether the dashboard's own run has ended.
func (m Model) homeEnded() bool {
	if m.away != nil {
		return m.closed || m.home.State.Ended()
	}
	return m.ended()
}

// State returns the folded run state (for tests).
func (m Model) State() RunState { return m.state }

func (m Model) send(c training.Command, what string) tea.Cmd {
	return m.sendTo(m.ctrl(), c, what)
}

// sendTo sends a command through ctrl (the own run's, for q).
// Sends go out in the order of their keys (outbox.go).
func (m Model) sendTo(ctrl Controller, c training.Command, what string) tea.Cmd {
	c.Who = m.opts.Who
	if ctrl == nil {
		return func() tea.Msg { return sentMsg{what, fmt.Errorf("viewers cannot %s", what)} }
	}
	prev, done := m.out.turn()
	return func() tea.Msg {
		defer done()
		awaitTurn(prev)
		return sentMsg{what, ctrl.Send(c)}
	}
}

// Update implements tea.Model.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		return m.Resize(msg.Width, msg.Height)
	case eventsMsg:
		if m.away != nil && msg.sub == m.away.sub {
			return m.awayEvents(msg)
		}
		if msg.sub != m.opts.Sub {
			return m, nil // a watched run's subscription that was let go
		}
		if m.away != nil {
			// The own run trains on while another is on screen.
			for _, e := range msg.events {
				m.home.Apply(e)
			}
			m.closed = m.closed || msg.closed
			if m.quitting && m.homeEnded() {
				return m, tea.Quit
			}
			if m.closed {
				return m, nil
			}
			return m, m.waitEvents(msg.sub, msg.at)
		}
		var cmds []tea.Cmd
		for _, e := range msg.events {
			m.state.Apply(e)
			switch {
			case e.Kind == training.KindNotice && e.Who == m.opts.Who:
				m.flash, m.flashBad = e.Msg, false // the answer to this session's command
			case e.Kind == training.KindAlert:
				m.flash, m.flashBad = "alert: "+e.Msg, true
				if ring := m.opts.Ring; ring != nil {
					text := e.Msg
					cmds = append(cmds, func() tea.Msg { ring(text); return nil })
				}
			}
		}
		m.state.Dropped += msg.dropped
		m.closed = m.closed || msg.closed
		if m.view == viewConfusion { // a new epoch's APs, when the column is on
			var cmd tea.Cmd
			m, cmd = m.wantAP()
			cmds = append(cmds, cmd)
		}
		if m.quitting && m.homeEnded() {
			// q stopped the run and its last checkpoint is written.
			return m, tea.Quit
		}
		if m.closed {
			return m, tea.Batch(cmds...)
		}
		return m, tea.Batch(append(cmds, m.waitEvents(msg.sub, msg.at))...)
	case watchMsg:
		return m.startWatch(msg)
	case watchStartedMsg:
		return m.watchStarted(msg)
	case sentMsg:
		switch {
		case errors.Is(msg.err, training.ErrEnded) && m.remote():
			// Its weights are on disk, not in this process.
			m.flash, m.flashBad = fmt.Sprintf("%s: the run has finished ('maskdash predict %s --out FILE' predicts with it)", msg.what, m.state.Header.ID), true
		case errors.Is(msg.err, training.ErrEnded):
			m.flash, m.flashBad = msg.what+": the run has finished (x: predict with it, n: child run)", true
		case msg.err != nil:
			m.flash, m.flashBad = msg.what+": "+msg.err.Error(), true
		default:
			m.flash, m.flashBad = msg.what+": sent", false
		}
		return m, nil
	case runsLoadedMsg, curveLoadedMsg, movedMsg, noteSavedMsg, ensembledMsg, sideLoadedMsg:
		var cmd tea.Cmd
		m.runs, cmd = m.runs.update(msg)
		m.runs = m.runs.scrolled(m.bodyHeight())
		if _, ok := msg.(runsLoadedMsg); ok && m.view == viewRuns {
			// Keep the list fresh while it is on screen.
			gen := m.runsGen
			cmd = tea.Batch(cmd, tea.Tick(5*time.Second, func(time.Time) tea.Msg { return refreshRunsMsg{gen} }))
		}
		return m, cmd
	case historyMsg:
		if msg.err != nil {
			m.flash, m.flashBad = "history: "+msg.err.Error(), true
			return m, nil
		}
		m.hist, m.histRun = msg.hist, msg.run
		return m, nil
	case historyTickMsg:
		if (m.history || m.win.hi > 0) && msg.gen == m.histGen {
			return m, tea.Batch(m.loadHistory(m.chartWidth()), m.historyTick())
		}
		return m, nil
	case errorsLoadedMsg:
		m.errs = m.errs.loaded(msg)
		return m, nil
	case apLoadedMsg:
		return m.apLoaded(msg), nil
	case projectedMsg:
		return m.projected(msg), nil
	case labelFlaggedMsg:
		return m.flagged(msg), nil
	case offsetsFittedMsg:
		return m.offsetsFitted(msg), nil
	case tea.MouseMsg:
		return m.onMouse(msg)
	case refreshRunsMsg:
		if m.view == viewRuns && msg.gen == m.runsGen {
			return m, m.runs.load()
		}
		return m, nil
	case tea.KeyMsg:
		return m.onKey(msg)
	}
	return m, nil
}

func (m Model) onKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	if m.promptKind != promptNone {
		return m.onPrompt(msg)
	}
	if m.palette.open {
		return m.onPalette(msg)
	}
	if m.view == viewRuns && m.runs.typing() {
		var cmd tea.Cmd
		m.runs, cmd = m.runs.key(msg, m.keys)
		return m, cmd
	}
	// Keys typed quickly (or over a slow link) can arrive as one message
	// of several runes: handle them one by one.
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
		var cmds []tea.Cmd
		var cur tea.Model = m
		for _, r := range msg.Runes {
			var cmd tea.Cmd
			cur, cmd = cur.(Model).onKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
			cmds = append(cmds, cmd)
		}
		return cur, tea.Batch(cmds...)
	}
	if m.ctrl() == nil {
		all, _ := DefaultKeyMap().With(m.opts.Config.Keys) // checked when the config was read
		for _, b := range all.Controls() {
			if key.Matches(msg, b) {
				m.flash, m.flashBad = "read-only: this session may watch but not "+b.Help().Desc, true
				return m, nil
			}
		}
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		if !m.opts.QuitStops || m.homeEnded() || m.quitting {
			return m, tea.Quit
		}
		m.quitting = true
		m.flash = "stopping: saving a checkpoint and flushing the log…"
		return m, m.sendTo(m.opts.Ctrl, training.Command{Kind: training.CmdStop}, "stop") // the own run, whichever is on screen
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
	case key.Matches(msg, k.Palette):
		m.palette.open, m.palette.cursor = true, 0
		m.palette.input.SetValue("")
		return m, m.palette.input.Focus()
	case key.Matches(msg, k.NextView):
		return m.setView((m.view + 1) % numViews)
	case key.Matches(msg, k.Overview):
		return m.setView(viewOverview)
	case key.Matches(msg, k.Confusion):
		return m.setView(viewConfusion)
	case key.Matches(msg, k.Runs):
		return m.setView(viewRuns)
	case key.Matches(msg, k.System):
		return m.setView(viewSystem)
	case key.Matches(msg, k.Layers):
		return m.setView(viewLayers)
	case key.Matches(msg, k.History):
		m.history = !m.history
		if m.history {
			m.histGen++
			return m, tea.Batch(m.loadHistory(m.chartWidth()), m.historyTick())
		}
	case key.Matches(msg, k.Smooth):
		m.smooth = (m.smooth + 1) % len(smoothings)
	case key.Matches(msg, k.Pause):
		return m, m.send(training.Command{Kind: training.CmdToggle}, "pause/resume")
	case key.Matches(msg, k.Checkpoint):
		return m, m.send(training.Command{Kind: training.CmdCheckpoint}, "checkpoint")
	case key.Matches(msg, k.Predict):
		return m, m.send(training.Command{Kind: training.CmdPredict}, "predict")
	case key.Matches(msg, k.LRUp):
		return m, m.send(training.Command{Kind: training.CmdScaleLR, Value: 2}, "lr ×2")
	case key.Matches(msg, k.LRDown):
		return m, m.send(training.Command{Kind: training.CmdScaleLR, Value: 0.5}, "lr ÷2")
	case key.Matches(msg, k.LRSet):
		return m.openPrompt(promptLR, "learning rate: ", strconv.FormatFloat(m.state.LR, 'g', 4, 64))
	case key.Matches(msg, k.Loss):
		return m.openPrompt(promptLoss, "loss ("+strings.Join(training.LossNames, ", ")+", 0.6focal+0.4f1…): ", m.state.Loss)
	case key.Matches(msg, k.Mixing):
		return m.openPrompt(promptMixing, "mixing (cutmix 0.3 · cutmix 0.5 random · mixup 0.2 0.4 · off): ", training.MixingNow(m.state.CutMix, m.state.Mixup))
	case key.Matches(msg, k.NewRun):
		// The settings a child of other classes takes, where the screen
		// leaves room for them beside what is typed; else the first two
		// (a word it does not take is answered with the whole list).
		label := "new run — loss lr [task= fresh-head freeze-epochs= from-lr-scale= freeze-layers=]: "
		if m.w < lipgloss.Width(label)+30 {
			label = "new run — loss lr [task= fresh-head …]: "
		}
		return m.openPrompt(promptFork, label, fmt.Sprintf("%s %g", m.state.Loss, m.state.LR))
	case key.Matches(msg, k.Offsets):
		// Last: a key the config gives another action keeps it.
		m.view = viewConfusion
		return m.toggleOffsets()
	case key.Matches(msg, k.Projector) && m.view != viewConfusion:
		// From any view (the palette's "projector" too), as C is.
		m.view = viewConfusion
		m.picking = false
		return m.projectorKey()
	default:
		return m.viewKey(msg)
	}
	return m, nil
}

func (m Model) setView(v int) (tea.Model, tea.Cmd) {
	if v == viewRuns && m.view != viewRuns {
		m.view = v
		m.runsGen++
		return m, m.runs.load()
	}
	m.view = v
	return m, nil
}

func (m Model) viewKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	switch m.view {
	case viewOverview:
		return m.chartKey(msg)
	case viewConfusion:
		return m.confusionKey(msg)
	case viewRuns:
		var cmd tea.Cmd
		m.runs, cmd = m.runs.key(msg, k)
		m.runs = m.runs.scrolled(m.bodyHeight())
		return m, cmd
	case viewLayers:
		m.layers = m.layers.key(msg, k, len(m.state.LastLayers()))
	}
	return m, nil
}

func (m Model) openPrompt(kind promptKind, label, value string) (tea.Model, tea.Cmd) {
	m.promptKind = kind
	m.prompt.Prompt = label
	m.prompt.SetValue(value)
	m.prompt.CursorEnd()
	m.promptFresh = value != ""
	return m, m.prompt.Focus()
}

func (m Model) onPrompt(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.Cancel):
		m.promptKind = promptNone
		m.prompt.Blur()
		return m, nil
	case key.Matches(msg, m.keys.Apply):
		kind, v := m.promptKind, strings.TrimSpace(m.prompt.Value())
		m.promptKind = promptNone
		m.prompt.Blur()
		return m.submit(kind, v)
	}
	if m.promptFresh && msg.Type == tea.KeyRunes {
		// The current value is offered to edit (arrows, backspace); a
		// value typed (or pasted) straight away replaces it, as in a selected field,
		// rather than being appended to it ("0.0010.0003").
		m.prompt.SetValue("")
	}
	m.promptFresh = false
	var cmd tea.Cmd
	m.prompt, cmd = m.prompt.Update(msg)
	return m, cmd
}

// submit turns a prompt's text into a command, or a flash when it is bad.
func (m Model) submit(kind promptKind, v string) (tea.Model, tea.Cmd) {
	bad := func(s string) (tea.Model, tea.Cmd) {
		m.flash, m.flashBad = s, true
		return m, nil
	}
	switch kind {
	case promptLR:
		lr, err := strconv.ParseFloat(v, 64)
		if err != nil || !(lr > 0) {
			return bad(fmt.Sprintf("learning rate %q is not a positive number", v))
		}
		return m, m.send(training.Command{Kind: training.CmdSetLR, Value: lr}, "set lr")
	case promptLoss:
		if _, err := training.ParseLoss(v); err != nil {
			return bad(err.Error())
		}
		return m, m.send(training.Command{Kind: training.CmdSetLoss, Text: v}, "set loss")
	case promptMixing:
		cmds, err := training.ParseMixing(v)
		if err != nil {
			return bad(err.Error())
		}
		var sends []tea.Cmd
		for _, c := range cmds {
			sends = append(sends, m.send(c, "set "+strings.TrimPrefix(string(c.Kind), "set-")))
		}
		return m, tea.Batch(sends...) // the outbox keeps their order
	case promptFork:
		f, err := training.ParseFork(v)
		if err != nil {
			return bad("new run: " + err.Error())
		}
		return m, m.send(training.Command{Kind: training.CmdFork, Fork: f}, "new run")
	case promptNone:
	}
	return m, nil
}

// chartWidth is the number of data columns of the loss chart.
func (m Model) chartWidth() int {
	w := max(m.w, 40)
	if w >= 110 {
		w = (w - 2) / 2
	}
	return max(w-12, 10)
}

// Resize sets the window size (a session's first size, before any
// WindowSizeMsg).
func (m Model) Resize(w, h int) (Model, tea.Cmd) {
	// A client may claim any size (100,000 × 100,000): draw no more than a
	// real screen holds.
	m.w, m.h = min(max(w, 0), MaxWidth), min(max(h, 0), MaxHeight)
	m.help.Width = m.w
	return m, nil
}

// The largest screen a dashboard draws, whatever size a client claims.
const (
	MaxWidth  = 1000
	MaxHeight = 400
)
