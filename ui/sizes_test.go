package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
)

// TestEveryScreenFitsEverySize: every view and overlay (the overview,
// the confusion matrix and its images pane, the runs view with and
// without picked runs, side by side, the system view, the layers view
// (its cursor on the last tensor too), the key help, the
// palette, a prompt, the whole history, a zoomed chart) draws exactly the
// screen it is given, no line wider than it, from wide windows down to
// MinWidth×MinHeight, and below that a notice of the size it needs,
// without panicking.
func TestEveryScreenFitsEverySize(t *testing.T) {
	rd := tableRuns(t)
	screens := []struct {
		name string
		keys []string
	}{
		{"overview", []string{"1"}}, {"confusion", []string{"2"}}, {"confusion-pick", []string{"2", "e"}},
		{"runs", []string{"3"}}, {"runs-picked", []string{"3", "enter", "j", "enter"}},
		{"side-by-side", []string{"3", "enter", "j", "enter", "v"}}, {"system", []string{"4"}},
		{"layers", []string{"5"}}, {"layers-cursor", []string{"5", "j", "j", "j", "j", "j"}},
		{"help", []string{"?"}}, {"palette", []string{":"}}, {"prompt", []string{"L"}},
		{"history", []string{"1", "H"}}, {"zoomed", []string{"1", ",", "z"}},
	}
	// The screens at one size first (keys may load from disk), then every
	// size on the same model.
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			m := runsViewModel(t, rd, 120, 40)
			m = feed(t, m, sc.keys...)
			for _, w := range []int{1, 20, 33, 40, 57, 60, 79, 80, 100, 109, 110, 111, 140, 200} {
				for _, h := range []int{1, 5, 8, 10, 12, 16, 20, 24, 30, 50} {
					var v string
					func() {
						defer func() {
							if r := recover(); r != nil {
								t.Fatalf("%d×%d: panic %v", w, h, r)
							}
						}()
						sized, _ := m.Resize(w, h)
						v = sized.View()
					}()
					lines := strings.Split(v, "\n")
					if len(lines) != h {
						t.Errorf("%d×%d: %d lines", w, h, len(lines))
					}
					for i, l := range lines {
						if lw := lipgloss.Width(l); lw > w {
							t.Errorf("%d×%d: line %d is %d wide: %q", w, h, i, lw, l)
							break
						}
					}
					// The notice's words (those that fit a line).
					said := strings.Contains(strings.Join(strings.Fields(v), " "), "needs a window")
					if small := w < MinWidth || h < MinHeight; small != said && (w >= 20 && h >= 5 || !small) {
						t.Errorf("%d×%d: the too-small notice shown %v", w, h, said)
					}
				}
			}
		})
	}
}
