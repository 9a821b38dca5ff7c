package ui

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/guptarohit/asciigraph"
	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training/sweep"
)

// runsModel is the runs view: every run of the runs folder (and the
// trials of its sweeps) as a table to sort, filter, group and browse as a
// lineage tree; runs picked with enter get a metric overlaid (m: overlay.go) in
// stable colours and their differing settings listed, and until one is
// picked the run under the cursor has that metric drawn below the table;
// two picked runs compare side by side (v); a run can be archived or
// deleted (with undo) or watched and steered (w).
type runsModel struct {
	dir       string
	rows      []runs.Listed
	err       error
	loaded    bool
	cursor    int      // index into the shown rows
	top       int      // the first shown row on screen (scrolled)
	selected  []string // picked run ids, in the order picked
	colors    map[string]int
	overlay   overlayMetric
	curves    map[curveKey]runs.StepCurve
	sortCol   int
	sortAsc   bool
	filter    textinput.Model
	filtering bool
	noteInput textinput.Model
	noting    *noteEdit       // the note being written (N); nil none
	voting    *vote           // an ensemble's vote (E) that is running; nil none
	ctx       context.Context // the session's lifetime (Options.Context): a vote stops with it
	groupBy   int             // index into groupKeys; 0: no grouping
	tree      bool
	// importance shows, below the table, what each setting accounted
	// for in the shown runs' best F1 (i) instead of the run's curve.
	importance bool
	undo       []moved
	answer     string // the last action's answer
	answerBad  bool
	side       *sideModel            // side by side of two picked runs
	prepared   dataset.PreparedStore // where a vote reads and keeps the eval images
}

// moved is an archived or deleted run, for undo.
type moved struct {
	id, from, to, what string
}

// runsLoadedMsg carries the runs folder's listing.
type runsLoadedMsg struct {
	rows []runs.Listed
	err  error
	warn error // the leaderboard scores could not be read: the runs list without them
}

// noteEdit is a run's note being written in the one-line input.
type noteEdit struct {
	id, dir string
	rest    string // the note's lines after the first, left as they are
}

// noteSavedMsg reports a run's note written.
type noteSavedMsg struct {
	id, note string
	err      error
}

// movedMsg reports an archive, delete or undo.
type movedMsg struct {
	m    moved
	undo bool
	err  error
}

func newRunsModel(dir string) runsModel {
	f := textinput.New()
	f.Prompt = "/"
	f.Placeholder = "text or key=value …"
	f.CharLimit = 80
	n := textinput.New()
	n.Prompt = "note: "
	n.Placeholder = "what this run tries, what came of it"
	n.CharLimit = 200 // one line here; maskdash note writes longer ones
	return runsModel{dir: dir, curves: map[curveKey]runs.StepCurve{}, colors: map[string]int{}, sortCol: colID, filter: f, noteInput: n,
		ctx: context.Background()}
}

// load lists the runs folder (I/O, so in a command).
func (r runsModel) load() tea.Cmd {
	dir := r.dir
	return func() tea.Msg {
		// The trials of sweeps in the folder list too, as sweep/trial.
		rows, err := sweep.RunsAndTrials(dir)
		// Each run's best public leaderboard score (maskdash submissions).
		warn := runs.AttachLeaderboard(dir, rows)
		return runsLoadedMsg{rows, err, warn}
	}
}

