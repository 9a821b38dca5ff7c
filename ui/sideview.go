package ui

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/guptarohit/asciigraph"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
)

// sideModel compares two picked runs side by side: the settings in which
// they differ, their validation F1 curves in two columns on the same
// axes, each class's F1 in both and the difference, and the confusion
// matrix of B minus A's, with the classes that gained and lost most.
type sideModel struct {
	a, b     string
	diff     *training.RunDiff
	settings string // what differs between A's settings and B's, in words
	err      error
	loaded   bool
}

type sideLoadedMsg struct {
	diff     *training.RunDiff
	settings string
	err      error
}

func (s sideModel) load(dir string) tea.Cmd {
	a, b := filepath.Join(dir, filepath.FromSlash(s.a)), filepath.Join(dir, filepath.FromSlash(s.b))
	return func() tea.Msg {
		d, err := training.CompareRuns(a, b)
		if err != nil {
			return sideLoadedMsg{err: err}
		}
		ia, err := runs.ReadInfo(a)
		if err != nil {
			return sideLoadedMsg{err: err}
		}
		ib, err := runs.ReadInfo(b)
		if err != nil {
			return sideLoadedMsg{err: err}
		}
		return sideLoadedMsg{diff: d, settings: settingsDiff(ia, ib)}
	}
}

// settingsDiff says how B's settings differ from A's ("lr 0.001 → 0.003 ·
// loss ce → focal"), the rate and loss changed while training included;
// the runs' names are left out (they are in the ids above).
func settingsDiff(a, b runs.Info) string {
	var parts []string
	for _, k := range runs.DifferingSettings([]runs.Info{a, b}) {
		if k == "name" {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s → %s", k, runs.SettingText(a.Config[k]), runs.SettingText(b.Config[k])))
	}
	// As the picked list words them ("lr ×0.5 at step 1,840").
	if ca, cb := strings.Join(changeWords(a), ", "), strings.Join(changeWords(b), ", "); ca != cb {
		parts = append(parts, "changed while training: A "+runs.SettingText(ca)+"; B "+runs.SettingText(cb))
	}
	if len(parts) == 0 {
		return "the same settings"
	}
	return "settings A → B: " + strings.Join(parts, " · ")
}

func (s sideModel) view(st Styles, w, h int) string {
	title := st.BoxTitle.Render(truncate(fmt.Sprintf("side by side: A %s · B %s · v or esc: back", s.a, s.b), w))
	switch {
	case !s.loaded:
		return title + "\n" + st.Dim.Render("reading both runs…")
	case s.err != nil:
		return title + "\n" + st.Bad.Render(s.err.Error())
	}
	d := s.diff
	half := (w - 2) / 2
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, f := range [][]float64{d.A.F1, d.B.F1} {
		for _, v := range f {
			if !math.IsNaN(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	chartH := max(4, min(12, h/3))
	curve := func(f *training.RunFigures, c asciigraph.AnsiColor) string {
		title := fmt.Sprintf("%s · best %.4f at epoch %d", f.ID, f.BestF1, f.BestEpoch)
		if f.Note != "" {
			title += " · “" + runs.NoteLine(f.Note) + "”"
		}
		head := st.BoxTitle.Render(truncate(title, half))
		return head + "\n" + plot([][]float64{f.F1}, chartOpts{W: half, H: chartH, Color: st.Color, Colors: []asciigraph.AnsiColor{c}, Lo: lo, Hi: hi, Bounded: true})
	}
	top := lipgloss.JoinHorizontal(lipgloss.Top, fit(curve(d.A, overlayColors[0]), half, chartH+1), "  ", fit(curve(d.B, overlayColors[1]), half, chartH+1))
	// Two lines at most for what differs; the charts keep the rest.
	lines := strings.Split(lipgloss.NewStyle().Width(w).Render(s.settings), "\n")
	if len(lines) > 2 {
		lines = []string{lines[0], fitWords(strings.TrimSpace(lines[1])+" "+strings.Join(lines[2:], " "), w)}
	}
	for i := range lines {
		lines[i] = st.Value.Render(strings.TrimRight(lines[i], " "))
	}
	top = strings.Join(lines, "\n") + "\n" + top
	names := d.ClassNames()
	var tbl strings.Builder
	tbl.WriteString(st.Dim.Render(fmt.Sprintf("%-14s %6s %6s %7s", "class F1", "A", "B", "B−A")))
	for c, dd := range d.F1Diff {
		cell := fmt.Sprintf("%+7.3f", dd)
		switch {
		case dd > 0.0005:
			cell = st.Good.Render(cell)
		case dd < -0.0005:
			cell = st.Bad.Render(cell)
		}
		tbl.WriteString(fmt.Sprintf("\n%-14s %6.3f %6.3f ", truncate(names[c], 14), d.A.PerClass[c].F1, d.B.PerClass[c].F1) + cell)
	}
	var mat strings.Builder
	mat.WriteString(st.Dim.Render("confusion B − A (points of each true class's share)"))
	for i, row := range d.ConfDiff {
		mat.WriteString("\n" + st.Dim.Render(fmt.Sprintf("%2d ", i%100)))
		for _, v := range row {
			p := math.Round(100 * v)
			cell := fmt.Sprintf("%4.0f", p)
			switch {
			case p == 0:
				cell = "   ·"
			case p > 0:
				cell = st.Good.Render(cell)
			default:
				cell = st.Bad.Render(cell)
			}
			mat.WriteString(cell)
		}
	}
	bottom := lipgloss.JoinHorizontal(lipgloss.Top, tbl.String(), "   ", mat.String())
	summary := st.Good.Render(truncate("gained: "+d.Describe(d.Gained), w)) + "\n" + st.Bad.Render(truncate("lost: "+d.Describe(d.Lost), w))
	return title + "\n" + top + "\n" + summary + "\n" + bottom
}
