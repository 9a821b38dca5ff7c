package ui

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/table"
	"github.com/charmbracelet/lipgloss"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
)

// runCol is a column of the runs table: its title, width, priority (the
// narrower the screen, the fewer columns: lower numbers stay), its cell
// and its sort key (numbers sort high first, text low first).
type runCol struct {
	title string
	width int
	prio  int
	text  bool
	cell  func(runs.Info) string
	num   func(runs.Info) float64
	// has, when set, makes the column one that only some runs fill: it
	// is shown only when a run in the table has a value there.
	has func(runs.Info) bool
}

// Column indexes that the code names.
const (
	colID = 1
)

func f4(v float64) string {
	if v == 0 || math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.4f", v)
}

// validatedF1 is a run's F1 v as its row shows it: "-" before any
// validation, and a figure once the run has a best epoch, 0 included (a
// short run on a small set can score 0, which is not "no figure").
func validatedF1(i runs.Info, v float64) string {
	if i.Best.Epoch > 0 && !math.IsNaN(v) {
		return fmt.Sprintf("%.4f", v)
	}
	return f4(v)
}

func task(i runs.Info, t string) float64 { return i.Best.Tasks[t] }

var runCols = []runCol{
	{title: "status", width: 8, prio: 1, text: true, cell: func(i runs.Info) string {
		if training.Troubled(i.Alerts) {
			return string(i.Status) + "!" // a dead or runaway layer, a NaN loss
		}
		return string(i.Status)
	}},
	{title: "run", width: 30, prio: 0, text: true, cell: func(i runs.Info) string { return i.ID }},
	{title: "model", width: 11, prio: 2, text: true, cell: func(i runs.Info) string { return i.Model }},
	{title: "loss", width: 12, prio: 2, text: true, cell: finalLoss},
	{title: "optim", width: 6, prio: 4, text: true, cell: func(i runs.Info) string { return i.Optim }},
	{title: "lr", width: 9, prio: 3, cell: finalLR, num: func(i runs.Info) float64 {
		_, lr := training.FinalSettings(i)
		return lr
	}},
	{title: "epoch", width: 7, prio: 2, cell: func(i runs.Info) string { return fmt.Sprintf("%d/%d", i.EpochsDone, i.Epochs) }, num: func(i runs.Info) float64 { return float64(i.EpochsDone) }},
	{title: "best F1", width: 7, prio: 0, cell: func(i runs.Info) string { return validatedF1(i, i.Best.MacroF1) }, num: func(i runs.Info) float64 { return i.Best.MacroF1 }},
	// The best public leaderboard score of the run's own submissions
	// (maskdash submissions).
	{title: "public", width: 7, prio: 3, cell: func(i runs.Info) string {
		if i.Public == nil {
			return "-"
		}
		return f4(*i.Public)
	}, num: func(i runs.Info) float64 {
		if i.Public == nil {
			return -1 // below every score
		}
		return *i.Public
	}, has: func(i runs.Info) bool { return i.Public != nil }},
	{title: "@ep", width: 4, prio: 3, cell: func(i runs.Info) string { return fmt.Sprint(i.Best.Epoch) }, num: func(i runs.Info) float64 { return float64(i.Best.Epoch) }},
	{title: "last F1", width: 7, prio: 3, cell: func(i runs.Info) string { return validatedF1(i, i.LastF1) }, num: func(i runs.Info) float64 { return i.LastF1 }},
	{title: "mask", width: 6, prio: 5, cell: func(i runs.Info) string { return f3(task(i, "mask")) }, num: func(i runs.Info) float64 { return task(i, "mask") }},
	{title: "gender", width: 6, prio: 5, cell: func(i runs.Info) string { return f3(task(i, "gender")) }, num: func(i runs.Info) float64 { return task(i, "gender") }},
	{title: "age", width: 6, prio: 5, cell: func(i runs.Info) string { return f3(task(i, "age")) }, num: func(i runs.Info) float64 { return task(i, "age") }},
	{title: "img/s", width: 6, prio: 4, cell: func(i runs.Info) string {
		if i.IPS == 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f", i.IPS)
	}, num: func(i runs.Info) float64 { return i.IPS }},
	{title: "time", width: 8, prio: 4, cell: func(i runs.Info) string { return shortDur(i.Duration()) }, num: func(i runs.Info) float64 { return float64(i.Duration()) }},
	{title: "parent", width: 24, prio: 6, text: true, cell: func(i runs.Info) string { return i.Parent }},
	{title: "tricks", width: 28, prio: 5, text: true, cell: func(i runs.Info) string { return strings.Join(training.ConfigTricks(i.Config), " · ") }},
	{title: "note", width: 30, prio: 5, text: true, cell: func(i runs.Info) string { return runs.NoteLine(i.Note) }},
}