func (r runsModel) update(msg tea.Msg) (runsModel, tea.Cmd) {
	switch msg := msg.(type) {
	case runsLoadedMsg:
		r.rows, r.err, r.loaded = msg.rows, msg.err, true
		if msg.warn != nil {
			r.answer, r.answerBad = "the leaderboard scores: "+msg.warn.Error(), true
		}
		r.cursor = min(r.cursor, max(len(r.shown())-1, 0))
		var cmds []tea.Cmd
		for _, id := range r.selected {
			cmds = append(cmds, r.loadCurve(id))
		}
		if id := r.previewID(); id != "" {
			cmds = append(cmds, r.loadCurve(id)) // read again: it may be training
		}
		return r, tea.Batch(cmds...)
	case curveLoadedMsg:
		if msg.err != nil {
			r.answer, r.answerBad = fmt.Sprintf("%s: %v", msg.key.id, msg.err), true
		} else {
			r.curves[msg.key] = msg.curve
		}
	case movedMsg:
		switch {
		case msg.err != nil:
			r.answer, r.answerBad = msg.err.Error(), true
		case msg.undo:
			r.answer, r.answerBad = fmt.Sprintf("%s is back", msg.m.id), false
		default:
			r.undo = append(r.undo, msg.m)
			r.answer, r.answerBad = fmt.Sprintf("%s %s (u undoes)", msg.m.id, msg.m.what), false
		}
		return r, r.load()
	case ensembledMsg:
		r.voting = nil
		r.answer, r.answerBad = msg.said()
		return r, nil
	case noteSavedMsg:
		switch {
		case msg.err != nil:
			r.answer, r.answerBad = msg.err.Error(), true
		case msg.note == "":
			r.answer, r.answerBad = msg.id+": note removed", false
		default:
			r.answer, r.answerBad = msg.id+": note saved", false
		}
		return r, r.load()
	case sideLoadedMsg:
		if r.side != nil {
			s := *r.side
			s.diff, s.settings, s.err, s.loaded = msg.diff, msg.settings, msg.err, true
			r.side = &s
		}
	}
	return r, nil
}

// info is run id's listing, if the folder still lists it.
func (r runsModel) info(id string) (runs.Info, bool) {
	for _, l := range r.rows {
		if l.Info.ID == id {
			return l.Info, true
		}
	}
	return runs.Info{}, false
}

// pickedInfos are the picked runs the folder still lists, in pick order.
func (r runsModel) pickedInfos() []runs.Info {
	var out []runs.Info
	for _, id := range r.selected {
		if i, ok := r.info(id); ok {
			out = append(out, i)
		}
	}
	return out
}

// current is the run under the cursor (nil on a group row or nothing).
func (r runsModel) current() *runs.Listed {
	sh := r.shown()
	if r.cursor >= len(sh) || sh[r.cursor].group != nil {
		return nil
	}
	return sh[r.cursor].run
}

// key handles a key, then reads the curve of the run under the cursor if
// it is to be drawn and is not yet read. The last action's answer goes
// at the next key (a key that answers sets its own).
func (r runsModel) key(msg tea.KeyMsg, k KeyMap) (runsModel, tea.Cmd) {
	if !r.filtering && r.noting == nil {
		r.answer, r.answerBad = "", false
	}
	r, cmd := r.handleKey(msg, k)
	return r, tea.Batch(cmd, r.loadPreview())
}

// previewID is the run whose curve the view draws when no run is picked:
// the one under the cursor ("" when runs are picked, or on a group row).
func (r runsModel) previewID() string {
	if len(r.selected) > 0 || r.side != nil {
		return ""
	}
	if l := r.current(); l != nil {
		return l.Info.ID
	}
	return ""
}

// loadPreview reads the previewed run's curve if it is not read yet.
func (r runsModel) loadPreview() tea.Cmd {
	id := r.previewID()
	if _, ok := r.curves[curveKey{id, r.overlay}]; id == "" || ok {
		return nil
	}
	return r.loadCurve(id)
}

