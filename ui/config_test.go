package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/maskdash/maskdash/training"
	"github.com/muesli/termenv"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConfigFile: the theme, the first view and key overrides apply; a
// missing file is the default; a bad one is one error naming the problem.
func TestConfigFile(t *testing.T) {
	c, err := LoadConfig(filepath.Join(t.TempDir(), "none.toml"))
	if err != nil || c.Theme != "" || c.View != "" || len(c.Keys) != 0 {
		t.Fatalf("a missing file: %+v %v", c, err)
	}
	c, err = LoadConfig(writeConfig(t, "theme = \"colorblind\"\nview = \"system\"\n[keys]\ncheckpoint = \"C, ctrl+s\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctrl := &fakeCtrl{}
	r := lipgloss.NewRenderer(os.Stdout)
	r.SetColorProfile(termenv.TrueColor)
	m := New(Options{Snapshot: script(), Ctrl: ctrl, Renderer: r, Config: c})
	m, _ = m.Resize(120, 40)
	if m.view != viewSystem {
		t.Errorf("first view %d, want system", m.view)
	}
	_, cmds := press(m, "c")
	_, cmds2 := press(m, "C")
	for _, c := range append(cmds, cmds2...) {
		if c != nil {
			c()
		}
	}
	if k := ctrl.kinds(); k[training.CmdCheckpoint] != 1 {
		t.Errorf("with checkpoint = \"C\": c and C sent %v, want one checkpoint", k)
	}
	if !strings.Contains(m.styles.Good.Render("x"), ";178m") { // #0072B2, blue rather than green
		t.Errorf("the colour-blind theme's good colour: %q", m.styles.Good.Render("x"))
	}
	if m.styles.Names[m.styles.Series.TrainLoss] != "vermillion" {
		t.Errorf("colour-blind series names: %v", m.styles.Names)
	}
	for _, c := range []struct{ text, want string }{
		{"theme = \"neon\"", `theme "neon" is not one of dark, light, colorblind`},
		{"view = \"graphs\"", `view "graphs" is not one of`},
		{"[keys]\nfly = \"f\"", "[keys] fly is not an action"},
		{"[keys]\nquit = \" \"", "[keys] quit has no key"},
		{"colour = 1", `"colour" is not a setting`},
		{"theme = ", "config "},
	} {
		_, err := LoadConfig(writeConfig(t, c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v, want one line with %q", c.text, err, c.want)
		}
	}
}
