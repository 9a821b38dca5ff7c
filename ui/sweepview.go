package ui

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/guptarohit/asciigraph"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training/sweep"
	"github.com/muesli/termenv"
)

// SweepView is the dashboard of a sweep: its trials as a table (state,
// settings, best macro F1, epoch, node), the best-so-far curve and a
// parallel-coordinates chart of settings against F1. Enter opens the
// selected trial's own dashboard (maskdash watch, steering it through its
// folder); the view reads the sweep again every two seconds.
type SweepView struct {
	dir    string
	styles Styles
	keys   KeyMap
	sw     *sweep.Sweep
	st     []sweep.TrialStatus
	err    error
	loaded bool
	cursor int
	byF1   bool // sort by best F1 instead of trial number
	// chart is what the right-hand chart shows: 0 the parallel
	// coordinates, k the slice of the k-th setting that varies (←/→).
	chart    int
	w, h     int
	watchBin string // the maskdash that Enter runs (maskdash watch)
	flash    string
}

// sweepLoadedMsg carries the sweep's state, read in a command.
type sweepLoadedMsg struct {
	sw  *sweep.Sweep
	st  []sweep.TrialStatus
	err error
}

type sweepTickMsg struct{}

// NewSweepView opens the view of the sweep folder dir.
func NewSweepView(dir string, r *lipgloss.Renderer) SweepView {
	bin, _ := os.Executable()
	return SweepView{dir: dir, styles: NewStyles(r), keys: DefaultKeyMap(), w: 100, h: 30, watchBin: bin}
}

// LoadSweep reads a sweep folder and its trials' state (what the view's
// command does; exported for the benchmark).
func LoadSweep(dir string, withQueue bool) (*sweep.Sweep, []sweep.TrialStatus, error) {
	sw, err := sweep.Open("", dir)
	if err != nil {
		return nil, nil, err
	}
	var q map[int]sweep.Queued
	if withQueue {
		if be, err := sweep.NewBackend(sw.Backend); err == nil {
			q, _ = be.Queued(context.Background(), sw) // a backend that cannot say leaves the folders' view
		}
	}
	return sw, sw.Status(q), nil
}

func (v SweepView) load() tea.Cmd {
	dir := v.dir
	return func() tea.Msg {
		sw, st, err := LoadSweep(dir, true)
		return sweepLoadedMsg{sw, st, err}
	}
}

// Init implements tea.Model.
func (v SweepView) Init() tea.Cmd { return v.load() }

// Resize sets the size (a first size before any WindowSizeMsg).
func (v SweepView) Resize(w, h int) SweepView {
	v.w, v.h = min(max(w, 40), MaxWidth), min(max(h, 12), MaxHeight)
	return v
}

// Update implements tea.Model.
func (v SweepView) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		return v.Resize(msg.Width, msg.Height), nil
	case sweepLoadedMsg:
		v.sw, v.st, v.err, v.loaded = msg.sw, msg.st, msg.err, true
		v.cursor = min(v.cursor, max(len(v.st)-1, 0))
		return v, tea.Tick(2*time.Second, func(time.Time) tea.Msg { return sweepTickMsg{} })
	case sweepTickMsg:
		return v, v.load()
	case trialWatchMsg:
		if !msg.started {
			v.flash = msg.id + " has not started yet"
			return v, nil
		}
		c := exec.Command(v.watchBin, "watch", msg.dir)
		return v, tea.ExecProcess(c, func(err error) tea.Msg { return watchDoneMsg{err} })
	case watchDoneMsg:
		if msg.err != nil {
			v.flash = "watch: " + msg.err.Error()
		}
		return v, v.load()
	case tea.KeyMsg:
		k := v.keys
		switch {
		case key.Matches(msg, k.Quit), msg.String() == "esc":
			return v, tea.Quit
		case key.Matches(msg, k.Up):
			v.cursor = max(v.cursor-1, 0)
		case key.Matches(msg, k.Down):
			v.cursor = min(v.cursor+1, max(len(v.st)-1, 0))
		case key.Matches(msg, k.Smooth): // s: sort
			v.byF1 = !v.byF1
		case key.Matches(msg, k.Left), key.Matches(msg, k.Right):
			// The parallel coordinates, then each setting's slice.
			axes, _ := v.axes()
			n := len(axes) // the settings' axes and the score's: n-1 slices
			step := 1
			if key.Matches(msg, k.Left) {
				step = n - 1
			}
			if n > 1 {
				v.chart = (v.chart + step) % n
			}
		case key.Matches(msg, k.Select):
			rows := v.rows()
			if v.cursor < len(rows) && v.sw != nil {
				dir, id := v.sw.RunDir(rows[v.cursor].Index), rows[v.cursor].RunID
				return v, func() tea.Msg { // the folder is looked for here, not in Update
					_, err := os.Stat(dir)
					return trialWatchMsg{dir: dir, id: id, started: err == nil}
				}
			}
		}
	}
	return v, nil
}