func (r runsModel) handleKey(msg tea.KeyMsg, k KeyMap) (runsModel, tea.Cmd) {
	if r.noting != nil {
		return r.noteKey(msg, k)
	}
	if r.filtering {
		switch {
		case key.Matches(msg, k.Apply), key.Matches(msg, k.Cancel):
			r.filtering = false
			r.filter.Blur()
			if key.Matches(msg, k.Cancel) {
				r.filter.SetValue("")
			}
			r.cursor = 0
			return r, nil
		}
		var cmd tea.Cmd
		r.filter, cmd = r.filter.Update(msg)
		r.cursor = 0
		return r, cmd
	}
	if r.side != nil {
		if key.Matches(msg, k.Back) || key.Matches(msg, k.Compare) {
			r.side = nil
		}
		return r, nil
	}
	n := len(r.shown())
	switch {
	case key.Matches(msg, k.Up):
		r.cursor = max(r.cursor-1, 0)
	case key.Matches(msg, k.Down):
		r.cursor = min(r.cursor+1, max(n-1, 0))
	case key.Matches(msg, k.Filter):
		r.filtering = true
		return r, r.filter.Focus()
	case key.Matches(msg, k.Back) && r.voting != nil:
		// esc first stops a vote: the one thing here that runs on.
		if !r.voting.cancelled {
			r.voting.cancelled = true
			r.voting.cancel()
			r.answer, r.answerBad = "ensemble: stopping the vote…", false
		}
	case key.Matches(msg, k.Back):
		r.filter.SetValue("")
		r.groupBy, r.tree = 0, false
	case key.Matches(msg, k.SortNext):
		r.sortCol = (r.sortCol + 1) % len(runCols)
		r.sortAsc = runCols[r.sortCol].text
	case key.Matches(msg, k.SortFlip):
		r.sortAsc = !r.sortAsc
	case key.Matches(msg, k.Group):
		r.groupBy = (r.groupBy + 1) % len(groupKeys)
		r.cursor = 0
	case key.Matches(msg, k.Tree):
		r.tree = !r.tree
	case key.Matches(msg, k.Importance):
		r.importance = !r.importance
	case key.Matches(msg, k.Compare):
		if len(r.selected) != 2 {
			r.answer, r.answerBad = "side by side: pick two runs with enter first", true
			return r, nil
		}
		s := sideModel{a: r.selected[0], b: r.selected[1]}
		r.side = &s
		return r, s.load(r.dir)
	case key.Matches(msg, k.Overlay):
		r.overlay = (r.overlay + 1) % overlayMetrics
		var cmds []tea.Cmd
		for _, id := range r.selected {
			if _, ok := r.curves[curveKey{id, r.overlay}]; !ok {
				cmds = append(cmds, r.loadCurve(id))
			}
		}
		return r, tea.Batch(cmds...)
	case key.Matches(msg, k.Archive), key.Matches(msg, k.Delete):
		l := r.current()
		if l == nil {
			return r, nil
		}
		if l.Info.Status == runs.StatusRunning {
			r.answer, r.answerBad = l.Info.ID+" is training: stop it first", true
			return r, nil
		}
		sh, what := runs.ShelfArchive, "archived"
		if key.Matches(msg, k.Delete) {
			sh, what = runs.ShelfTrash, "deleted (moved to .trash)"
		}
		from := filepath.Join(r.dir, filepath.FromSlash(l.Info.ID))
		to := filepath.Join(r.dir, string(sh), filepath.FromSlash(l.Info.ID))
		mv := moved{id: l.Info.ID, from: from, to: to, what: what}
		return r, func() tea.Msg { return movedMsg{m: mv, err: runs.MoveDir(from, to)} }
	case key.Matches(msg, k.Undo):
		if len(r.undo) == 0 {
			r.answer, r.answerBad = "nothing to undo", true
			return r, nil
		}
		mv := r.undo[len(r.undo)-1]
		r.undo = r.undo[:len(r.undo)-1]
		return r, func() tea.Msg { return movedMsg{m: mv, undo: true, err: runs.MoveDir(mv.to, mv.from)} }
	case key.Matches(msg, k.Ensemble):
		return r.ensemble()
	case key.Matches(msg, k.Note):
		l := r.current()
		if l == nil {
			return r, nil
		}
		first, rest, _ := strings.Cut(l.Info.Note, "\n")
		r.noting = &noteEdit{id: l.Info.ID, dir: l.Info.Dir, rest: strings.TrimSpace(rest)}
		r.noteInput.SetValue(strings.TrimSpace(first))
		r.noteInput.CursorEnd()
		return r, r.noteInput.Focus()
	case key.Matches(msg, k.Watch):
		l := r.current()
		if l == nil {
			return r, nil
		}
		d := watchDir(r.dir, *l)
		return r, func() tea.Msg { return watchMsg{dir: d} }
	case key.Matches(msg, k.PickShown):
		// Every run the filter lets through (a filter, then *, then E
		// votes with every run that passed it).
		var ids []string
		for _, l := range r.listed() {
			if l.Err == nil {
				ids = append(ids, l.Info.ID)
			}
		}
		if len(ids) == 0 {
			r.answer, r.answerBad = "no run shown to pick", true
			return r, nil
		}
		r, cmd := r.pickAll(ids)
		shown := fmt.Sprintf("the %d runs shown", len(ids))
		if len(ids) == 1 {
			shown = "the run shown"
		}
		if r.pick(ids[0]) > 0 {
			r.answer = fmt.Sprintf("picked %s (%d picked in all; * again drops them)", shown, len(r.selected))
		} else {
			r.answer = fmt.Sprintf("dropped %s (%d still picked)", shown, len(r.selected))
		}
		return r, cmd
	case key.Matches(msg, k.Select):
		if g := r.currentGroup(); g != nil {
			return r.pickAll(g.ids)
		}
		l := r.current()
		if l == nil {
			return r, nil
		}
		id := l.Info.ID
		for i, s := range r.selected {
			if s == id {
				r.selected = append(r.selected[:i:i], r.selected[i+1:]...)
				delete(r.colors, id)
				return r, nil
			}
		}
		r.selected = append(r.selected, id)
		r.colors[id] = r.freeColor()
		return r, r.loadCurve(id)
	}
	return r, nil
}

