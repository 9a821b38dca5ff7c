package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/sahilm/fuzzy"
)

// The command palette (:) finds any action by a few letters of what it
// does or of its key, fuzzily, and runs it as if its key were pressed:
// one list for every action, so nothing is reachable only by memory.

// paletteModel is the palette's state.
type paletteModel struct {
	open   bool
	input  textinput.Model
	cursor int
}

func newPalette() paletteModel {
	in := textinput.New()
	in.Prompt = ": "
	in.Placeholder = "type to find an action…"
	in.CharLimit = 40
	return paletteModel{input: in}
}

// action is one palette entry: a binding and where it applies.
type action struct {
	b    key.Binding
	text string // what the fuzzy search reads: "checkpoint c"
}

// actions lists every enabled binding once.
func (m Model) actions() []action {
	var out []action
	seen := map[string]bool{}
	for _, group := range m.keys.FullHelp() {
		for _, b := range group {
			h := b.Help()
			if !b.Enabled() || seen[h.Desc] || b.Keys()[0] == ":" {
				continue
			}
			seen[h.Desc] = true
			out = append(out, action{b: b, text: h.Desc + " " + h.Key})
		}
	}
	return out
}

// matches are the actions the typed text finds, best first (all when
// nothing is typed).
func (m Model) paletteMatches() []action {
	all := m.actions()
	q := strings.TrimSpace(m.palette.input.Value())
	if q == "" {
		return all
	}
	texts := make([]string, len(all))
	for i, a := range all {
		texts[i] = a.text
	}
	var out []action
	for _, r := range fuzzy.Find(q, texts) {
		out = append(out, all[r.Index])
	}
	return out
}

// onPalette handles keys while the palette is open.
func (m Model) onPalette(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch msg.Type {
	case tea.KeyEsc:
		m.palette.open = false
		m.palette.input.Blur()
		return m, nil
	case tea.KeyUp:
		m.palette.cursor = max(m.palette.cursor-1, 0)
		return m, nil
	case tea.KeyDown:
		m.palette.cursor = min(m.palette.cursor+1, max(len(m.paletteMatches())-1, 0))
		return m, nil
	case tea.KeyEnter:
		found := m.paletteMatches()
		m.palette.open = false
		m.palette.input.Blur()
		if m.palette.cursor >= len(found) {
			return m, nil
		}
		return m.onKey(keyMsgOf(found[m.palette.cursor].b.Keys()[0]))
	default: // typing: the input below
	}
	var cmd tea.Cmd
	m.palette.input, cmd = m.palette.input.Update(msg)
	m.palette.cursor = 0
	return m, cmd
}

// keyMsgOf is the key message a key name stands for.
func keyMsgOf(k string) tea.KeyMsg {
	named := map[string]tea.KeyType{"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab, "left": tea.KeyLeft,
		"right": tea.KeyRight, "up": tea.KeyUp, "down": tea.KeyDown, "ctrl+c": tea.KeyCtrlC, " ": tea.KeySpace}
	if t, ok := named[k]; ok {
		return tea.KeyMsg{Type: t, Runes: []rune(strings.TrimSpace(k))}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// paletteView draws the palette over the body: the input and the
// matching actions with their keys.
func (m Model) paletteView(w, h int) string {
	st := m.styles
	found := m.paletteMatches()
	var b strings.Builder
	b.WriteString(st.BoxTitle.Render("command palette · type to find · ↑/↓ · enter runs · esc closes") + "\n" + m.palette.input.View())
	first := max(0, m.palette.cursor-(h-3))
	for i := first; i < len(found) && i < first+h-2; i++ {
		hp := found[i].b.Help()
		line := fmt.Sprintf("  %-28s %s", hp.Desc, hp.Key)
		if i == m.palette.cursor {
			line = st.Cursor.Render("> " + strings.TrimPrefix(line, "  "))
		}
		b.WriteString("\n" + truncate(line, w))
	}
	if len(found) == 0 {
		b.WriteString("\n" + st.Dim.Render("no action matches"))
	}
	return b.String()
}