// finalLoss and finalLR are a run's loss and learning rate at its end,
// marked * when changed while it trained (the picked list says when and
// how).
func finalLoss(i runs.Info) string {
	loss, _ := training.FinalSettings(i)
	return loss + changedMark(loss != i.Loss)
}

func finalLR(i runs.Info) string {
	_, lr := training.FinalSettings(i)
	return fmt.Sprintf("%.3g", lr) + changedMark(lr != i.LR)
}

// changedMark marks a setting changed while training.
func changedMark(changed bool) string {
	if changed {
		return "*"
	}
	return ""
}

func f3(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", v)
}

func shortDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// groupKeys are the settings runs can be grouped by (g cycles).
var groupKeys = []string{"", "seed", "fold", "lr", "loss", "model", "optim", "sampler", "batch"}

// shownRow is a row of the table: a run, or a group of runs.
type shownRow struct {
	run   *runs.Listed
	depth int // in the lineage tree
	// fromParent is what a child in the lineage tree set otherwise than
	// its parent (runs.ChangedFrom), shown in the parent column there.
	fromParent string
	group      *runGroup
}

// runGroup is runs that share a setting: their F1 as mean ± spread.
type runGroup struct {
	key, value string
	ids        []string // its runs, to pick together
	n          int
	best, last []float64
	scored     []float64 // best F1 of the runs that finished an epoch
	epochs     float64
}

// shown is the table's rows: filtered, sorted, then grouped or laid out
// as a lineage tree.
func (r runsModel) shown() []shownRow {
	list := r.listed()
	if k := groupKeys[r.groupBy]; k != "" {
		return groupRows(list, k)
	}
	if r.tree {
		return treeRows(list)
	}
	out := make([]shownRow, len(list))
	for i, l := range list {
		out[i] = shownRow{run: l}
	}
	return out
}

// listed is the runs the filter lets through, in the table's sort.
func (r runsModel) listed() []*runs.Listed {
	var list []*runs.Listed
	for i := range r.rows {
		if runs.Matches(r.rows[i].Info, r.filter.Value()) {
			list = append(list, &r.rows[i])
		}
	}
	c := runCols[r.sortCol]
	sort.SliceStable(list, func(a, b int) bool {
		ia, ib := list[a].Info, list[b].Info
		var less bool
		if c.text || c.num == nil {
			less = c.cell(ia) < c.cell(ib)
		} else {
			less = c.num(ia) < c.num(ib)
		}
		if r.sortAsc {
			return less
		}
		if c.text || c.num == nil {
			return c.cell(ia) > c.cell(ib)
		}
		return c.num(ia) > c.num(ib)
	})
	return list
}