// typing reports whether keys go to a text input of the view (the
// filter, a note) rather than to the dashboard.
func (r runsModel) typing() bool { return r.filtering || r.noting != nil }

// noteKey handles a key while a run's note is being written: enter saves
// it (in a command: I/O), esc leaves it as it was.
func (r runsModel) noteKey(msg tea.KeyMsg, k KeyMap) (runsModel, tea.Cmd) {
	switch {
	case key.Matches(msg, k.Apply):
		e, text := *r.noting, strings.TrimSpace(r.noteInput.Value())
		if e.rest != "" {
			text += "\n" + e.rest
		}
		r.noting = nil
		r.noteInput.Blur()
		return r, func() tea.Msg {
			return noteSavedMsg{id: e.id, note: strings.TrimSpace(text), err: runs.WriteNote(e.dir, text)}
		}
	case key.Matches(msg, k.Cancel):
		r.noting = nil
		r.noteInput.Blur()
		return r, nil
	}
	var cmd tea.Cmd
	r.noteInput, cmd = r.noteInput.Update(msg)
	return r, cmd
}

// currentGroup is the group under the cursor (nil on a run's row).
func (r runsModel) currentGroup() *runGroup {
	sh := r.shown()
	if r.cursor >= len(sh) {
		return nil
	}
	return sh[r.cursor].group
}

// pickAll picks the runs (a group's, or every one shown: those not
// picked yet), or drops them all when every one is picked already.
func (r runsModel) pickAll(ids []string) (runsModel, tea.Cmd) {
	all := true
	for _, id := range ids {
		all = all && r.pick(id) > 0
	}
	if all {
		var kept []string
		for _, id := range r.selected {
			if slices.Contains(ids, id) {
				delete(r.colors, id)
				continue
			}
			kept = append(kept, id)
		}
		r.selected = kept
		return r, nil
	}
	var cmds []tea.Cmd
	for _, id := range ids {
		if r.pick(id) == 0 {
			r.selected = append(r.selected, id)
			r.colors[id] = r.freeColor()
			cmds = append(cmds, r.loadCurve(id))
		}
	}
	return r, tea.Batch(cmds...)
}