type watchDoneMsg struct{ err error }

// trialWatchMsg says whether a trial's folder exists yet, to watch it.
type trialWatchMsg struct {
	dir, id string
	started bool
}

// rows are the trials in the table's order.
func (v SweepView) rows() []sweep.TrialStatus {
	rows := append([]sweep.TrialStatus(nil), v.st...)
	if v.byF1 {
		sort.SliceStable(rows, func(a, b int) bool { return runs.HigherFirst(rows[a].BestF1, rows[b].BestF1) })
	}
	return rows
}

// View implements tea.Model.
func (v SweepView) View() string {
	st := v.styles
	w, h := v.w, v.h
	if !v.loaded {
		return st.Dim.Render("reading " + v.dir + " …")
	}
	if v.err != nil {
		return st.Bad.Render(v.err.Error()) + "\n" + st.Dim.Render("q quits")
	}
	search := ""
	if s := v.sw.Search; s != nil {
		search = fmt.Sprintf(" · TPE, %d of %d settings", v.sw.Tried(), s.Points)
	}
	title := st.Title.Render("maskdash sweep") + " " + st.Value.Render(v.sw.ID) + st.Dim.Render(fmt.Sprintf(" · %s, %d at a time%s · %s", v.sw.Backend, v.sw.Parallel, search, sweep.Tally(v.st)))
	best := sweep.Best(v.st)
	line2 := st.Dim.Render("no trial has finished an epoch yet")
	if len(best) > 0 {
		line2 = st.Good.Render(fmt.Sprintf("best %s: macro F1 %.4f at epoch %d (%s)", best[0].RunID, best[0].BestF1, best[0].BestEpoch, best[0].Label()))
		// Settings over folds or seeds compare by their mean (as sweep
		// status says it).
		if pts := sweep.Points(v.st); v.sw.PerPoint() && len(pts) > 1 {
			line2 += st.Dim.Render(fmt.Sprintf(" · best setting by its mean: %s, %.4f over %d of %d %s", pts[0].Label(), pts[0].Mean, len(pts[0].Trials), pts[0].Of, v.sw.Unit()))
		}
	}
	keys := "↑/↓ move · enter: the trial's dashboard (steer it) · s: sort by F1/trial · ←/→ chart: all settings or one · q quit"
	if w < 110 {
		keys = "↑/↓ · enter: trial's dashboard · s: sort · ←/→ chart · q quit"
	}
	foot := st.Dim.Render(truncate(keys, w))
	if v.flash != "" {
		foot = st.Bad.Render(truncate(v.flash, w)) + "\n" + foot
	}
	bodyH := h - 2 - lipgloss.Height(foot)
	tableH := max(4, min(len(v.st)+1, bodyH/2))
	table := v.table(w, tableH)
	chartsH := max(bodyH-tableH-1, 4)
	var charts string
	curve := sweep.BestSoFar(v.st)
	if w >= 100 {
		half := (w - 2) / 2
		left := st.BoxTitle.Render("best macro F1 so far, per epoch trained") + "\n" + plot([][]float64{curve}, chartOpts{W: half, H: chartsH - 1, Color: st.Color, Colors: []asciigraph.AnsiColor{v.styles.Series.F1}})
		right := v.settingsChart(half, chartsH)
		charts = lipgloss.JoinHorizontal(lipgloss.Top, fit(left, half, chartsH), "  ", fit(right, half, chartsH))
	} else {
		ch := chartsH / 2
		charts = st.BoxTitle.Render("best macro F1 so far") + "\n" + plot([][]float64{curve}, chartOpts{W: w, H: ch - 1, Color: st.Color, Colors: []asciigraph.AnsiColor{v.styles.Series.F1}}) +
			"\n" + v.settingsChart(w, chartsH-ch)
	}
	return fit(title+"\n"+truncate(line2, w)+"\n"+table+"\n"+charts, w, h-lipgloss.Height(foot)) + "\n" + foot
}

