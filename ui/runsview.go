package ui

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/guptarohit/asciigraph"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/sweep"
	"github.com/maskdash/maskdash/training"
)

// runsModel is the runs view: every run of the runs folder, several of
// which can be picked to see their validation F1 curves overlaid and their
// settings side by side.
type runsModel struct {
	dir      string
	rows     []runs.Listed
	err      error
	loaded   bool
	cursor   int
	selected []string // in the order picked
	curves   map[string][]float64
}

// runsLoadedMsg carries the runs folder's listing.
type runsLoadedMsg struct {
	rows []runs.Listed
	err  error
}

// curveLoadedMsg carries one run's validation F1 per epoch.
type curveLoadedMsg struct {
	id    string
	curve []float64
	err   error
}

func newRunsModel(dir string) runsModel {
	return runsModel{dir: dir, curves: map[string][]float64{}}
}

// load lists the runs folder (I/O, so in a command).
func (r runsModel) load() tea.Cmd {
	dir := r.dir
	return func() tea.Msg {
		rows, err := runs.NewStore(dir).List()
		// The trials of sweeps in the folder list too, as sweep/trial.
		if sws, serr := sweep.List(dir); serr == nil {
			for _, sw := range sws {
				trials, terr := runs.NewStore(sw.Dir).List()
				if terr != nil {
					continue
				}
				for _, t := range trials {
					t.Info.ID = sw.ID + "/" + t.Info.ID
					rows = append(rows, t)
				}
			}
		}
		return runsLoadedMsg{rows, err}
	}
}

func (r runsModel) loadCurve(id string) tea.Cmd {
	dir := r.dir
	return func() tea.Msg {
		c, err := training.EpochCurve(filepath.Join(dir, filepath.FromSlash(id)), "f1")
		return curveLoadedMsg{id, c, err}
	}
}

func (r runsModel) update(msg tea.Msg) (runsModel, tea.Cmd) {
	switch msg := msg.(type) {
	case runsLoadedMsg:
		r.rows, r.err, r.loaded = msg.rows, msg.err, true
		r.cursor = min(r.cursor, max(len(r.rows)-1, 0))
		var cmds []tea.Cmd
		for _, id := range r.selected {
			cmds = append(cmds, r.loadCurve(id))
		}
		return r, tea.Batch(cmds...)
	case curveLoadedMsg:
		if msg.err == nil {
			r.curves[msg.id] = msg.curve
		}
	}
	return r, nil
}

func (r runsModel) key(msg tea.KeyMsg, k KeyMap) (runsModel, tea.Cmd) {
	switch {
	case key.Matches(msg, k.Up):
		r.cursor = max(r.cursor-1, 0)
	case key.Matches(msg, k.Down):
		r.cursor = min(r.cursor+1, max(len(r.rows)-1, 0))
	case key.Matches(msg, k.Watch):
		if r.cursor >= len(r.rows) {
			return r, nil
		}
		d := watchDir(r.dir, r.rows[r.cursor])
		return r, func() tea.Msg { return watchMsg{dir: d} }
	case key.Matches(msg, k.Select):
		if r.cursor >= len(r.rows) {
			return r, nil
		}
		id := r.rows[r.cursor].Info.ID
		for i, s := range r.selected {
			if s == id {
				r.selected = append(r.selected[:i:i], r.selected[i+1:]...)
				return r, nil
			}
		}
		r.selected = append(r.selected, id)
		return r, r.loadCurve(id)
	}
	return r, nil
}

var overlayColors = []asciigraph.AnsiColor{asciigraph.Blue, asciigraph.Red, asciigraph.Green, asciigraph.Yellow, asciigraph.Magenta, asciigraph.Cyan}

func (r runsModel) view(st Styles, w, h int) string {
	if !r.loaded {
		return st.Dim.Render("reading " + r.dir + " …")
	}
	if r.err != nil {
		return st.Bad.Render(r.err.Error())
	}
	if len(r.rows) == 0 {
		return st.Dim.Render("no runs in " + r.dir)
	}
	listH := max(3, min(len(r.rows)+1, h/2))
	var b strings.Builder
	b.WriteString(st.BoxTitle.Render(fitWords(fmt.Sprintf("runs in %s — ↑/↓ move, enter picks runs to compare, w watches and steers one", r.dir), w)))
	first := max(0, min(r.cursor-listH/2, len(r.rows)-(listH-1)))
	for i := first; i < len(r.rows) && i < first+listH-1; i++ {
		l := r.rows[i]
		mark := "  "
		if n := r.pick(l.Info.ID); n > 0 {
			mark = fmt.Sprintf("%d ", n)
		}
		line := fmt.Sprintf("%s%-40s %-8s %-10s %-14s %-6s lr %-7.2g ep %2d/%-2d F1 %.4f", mark, l.Info.ID, l.Info.Status,
			l.Info.Model, l.Info.Loss, l.Info.Optim, l.Info.LR, l.Info.EpochsDone, l.Info.Epochs, l.Info.Best.MacroF1)
		if w < 110 {
			// Narrow: the id's time and model, the status and the F1
			// always; the rest as it fits.
			line = fmt.Sprintf("%s%-30s %-8s F1 %.4f ep %2d/%-2d %s", mark, truncate(l.Info.ID, 30), l.Info.Status,
				l.Info.Best.MacroF1, l.Info.EpochsDone, l.Info.Epochs, l.Info.Loss)
		}
		if l.Err != nil {
			line = fmt.Sprintf("%s%-40s %s", mark, l.Info.ID, l.Err)
		}
		if i == r.cursor {
			line = st.Cursor.Render("> " + line)
		} else {
			line = "  " + line
		}
		b.WriteString("\n" + truncate(line, w))
	}
	if len(r.selected) == 0 {
		return b.String()
	}
	// Settings side by side: only those that differ.
	var infos []runs.Info
	for _, id := range r.selected {
		for _, l := range r.rows {
			if l.Info.ID == id {
				infos = append(infos, l.Info)
			}
		}
	}
	diff := runs.DifferingSettings(infos)
	if len(infos) < 2 {
		diff = []string{"model", "loss", "lr"}
	}
	b.WriteString("\n" + st.BoxTitle.Render("picked runs: settings that differ"))
	for i, info := range infos {
		var kv []string
		for _, k := range diff {
			kv = append(kv, fmt.Sprintf("%s=%v", k, info.Config[k]))
		}
		b.WriteString("\n" + truncate(fmt.Sprintf("%d %s  best F1 %.4f  %s", i+1, info.ID, info.Best.MacroF1, strings.Join(kv, " ")), w))
	}
	var series [][]float64
	n := 0
	for _, id := range r.selected {
		series = append(series, r.curves[id])
		n = max(n, len(r.curves[id]))
	}
	for i := range series {
		s := append([]float64(nil), series[i]...)
		for len(s) < n {
			s = append(s, nanV)
		}
		series[i] = s
	}
	used := strings.Count(b.String(), "\n") + 1
	b.WriteString("\n" + st.BoxTitle.Render("validation macro F1 per epoch, runs 1…n overlaid") + "\n")
	b.WriteString(plot(series, chartOpts{W: w, H: max(h-used-1, 4), Color: st.Color, Colors: overlayColors}))
	return b.String()
}

var nanV = func() float64 { var z float64; return z / z }()

func (r runsModel) pick(id string) int {
	for i, s := range r.selected {
		if s == id {
			return i + 1
		}
	}
	return 0
}