// freeColor is the first overlay colour no picked run has: a run keeps
// its colour while picked, whatever is picked or dropped after it.
func (r runsModel) freeColor() int {
	used := map[int]bool{}
	for _, c := range r.colors {
		used[c] = true
	}
	for c := 0; ; c++ {
		if !used[c] {
			return c
		}
	}
}

var overlayColors = []asciigraph.AnsiColor{asciigraph.Blue, asciigraph.Red, asciigraph.Green, asciigraph.Yellow, asciigraph.Magenta, asciigraph.Cyan}

// overlayNames name overlayColors (compare's legend in colour).
var overlayNames = []string{"blue", "red", "green", "yellow", "magenta", "cyan"}

func (r runsModel) view(st Styles, w, h int) string {
	if !r.loaded {
		return st.Dim.Render("reading " + r.dir + " …")
	}
	if r.err != nil {
		return st.Bad.Render(r.err.Error())
	}
	if r.side != nil {
		return r.side.view(st, w, h)
	}
	if len(r.rows) == 0 {
		return st.Dim.Render("no runs in " + r.dir)
	}
	var b strings.Builder
	title := []string{"runs in " + r.dir}
	if g := groupKeys[r.groupBy]; g != "" {
		// With its share of best F1's spread (ε², as sweep status and
		// runs --importance give it), where the runs allow one.
		if imp, ok := groupShare(r.listed(), g); ok {
			scoredGroups := 0
			for _, s := range r.shown() {
				if s.group != nil && len(s.group.scored) > 0 {
					scoredGroups++
				}
			}
			ranges := ""
			if imp.Groups < scoredGroups { // its values cut into ranges
				ranges = fmt.Sprintf(", its values in %d ranges", imp.Groups)
			}
			g += fmt.Sprintf(" (ε² %.2f of best F1%s)", max(imp.Share, 0), ranges)
		}
		title = append(title, "grouped by "+g)
	}
	if r.tree {
		title = append(title, "lineage")
	}
	title = append(title, "sorted by "+runCols[r.sortCol].title, "/ filter · o/O sort · g group · i what settings did · t tree · enter pick · v side by side · E ensemble · w watch · N note · a archive · D delete · u undo")
	b.WriteString(st.BoxTitle.Render(joinFit(title, " · ", w)))
	if r.filtering || r.filter.Value() != "" {
		line := r.filter.View()
		if _, err := runs.ParseFilter(r.filter.Value()); err != nil {
			line += "  " + st.Bad.Render(err.Error()) // and no run matches
		}
		b.WriteString("\n" + truncate(line, w))
	}
	if r.noting != nil {
		b.WriteString("\n" + truncate(r.noteInput.View(), w))
	}
	if r.answer != "" {
		style := st.Good
		if r.answerBad {
			style = st.Bad
		}
		// Up to three lines: a vote's answer has its scores, offsets,
		// weights and files.
		b.WriteString("\n" + style.Render(wrapWords(r.answer, w, 3)))
	}
	used := strings.Count(b.String(), "\n") + 1
	b.WriteString("\n" + r.table(st, w, r.tableHeight(used, h)))
	if len(r.selected) == 0 {
		if r.importance {
			return b.String() + r.importancePanel(st, w, h-strings.Count(b.String(), "\n")-1)
		}
		return b.String() + r.preview(st, w, h-strings.Count(b.String(), "\n")-1)
	}
	// The list of picked runs takes at most half of what the table
	// leaves, so that the chart keeps the rest however many are picked
	// (* picks every run shown).
	b.WriteString("\n" + r.picked(st, w, max(3, (h-used-r.tableHeight(used, h))/2)))
	used = strings.Count(b.String(), "\n") + 1
	if h-used-1 >= 4 {
		if values, members, ok := r.aggregated(); ok {
			b.WriteString("\n" + r.groupOverlay(st, w, h-used-1, groupKeys[r.groupBy], values, members))
			return b.String()
		}
		b.WriteString("\n" + st.BoxTitle.Render(r.overlay.title()+", picked runs overlaid · m: another metric") + "\n")
		var curves []runs.StepCurve
		var colors []asciigraph.AnsiColor
		var chars []asciigraph.CharSet
		loaded, values := true, false
		for _, id := range r.selected {
			c, ok := r.curves[curveKey{id, r.overlay}]
			loaded = loaded && ok
			values = values || slices.ContainsFunc(c.Values, func(v float64) bool { return !math.IsNaN(v) })
			curves = append(curves, c)
			colors = append(colors, overlayColors[r.colors[id]%len(overlayColors)])
			chars = append(chars, curveChars[r.colors[id]%len(curveChars)])
		}
		if loaded && !values && r.overlay.task() {
			b.WriteString(st.Dim.Render(truncate("no picked run has this task's figures: runs of the mask layout's 18 classes have them", w)))
			return b.String()
		}
		b.WriteString(overlayChart(curves, r.overlay == overlayTrainLoss, chartOpts{W: w, H: h - used - 1, Color: st.Color, Colors: colors, Chars: chars}))
	}
	return b.String()
}