func groupRows(list []*runs.Listed, k string) []shownRow {
	by := map[string]*runGroup{}
	var order []string
	for _, l := range list {
		v := runs.Setting(l.Info, k)
		g, ok := by[v]
		if !ok {
			g = &runGroup{key: k, value: v}
			by[v] = g
			order = append(order, v)
		}
		g.n++
		g.ids = append(g.ids, l.Info.ID)
		g.best = append(g.best, l.Info.Best.MacroF1)
		if l.Info.Best.Epoch > 0 {
			g.scored = append(g.scored, l.Info.Best.MacroF1)
		}
		g.last = append(g.last, l.Info.LastF1)
		g.epochs += float64(l.Info.EpochsDone)
	}
	out := make([]shownRow, len(order))
	for i, v := range order {
		out[i] = shownRow{group: by[v]}
	}
	return out
}

// groupShare is what the grouping setting k accounts for in the listed
// runs' best macro F1, as `i` and `runs --importance` give it
// (runs.RunImportances: a number setting with many values, such as a
// random search's rates, in ranges, where the table has a group a
// value); false when the runs allow none.
func groupShare(list []*runs.Listed, k string) (runs.Importance, bool) {
	infos := make([]runs.Info, len(list))
	for i, l := range list {
		infos[i] = l.Info
	}
	imp, _ := runs.RunImportances(infos)
	for _, m := range imp {
		if m.Setting == k && !math.IsNaN(m.Share) {
			return m, true
		}
	}
	return runs.Importance{}, false
}

// treeRows puts each run under its parent (runs whose parent is not
// listed are roots), keeping the sort among siblings.
func treeRows(list []*runs.Listed) []shownRow {
	placed := runs.Lineage(list)
	out := make([]shownRow, len(placed))
	for i, p := range placed {
		out[i] = shownRow{run: p.Run, depth: p.Depth}
		if p.Parent != nil {
			out[i].fromParent = runs.ChangesLine(p.Changed())
		}
	}
	return out
}

func meanSpread(v []float64) (mean, sd float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		sd += (x - mean) * (x - mean)
	}
	if len(v) > 1 {
		sd = math.Sqrt(sd / float64(len(v)-1))
	}
	return mean, sd
}

// columnsFor picks the columns that fit w cells, by priority.
func columnsFor(w, idWidth int, rows []shownRow) []int {
	width := func(i int) int {
		if i == colID {
			return idWidth + 2
		}
		return runCols[i].width + 2
	}
	// In the lineage tree the parent column says what each child changed
	// (shownRow.fromParent): it comes before the per-task figures.
	tree := slices.ContainsFunc(rows, func(s shownRow) bool { return s.fromParent != "" })
	prio := func(i int) int {
		if tree && runCols[i].title == "parent" {
			return 2
		}
		return runCols[i].prio
	}
	// By priority, each column that still fits (those of priority 0
	// always): a column of a lower priority may fit where a wider one
	// of a higher did not.
	order := make([]int, len(runCols))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return prio(order[a]) < prio(order[b]) })
	on := make([]bool, len(runCols))
	total := 0
	for _, i := range order {
		if has := runCols[i].has; has != nil && !slices.ContainsFunc(rows, func(s shownRow) bool { return s.run != nil && has(s.run.Info) }) {
			continue // no run has a value there
		}
		if prio(i) == 0 || total+width(i) <= w {
			on[i] = true
			total += width(i)
		}
	}
	var cols []int
	for i, ok := range on {
		if ok {
			cols = append(cols, i)
		}
	}
	return cols
}

// maxIDWidth is the most the run column asks for when the columns are
// chosen: a whole id of up to this many cells is worth a column less.
const maxIDWidth = 44

