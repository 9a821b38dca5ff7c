package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/charmbracelet/x/ansi"
	"golang.org/x/term"
)

// table is a command's table of text cells, printed in columns as wide as
// their widest cell (text/tabwriter's, two spaces apart). On a terminal
// narrower than that, the columns named in give give way (fit), as gh's
// tables do: a runs table with its parent, tricks and note ran to 270
// columns, and a 100-column terminal wrapped each row over three lines.
// Piped, or with --wide, every cell is whole, for grep and scripts.
type table struct {
	head []string
	rows [][]string
	// give lists the columns that give way, by their header, least needed
	// first: each in turn is cut (with "…"), down to its min width, and
	// if the table is still too wide and it may be dropped, it goes,
	// before the next is touched.
	give []give
}

// give is how one column gives way on a narrow terminal.
type give struct {
	col  string
	min  int  // the narrowest it is cut to
	drop bool // it may go altogether
}

// colGap is the space between columns (tabwriter's padding).
const colGap = 2

// widths is each column's width: its widest cell, of the rows that fill
// every column (a shorter row is printed under the table).
func (t *table) widths() []int {
	w := make([]int, len(t.head))
	for _, cells := range append([][]string{t.head}, t.rows...) {
		if len(cells) != len(w) {
			continue
		}
		for i, c := range cells {
			w[i] = max(w[i], ansi.StringWidth(c))
		}
	}
	return w
}

// total is the table's width with these column widths (0: dropped).
func total(ws []int) int {
	n, cols := 0, 0
	for _, w := range ws {
		if w > 0 {
			n, cols = n+w, cols+1
		}
	}
	return n + colGap*max(cols-1, 0)
}

// fit makes the table at most width columns wide where its give allows,
// and says what it changed: the columns it cut and those it dropped. A
// width of 0 or less (not a terminal, or --wide) changes nothing.
func (t *table) fit(width int) (cut, dropped []string) {
	full := t.widths()
	ws := slices.Clone(full)
	if width <= 0 || total(ws) <= width {
		return nil, nil
	}
	for _, g := range t.give {
		i := slices.Index(t.head, g.col)
		over := total(ws) - width
		if i < 0 || over <= 0 {
			continue
		}
		if ws[i] > g.min {
			ws[i] = max(g.min, ws[i]-over)
		}
		switch {
		case total(ws) > width && g.drop:
			ws[i] = 0
			dropped = append(dropped, g.col)
		case ws[i] < full[i]:
			cut = append(cut, g.col)
		}
	}
	keep := func(cells []string) []string {
		var out []string
		for i, c := range cells {
			switch {
			case i >= len(ws):
				out = append(out, c)
			case ws[i] > 0:
				out = append(out, ansi.Truncate(c, ws[i], "…"))
			}
		}
		return out
	}
	t.head = keep(t.head)
	for r, cells := range t.rows {
		if len(cells) == len(ws) {
			t.rows[r] = keep(cells)
		}
	}
	return cut, dropped
}

// print writes the table; a row shorter than the header (an unreadable
// run's id, status and error) goes under it, as its cells would break the
// columns of the rows below (the writer aligns runs of lines cell by cell).
func (t *table) print(out io.Writer) {
	tw := tabwriter.NewWriter(out, 0, 4, colGap, ' ', 0)
	var under []string
	for _, cells := range append([][]string{t.head}, t.rows...) {
		if len(cells) < len(t.head) {
			under = append(under, strings.Join(cells, "  "))
			continue
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	_ = tw.Flush() // a closed pipe has no one to tell
	for _, u := range under {
		fmt.Fprintln(out, u)
	}
}

// printFitted prints the table fitted to width columns (0: whole), and
// under it what the fitting did.
func (t *table) printFitted(out io.Writer, width int) {
	cut, dropped := t.fit(width)
	t.print(out)
	if note := fitNote(width, cut, dropped); note != "" {
		fmt.Fprintln(out, note)
	}
}

// fitNote is the line under a table fit changed: what it did and how to
// see the table whole, itself cut to the width; "" when it did nothing.
func fitNote(width int, cut, dropped []string) string {
	var did []string
	if len(dropped) > 0 {
		did = append(did, "left out "+strings.ToLower(strings.Join(dropped, ", ")))
	}
	if len(cut) > 0 {
		did = append(did, "cut "+strings.ToLower(strings.Join(cut, ", ")))
	}
	if len(did) == 0 {
		return ""
	}
	return ansi.Truncate(fmt.Sprintf("fitted to %d columns (--wide shows all): %s", width, strings.Join(did, "; ")), width, "…")
}

// tableWidth is the terminal's width when the output is one and wide is
// not set; 0 (no fitting) otherwise.
func (a *app) tableWidth(wide bool) int {
	f, ok := a.out.(*os.File)
	if wide || !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	w, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return w
}