// groupOverlay draws, in h rows, the picked runs' curves averaged by
// group (the table grouped by key, and some group has two runs or more:
// seeds, folds): one mean curve a group, named with its runs and its last
// point's mean ± sample deviation.
func (r runsModel) groupOverlay(st Styles, w, h int, key string, values []string, members [][]int) string {
	var curves []runs.StepCurve
	for _, id := range r.selected {
		curves = append(curves, r.curves[curveKey{id, r.overlay}])
	}
	perStep := r.overlay == overlayTrainLoss
	series, last := overlaySeries(curves, perStep, max(w-14, 10))
	means, ends := groupMeans(series, members)
	var legend []string
	for g, v := range values {
		end := "no value yet"
		if ends[g].n > 0 {
			end = fmt.Sprintf("last %.4f ± %.4f of %d", ends[g].mean, ends[g].sd, ends[g].n)
		}
		legend = append(legend, fmt.Sprintf("%s=%s (%s): %d runs, %s", key, v, CurveMark(g, st.Color), len(members[g]), end))
	}
	title := st.BoxTitle.Render(truncate(r.overlay.title()+", picked runs' mean by "+key+" · esc: each run · m: another metric", w))
	head := title + "\n" + st.Dim.Render(fitWords(strings.Join(legend, " · "), w)) + "\n"
	return head + plotLaid(means, last, perStep, curveStyles(chartOpts{W: w, H: max(h-2, 3)}, len(means), st.Color))
}

// preview draws the overlaid metric of the run under the cursor in the
// h rows left below the table ("" when fewer than five are left, or no
// run is under the cursor).
func (r runsModel) preview(st Styles, w, h int) string {
	id := r.previewID()
	if id == "" || h-1 < 4 {
		return ""
	}
	if l := r.current(); l != nil && l.Err != nil {
		// Its row has room for the start of why only.
		return "\n" + st.BoxTitle.Render(truncate(id+": its record cannot be read", w)) + "\n" + st.Bad.Width(w).Render(l.Err.Error())
	}
	c, ok := r.curves[curveKey{id, r.overlay}]
	if !ok {
		return "\n" + st.Dim.Render(truncate("reading "+id+" …", w))
	}
	parts := []string{r.overlay.title() + " of " + id}
	if l := r.current(); l != nil && l.Info.Note != "" {
		parts = append(parts, "“"+runs.NoteLine(l.Info.Note)+"”")
	}
	if l := r.current(); l != nil && l.Info.Offsets != nil {
		o := l.Info.Offsets
		parts = append(parts, fmt.Sprintf("class offsets for epoch %d: %+.4f macro F1 on held-out halves", o.Epoch, o.HeldOutGain))
	}
	title := joinFit(append(parts, "the run under the cursor", "enter picks runs to overlay", "m: another metric"), " · ", w)
	head := "\n" + st.BoxTitle.Render(title) + "\n"
	// In the lineage tree, a line of what the child set otherwise than
	// its parent: the table's parent column says it too where the width
	// leaves room for it, which at 120 columns dated run ids take.
	if sh := r.shown(); r.cursor < len(sh) && sh[r.cursor].fromParent != "" && h-2 >= 4 {
		head += st.Dim.Render(fitWords("changed from its parent: "+sh[r.cursor].fromParent, w)) + "\n"
		h--
	}
	return head + overlayChart([]runs.StepCurve{c}, r.overlay == overlayTrainLoss,
		chartOpts{W: w, H: h - 1, Color: st.Color, Colors: []asciigraph.AnsiColor{overlayColors[0]}})
}