// table draws the rows with bubbles' table, h lines with its header.
func (r runsModel) table(st Styles, w, h int) string {
	sh := r.shown()
	if len(sh) == 0 {
		return st.Dim.Render("no run matches " + r.filter.Value())
	}
	if groupKeys[r.groupBy] != "" {
		return r.groupTable(st, sh, h)
	}
	idCells := make([]string, len(sh))
	idWidth := 0
	for k, s := range sh {
		idCells[k] = r.idCell(st, s)
		idWidth = max(idWidth, lipgloss.Width(idCells[k]))
	}
	idWidth = max(min(idWidth, maxIDWidth), 8) // the ids shown, not a fixed width
	cols := columnsFor(w-2, idWidth, sh)
	var tc []table.Column
	tree := slices.ContainsFunc(sh, func(s shownRow) bool { return s.fromParent != "" })
	for _, i := range cols {
		t := runCols[i].title
		if t == "parent" && tree {
			t = "changed from parent"
		}
		if i == r.sortCol {
			if r.sortAsc {
				t += "↑"
			} else {
				t += "↓"
			}
		}
		cw := runCols[i].width
		if i == colID {
			cw = idWidth
		}
		tc = append(tc, table.Column{Title: t, Width: cw})
	}
	var rows []table.Row
	for k, s := range sh {
		var row table.Row
		for _, i := range cols {
			cell := runCols[i].cell(s.run.Info)
			if s.run.Err != nil {
				// A run whose run.json could not be read has no figures:
				// its zero values ("0/0", lr 0) are none of its own. Why
				// follows its id.
				cell = ""
				if runCols[i].title == "status" {
					cell = "error"
				}
			}
			if i == colID {
				cell = idCells[k]
			}
			if runCols[i].title == "parent" && s.fromParent != "" {
				cell = s.fromParent // the lineage tree: what it changed
			}
			row = append(row, cell)
		}
		rows = append(rows, row)
	}
	widen(tc, cols, rows, w-2)
	return r.render(st, tc, rows, h)
}

// idCell is a run's cell in the run column: its pick mark, its place in
// the lineage tree, its id and what kept it from loading.
func (r runsModel) idCell(st Styles, s shownRow) string {
	l := s.run
	mark := "  "
	if r.pick(l.Info.ID) > 0 {
		mark = "● "
		if !st.Color {
			mark = fmt.Sprintf("%d ", r.pick(l.Info.ID))
		}
	}
	cell := mark + strings.Repeat("  ", s.depth)
	if s.depth > 0 {
		cell += "└ "
	}
	cell += l.Info.ID
	if l.Err != nil {
		cell += " (" + l.Err.Error() + ")"
	}
	return cell
}

// widen gives the width the columns leave unused in w to the text
// columns whose cells are cut, the run's first, then the tricks', the
// note's and the loss's, each up to its longest cell: at 120 columns a run
// id of a mixed loss was cut to "…-0.6fo…" beside unused space.
func widen(tc []table.Column, cols []int, rows []table.Row, w int) {
	left := w
	for _, c := range tc {
		left -= c.Width + 2 // bubbles' table pads each cell by one on either side
	}
	for _, title := range []string{"run", "tricks", "note", "loss"} {
		for k, i := range cols {
			if runCols[i].title != title || left <= 0 {
				continue
			}
			need := 0
			for _, row := range rows {
				need = max(need, lipgloss.Width(row[k]))
			}
			if add := min(need-tc[k].Width, left); add > 0 {
				tc[k].Width += add
				left -= add
			}
		}
	}
}

func (r runsModel) groupTable(st Styles, sh []shownRow, h int) string {
	tc := []table.Column{{Title: groupKeys[r.groupBy], Width: 16}, {Title: "runs", Width: 5}, {Title: "best F1 mean ± sd", Width: 18}, {Title: "last F1 mean ± sd", Width: 18}, {Title: "epochs", Width: 7}}
	var rows []table.Row
	for _, s := range sh {
		g := s.group
		bm, bs := meanSpread(g.best)
		lm, ls := meanSpread(g.last)
		v := g.value
		if v == "" {
			v = "(unset)"
		}
		picked := 0
		for _, id := range g.ids {
			if r.pick(id) > 0 {
				picked++
			}
		}
		switch { // enter picks a group's runs (runsview.go's pickAll)
		case picked == len(g.ids):
			v = "● " + v
		case picked > 0:
			v = "◐ " + v
		default:
			v = "  " + v
		}
		rows = append(rows, table.Row{v, fmt.Sprint(g.n), fmt.Sprintf("%.4f ± %.4f", bm, bs), fmt.Sprintf("%.4f ± %.4f", lm, ls), fmt.Sprintf("%.1f", g.epochs/float64(g.n))})
	}
	return r.render(st, tc, rows, h)
}