// parallelTitle names the parallel-coordinates chart and the settings
// with the largest share of best macro F1's spread (ε²; sweep status
// gives them all).
func (v SweepView) parallelTitle(w int) string {
	title := "settings → best macro F1"
	var parts []string
	for _, m := range sweep.Importances(v.st) {
		if !math.IsNaN(m.Share) && len(parts) < 3 {
			parts = append(parts, fmt.Sprintf("%s %.2f", m.Setting, max(m.Share, 0)))
		}
	}
	if len(parts) == 0 {
		return v.styles.BoxTitle.Render(truncate(title, w))
	}
	return v.styles.BoxTitle.Render(title) + v.styles.Dim.Render(truncate(" · ε² "+strings.Join(parts, ", "), w-lipgloss.Width(title)))
}

// settingsChart is the chart of settings against best macro F1 in w×h
// cells, with its title: the parallel coordinates, or one setting's
// slice (v.chart).
func (v SweepView) settingsChart(w, h int) string {
	axes, score := v.axes()
	if v.chart == 0 || v.chart >= len(axes) {
		return v.parallelTitle(w) + "\n" + parallelCoords(v.styles, axes, score, w, h-1)
	}
	ax := axes[v.chart-1]
	title := ax.setting + " → best macro F1"
	for _, m := range sweep.Importances(v.st) {
		if m.Setting != ax.setting {
			continue
		}
		if !math.IsNaN(m.Share) {
			title += fmt.Sprintf(" · ε² %.2f", max(m.Share, 0))
		}
		title += fmt.Sprintf(" · best %s (mean %.4f over %d)", m.Best, m.BestMean, m.BestRuns)
		if !math.IsNaN(m.Rank) {
			title += fmt.Sprintf(" · Spearman %+.2f", m.Rank)
		}
	}
	return v.styles.BoxTitle.Render(truncate(title, w)) + "\n" + sliceChart(v.styles, ax, score, w, h-1)
}

// axes are the parallel coordinates' axes of the trials' settings (and
// last, the score's) and the trials' scores.
func (v SweepView) axes() ([]pcAxis, []float64) {
	var names []string
	seen := map[string]bool{}
	values := make([]map[string]string, len(v.st))
	score := make([]float64, len(v.st))
	for i, t := range v.st {
		values[i] = map[string]string{}
		for _, kv := range t.Settings() {
			if !seen[kv.Name] {
				seen[kv.Name] = true
				names = append(names, kv.Name)
			}
			values[i][kv.Name] = kv.Value
		}
		score[i] = t.BestF1
	}
	return pcAxes(names, values, score), score
}

func (v SweepView) table(w, h int) string {
	st := v.styles
	rows := v.rows()
	var b strings.Builder
	b.WriteString(st.BoxTitle.Render(truncate(fmt.Sprintf("  %-6s %-10s %-8s %-5s %-9s %-10s %s", "trial", "state", "best F1", "epoch", "epochs", "node", "settings"), w)))
	first := max(0, min(v.cursor-(h-1)/2, len(rows)-(h-1)))
	for i := first; i < len(rows) && i < first+h-1; i++ {
		t := rows[i]
		f1 := "-"
		if !math.IsNaN(t.BestF1) {
			f1 = fmt.Sprintf("%.4f", t.BestF1)
		}
		line := fmt.Sprintf("%-6s %-10s %-8s %-5d %-9s %-10s %s", t.RunID, t.State, f1, t.BestEpoch, fmt.Sprintf("%d/%d", t.EpochsDone, t.Epochs), truncate(orDash(t.Node), 10), t.Label())
		if t.Why != "" && (t.State == sweep.StateStopped || t.State == sweep.StateFailed || t.State == sweep.StateCrashed) {
			line += " — " + t.Why
		}
		line = truncate(line, w-2)
		switch {
		case i == v.cursor:
			line = st.Cursor.Render("> " + line)
		case t.State == sweep.StateFailed || t.State == sweep.StateCrashed:
			line = "  " + st.Bad.Render(line)
		case t.State == sweep.StateRunning:
			line = "  " + st.Good.Render(line)
		default:
			line = "  " + line
		}
		b.WriteString("\n" + line)
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// RunSweepView shows the sweep in dir in this terminal until q.
func RunSweepView(dir string) error {
	r := lipgloss.NewRenderer(os.Stdout)
	if os.Getenv("NO_COLOR") != "" {
		r.SetColorProfile(termenv.Ascii)
	}
	_, err := tea.NewProgram(NewSweepView(dir, r), tea.WithAltScreen()).Run()
	return err
}