// picked lists the picked runs with their colours, the settings that
// differ among them and the changes made while they trained, in at most
// lines lines (the rest counted on the last).
func (r runsModel) picked(st Styles, w, lines int) string {
	infos := r.pickedInfos()
	more := 0
	if len(infos)+1 > lines { // the title, the runs that fit and a line for the rest
		more = len(infos) - (lines - 2)
	}
	diff := runs.DifferingSettings(infos)
	if len(infos) < 2 {
		diff = []string{"model", "loss", "lr"}
	}
	// Where the overlay averages by group, each run is marked as its
	// group's curve.
	group := map[string]int{}
	if values, members, ok := r.aggregated(); ok && len(values) > 0 {
		for g, m := range members {
			for _, i := range m {
				group[r.selected[i]] = g
			}
		}
	}
	var b strings.Builder
	b.WriteString(st.BoxTitle.Render("picked runs: settings that differ, and changes made while training"))
	for _, info := range infos[:len(infos)-more] {
		var kv []string
		for _, k := range diff {
			kv = append(kv, k+"="+runs.SettingText(info.Config[k]))
		}
		kv = append(kv, changeWords(info)...)
		if info.Note != "" {
			kv = append(kv, "· "+runs.NoteLine(info.Note))
		}
		c := r.colors[info.ID] % len(overlayColors)
		if g, ok := group[info.ID]; ok {
			c = g % len(overlayColors) // its group's curve
		}
		mark := "■ "
		if !st.Color {
			mark = "(" + curveGlyphs[c%len(curveGlyphs)] + ") " // its line in the chart
		}
		line := fmt.Sprintf("%s%s  best F1 %.4f  %s", mark, info.ID, info.Best.MacroF1, strings.Join(kv, " "))
		if ansi.StringWidth(line) > w {
			// On a narrow screen what differs comes first and the run's
			// id last: the table above names the picked runs (●), and a
			// cut id says less than cut settings would.
			line = fmt.Sprintf("%sF1 %.4f  %s  %s", mark, info.Best.MacroF1, strings.Join(kv, " "), info.ID)
		}
		line = truncate(line, w)
		if st.Color {
			line = overlayColors[c].String() + line + "\x1b[0m"
		}
		b.WriteString("\n" + line)
	}
	if more > 0 {
		b.WriteString("\n" + st.Dim.Render(truncate(fmt.Sprintf("… and %d more picked (the chart draws every one; the table marks them ●)", more), w)))
	}
	return b.String()
}

// changeWords describes a run's live changes: "lr ×0.5 at step 1,840".
func changeWords(info runs.Info) []string {
	var out []string
	lr := info.LR
	for _, c := range info.Changes {
		switch c.Setting {
		case "lr":
			var v float64
			if _, err := fmt.Sscan(c.Value, &v); err == nil && lr > 0 {
				out = append(out, fmt.Sprintf("lr ×%.3g at step %s", v/lr, thousands(c.Step)))
				lr = v
				continue
			}
			out = append(out, fmt.Sprintf("lr %s at step %s", c.Value, thousands(c.Step)))
		default:
			out = append(out, fmt.Sprintf("%s → %s at step %s", c.Setting, c.Value, thousands(c.Step)))
		}
	}
	return out
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