func (r runsModel) render(st Styles, tc []table.Column, rows []table.Row, h int) string {
	if !st.Color && r.cursor < len(rows) && len(rows[r.cursor]) > 0 {
		// Without colour the selected row is marked in its first cell.
		rows[r.cursor] = append(table.Row{"> " + rows[r.cursor][0]}, rows[r.cursor][1:]...)
	}
	// The table gets only the rows on screen: bubbles' table, made afresh
	// with its cursor past its height, shows the rows above the cursor and
	// not the cursor's own.
	vis := tableRows(h)
	first := firstShown(r.top, r.cursor, len(rows), vis)
	rows = rows[first:min(first+vis, len(rows))]
	t := table.New(table.WithColumns(tc), table.WithRows(rows), table.WithHeight(max(h-1, 2)), table.WithFocused(true))
	s := table.DefaultStyles()
	s.Header = lipgloss.NewStyle().Bold(true).Padding(0, 1)
	s.Cell = lipgloss.NewStyle().Padding(0, 1)
	s.Selected = st.Cursor
	if st.Color {
		s.Selected = st.Cursor.Reverse(true)
	}
	t.SetStyles(s)
	t.SetCursor(r.cursor - first)
	return t.View()
}

// tableRows is how many rows a table h lines high shows (its header is
// a line).
func tableRows(h int) int { return max(h-1, 2) - 1 }

// firstShown is the first of n rows a table showing vis rows starts at:
// top, moved as little as brings the cursor on screen, and no further
// down than leaves the last page full.
func firstShown(top, cursor, n, vis int) int {
	top = min(max(top, cursor-vis+1), cursor)
	return max(0, min(top, n-vis))
}

// scrolled keeps the table's first row (top) where the cursor is on
// screen in a body h lines high: called after every key and listing, so
// that the table scrolls only when the cursor leaves it.
func (r runsModel) scrolled(h int) runsModel {
	r.top = firstShown(r.top, r.cursor, len(r.shown()), tableRows(r.tableHeight(r.headLines(), h)))
	return r
}

// headLines are the lines above the table: the title, and the filter and
// the last action's note when they show.
func (r runsModel) headLines() int {
	head := 1
	if r.filtering || r.filter.Value() != "" {
		head++
	}
	if r.noting != nil {
		head++
	}
	if r.answer != "" {
		head++
	}
	return head
}

// tableHeight is the runs table's height, title and header included, in
// a body of h lines of which head go to the title, filter and note.
// It leaves the rest (at least 40%) to the chart below: the picked runs'
// overlay, or the run under the cursor's curve.
func (r runsModel) tableHeight(head, h int) int {
	return max(3, min(len(r.shown())+2, (h-head)*6/10)) // the title and the header: two lines
}

func (r runsModel) pick(id string) int {
	for i, s := range r.selected {
		if s == id {
			return i + 1
		}
	}
	return 0
}

func mkdirParent(p string) error { return os.MkdirAll(filepath.Dir(p), 0o755) }

// rowAt finds the table row at line y of the runs view's body (a click).
func (r runsModel) rowAt(y, h int) (int, bool) {
	if r.side != nil || !r.loaded {
		return 0, false
	}
	head := r.headLines()
	n := len(r.shown())
	vis := tableRows(r.tableHeight(head, h))
	first := firstShown(r.top, r.cursor, n, vis)
	i := y - head - 1 // the table's header line
	if i < 0 || i >= min(vis, n-first) {
		return 0, false
	}
	return first + i, true
}
