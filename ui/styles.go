package ui

import (
	"github.com/charmbracelet/lipgloss"
	"github.com/guptarohit/asciigraph"
	"github.com/muesli/termenv"
)

// Styles are every style of the dashboard, built from one session's
// renderer so that each SSH client gets its own colour profile.
type Styles struct {
	Title    lipgloss.Style
	Dim      lipgloss.Style
	Value    lipgloss.Style
	Good     lipgloss.Style
	Warn     lipgloss.Style
	Bad      lipgloss.Style
	Box      lipgloss.Style
	BoxTitle lipgloss.Style
	Tab      lipgloss.Style
	TabOn    lipgloss.Style
	Cursor   lipgloss.Style
	Heat     []lipgloss.Style // heat-map cells, cold to hot
	HeatFG   []lipgloss.Style // the same colours as text
	Diag     lipgloss.Style
	Color    bool // false for Ascii renderers: no colour codes anywhere
	// Series are the chart colours, one per quantity on every chart.
	Series SeriesColors
	// Names say the series colours in words (titles say "(red)").
	Names map[asciigraph.AnsiColor]string
}

// SeriesColors are the colours of the charted quantities.
type SeriesColors struct {
	TrainLoss, ValLoss, Acc, F1, LR, Raw asciigraph.AnsiColor
}

// Themes.
const (
	ThemeAuto       = ""           // the terminal's background decides dark or light
	ThemeDark       = "dark"       // light text on a dark background
	ThemeLight      = "light"      // dark text on a light background
	ThemeColorBlind = "colorblind" // Okabe and Ito's palette: no red against green
)

// Themes lists the names a config may give.
var Themes = []string{ThemeDark, ThemeLight, ThemeColorBlind}

// NewStyles builds the styles from a renderer, in the terminal's own
// (dark or light) theme.
func NewStyles(r *lipgloss.Renderer) Styles { return NewStylesTheme(r, ThemeAuto) }

// NewStylesTheme builds the styles of a theme. Dark and light set the
// renderer's idea of the background; colour-blind also swaps red and
// green for blue and vermillion and the heat map for a blue-to-yellow one.
func NewStylesTheme(r *lipgloss.Renderer, theme string) Styles {
	switch theme {
	case ThemeDark:
		r.SetHasDarkBackground(true)
	case ThemeLight:
		r.SetHasDarkBackground(false)
	}
	accent := lipgloss.AdaptiveColor{Light: "#5A56E0", Dark: "#7D79F6"}
	dim := lipgloss.AdaptiveColor{Light: "#8A8A8A", Dark: "#6C6C6C"}
	s := Styles{
		Title:    r.NewStyle().Bold(true).Foreground(accent),
		Dim:      r.NewStyle().Foreground(dim),
		Value:    r.NewStyle().Bold(true),
		Good:     r.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#1C8A3B", Dark: "#4FD67A"}),
		Warn:     r.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#B58900", Dark: "#E5C07B"}),
		Bad:      r.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#C0392B", Dark: "#FF6B6B"}),
		Box:      r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(dim).Padding(0, 1),
		BoxTitle: r.NewStyle().Bold(true),
		Tab:      r.NewStyle().Padding(0, 1).Foreground(dim),
		TabOn:    r.NewStyle().Padding(0, 1).Bold(true).Foreground(accent).Underline(true),
		Cursor:   r.NewStyle().Bold(true).Foreground(accent),
		Diag:     r.NewStyle().Bold(true),
		Color:    r.ColorProfile() != termenv.Ascii,
	}
	s.Series = SeriesColors{TrainLoss: asciigraph.Red, ValLoss: asciigraph.Blue, Acc: asciigraph.Green, F1: asciigraph.Magenta, LR: asciigraph.Yellow, Raw: asciigraph.DimGray}
	s.Names = map[asciigraph.AnsiColor]string{asciigraph.Red: "red", asciigraph.Blue: "blue", asciigraph.Green: "green", asciigraph.Magenta: "magenta", asciigraph.Yellow: "yellow"}
	heat := []string{"#1b1f3b", "#24366b", "#2f5d8c", "#3a8fa0", "#5bbf8a", "#b5d96b", "#f2c14e", "#f07c3c", "#e0413b"}
	if theme == ThemeColorBlind {
		// Okabe and Ito's colours, told apart with any colour vision.
		s.Good = r.NewStyle().Foreground(lipgloss.Color("#0072B2"))
		s.Bad = r.NewStyle().Foreground(lipgloss.Color("#D55E00"))
		s.Warn = r.NewStyle().Foreground(lipgloss.Color("#E69F00"))
		s.Series = SeriesColors{TrainLoss: asciigraph.OrangeRed, ValLoss: asciigraph.DodgerBlue, Acc: asciigraph.SeaGreen, F1: asciigraph.Orchid, LR: asciigraph.Gold, Raw: asciigraph.DimGray}
		s.Names = map[asciigraph.AnsiColor]string{asciigraph.OrangeRed: "vermillion", asciigraph.DodgerBlue: "blue", asciigraph.SeaGreen: "green", asciigraph.Orchid: "purple", asciigraph.Gold: "yellow"}
		heat = []string{"#0d0887", "#41049d", "#6a00a8", "#8f0da4", "#b12a90", "#cc4778", "#e16462", "#f2844b", "#fca636"}
	}
	for i, h := range heat {
		s.Heat = append(s.Heat, r.NewStyle().Background(lipgloss.Color(h)).Foreground(lipgloss.Color("#ffffff")))
		if i >= 2 { // the darkest two vanish as text on a dark screen
			s.HeatFG = append(s.HeatFG, r.NewStyle().Foreground(lipgloss.Color(h)))
		}
	}
	return s
}
