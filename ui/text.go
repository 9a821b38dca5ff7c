package ui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// truncate cuts a line to w cells, keeping ANSI sequences intact.
func truncate(s string, w int) string {
	return ansi.Truncate(s, max(w, 0), "")
}

// fitWords cuts plain text to w cells at a word boundary, with "…" where
// words were dropped, so nothing is cut mid-word.
func fitWords(s string, w int) string {
	if lipgloss.Width(s) <= w {
		return s
	}
	words := strings.Fields(s)
	out := ""
	for _, wd := range words {
		next := wd
		if out != "" {
			next = out + " " + wd
		}
		if lipgloss.Width(next)+2 > w {
			break
		}
		out = next
	}
	if out == "" {
		return truncate(s, w)
	}
	return out + " …"
}

// joinFit joins parts with sep, dropping trailing parts that do not fit in
// w cells (the first part always stays, cut at a word if it must).
func joinFit(parts []string, sep string, w int) string {
	out := ""
	for i, p := range parts {
		if p == "" {
			continue
		}
		next := p
		if out != "" {
			next = out + sep + p
		}
		if lipgloss.Width(next) > w {
			if i == 0 {
				return fitWords(p, w)
			}
			break
		}
		out = next
	}
	return out
}

// joinFitCounted is joinFit that says how many parts it left out, "+2 more"
// at its end, so that a narrow screen shows that settings are missing
// (the runs view's tricks column and compare show them all).
func joinFitCounted(parts []string, sep string, w int) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	if all := strings.Join(kept, sep); lipgloss.Width(all) <= w {
		return all
	}
	for n := len(kept) - 1; n > 0; n-- {
		out := strings.Join(kept[:n], sep) + sep + "+" + strconv.Itoa(len(kept)-n) + " more"
		if lipgloss.Width(out) <= w {
			return out
		}
	}
	return joinFit(kept, sep, w)
}

// firstFit is the first of forms, longest first, that fits in w cells;
// the last one cut to w when none does.
func firstFit(w int, forms ...string) string {
	for _, f := range forms {
		if lipgloss.Width(f) <= w {
			return f
		}
	}
	return fitWords(forms[len(forms)-1], w)
}

// fit cuts or pads s to exactly h lines of at most w cells.
func fit(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:max(h, 0)]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = truncate(l, w)
		}
	}
	return strings.Join(lines, "\n")
}

// wrapWords breaks plain text into lines of at most w cells at word
// boundaries (ansi.Wrap), at most lines of them; the last ends with "…"
// where words were left out (fitWords).
func wrapWords(s string, w, lines int) string {
	out := strings.Split(ansi.Wrap(s, max(w, 1), ""), "\n")
	if len(out) > lines {
		out = append(out[:lines-1], fitWords(strings.Join(out[lines-1:], " "), w))
	}
	return strings.Join(out, "\n")
}
