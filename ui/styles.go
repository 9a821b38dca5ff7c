package ui

import (
	"github.com/charmbracelet/lipgloss"
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
}

// NewStyles builds the styles from a renderer.
func NewStyles(r *lipgloss.Renderer) Styles {
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
	heat := []string{"#1b1f3b", "#24366b", "#2f5d8c", "#3a8fa0", "#5bbf8a", "#b5d96b", "#f2c14e", "#f07c3c", "#e0413b"}
	for i, h := range heat {
		s.Heat = append(s.Heat, r.NewStyle().Background(lipgloss.Color(h)).Foreground(lipgloss.Color("#ffffff")))
		if i >= 2 { // the darkest two vanish as text on a dark screen
			s.HeatFG = append(s.HeatFG, r.NewStyle().Foreground(lipgloss.Color(h)))
		}
	}
	return s
}
