package ui

import (
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/ui/thumb"
	"github.com/muesli/termenv"
)

// The errors pane shows the validation images of one confusion cell
// (truth × prediction) of one epoch, worst first, as thumbnails. It reads
// the run folder's val/ predictions and the images in a command, so a
// viewer who joins late, or over SSH, sees the same.

// Thumbnail geometry: rows of text a thumbnail takes, and the width of
// its slot (the picture centred, captions under it).
const (
	thumbRows  = 6
	thumbSlotW = 18
	maxThumbs  = 60 // the worst images of a cell that get a thumbnail
)

// errorsModel is the errors pane's state.
type errorsModel struct {
	open         bool
	runDir       string
	epoch        int
	truth, pred  int
	gen          int // counts openings; a load for an earlier one is dropped
	loading      bool
	err          error
	preds        *runs.ValPreds
	dataDir      string     // where the images' relative paths are (run.json's data_dir)
	idx          []int      // the cell's images, worst first
	thumbs       [][]string // a drawing per shown image
	sel          int
	fullProtocol thumb.Protocol
	fixes        string // the label corrections file F appends to
	profile      termenv.Profile
	maps         classMapMode // m: the thumbnails with their class activation maps
	mapsFrom     string       // whose weights drew them (training.MapPredictor's which)
	mapsErr      error        // why the maps are not drawn
}

// classMapMode is what the errors pane draws over its thumbnails: nothing,
// or each image's class activation map of its predicted or its true class
// (training.ClassMap), over the image as the net saw it.
type classMapMode int

const (
	mapsOff classMapMode = iota
	mapsPredicted
	mapsTrue
)

// next is the mode m moves to.
func (c classMapMode) next() classMapMode { return (c + 1) % 3 }

func (c classMapMode) String() string {
	return [...]string{"off", "predicted", "true"}[c]
}

// hint says what m does in the mode before c.
func (c classMapMode) hint() string {
	return [...]string{"the images alone", "the predicted class's maps", "the true class's maps"}[c]
}

// errorsLoadedMsg carries a cell's images, read in a command.
type errorsLoadedMsg struct {
	gen      int
	preds    *runs.ValPreds
	dataDir  string
	idx      []int
	thumbs   [][]string
	err      error
	mapsFrom string // the class maps' weights, when drawn
	mapsErr  error  // why they are not
}

// openCell opens the pane on a cell and loads it.
func (e errorsModel) openCell(runDir string, epoch, truth, pred int, profile termenv.Profile) (errorsModel, tea.Cmd) {
	e = errorsModel{open: true, runDir: runDir, epoch: epoch, truth: truth, pred: pred, gen: e.gen + 1, loading: true, fullProtocol: e.fullProtocol,
		profile: profile, maps: e.maps}
	return e, e.load()
}

// load reads the cell's images and draws their thumbnails (with their
// class maps, in that mode), in a command.
func (e errorsModel) load() tea.Cmd {
	runDir, epoch, truth, pred, gen, profile, mode := e.runDir, e.epoch, e.truth, e.pred, e.gen, e.profile, e.maps
	kitty := e.fullProtocol == thumb.ProtoKitty && profile != termenv.Ascii
	return func() tea.Msg {
		dataDir := "" // where relative image paths are (run.json's data_dir); read here, not in Update
		if info, err := runs.ReadInfo(runDir); err == nil {
			dataDir = info.DataDir
		}
		p, err := runs.ReadValPreds(runDir, epoch)
		if err != nil {
			return errorsLoadedMsg{gen: gen, err: err}
		}
		idx := p.Worst(truth, pred, 0)
		src := &dataset.Images{Dir: dataDir}
		shown := idx[:min(len(idx), maxThumbs)]
		imgs := make([]image.Image, len(shown))
		errs := make([]error, len(shown))
		for k, i := range shown {
			imgs[k], errs[k] = src.Image(p.Items[i].Path, p.Items[i].Mem)
		}
		msg := errorsLoadedMsg{gen: gen, preds: p, dataDir: dataDir, idx: idx}
		if mode != mapsOff {
			msg.mapsFrom, msg.mapsErr = drawMaps(runDir, p, shown, imgs, errs, mode)
		}
		var th [][]string
		for k, img := range imgs {
			if errs[k] != nil {
				th = append(th, []string{"(no image:", clip(errs[k].Error(), thumbSlotW-2) + ")"})
				continue
			}
			cols := min(thumb.Cols(img, thumbRows), thumbSlotW-2)
			if kitty {
				// Kitty's own pictures, as placeholder text the renderer
				// moves and clears like any other (see thumb.KittyPlaceholder).
				id := uint32(gen%4096)*64 + uint32(len(th)) + 1
				if tx, lines, err := thumb.KittyPlaceholder(img, id, cols, thumbRows); err == nil {
					lines[0] = tx + lines[0]
					th = append(th, lines)
					continue
				}
			}
			th = append(th, thumb.BlocksIn(profile, img, cols, thumbRows))
		}
		msg.thumbs = th
		return msg
	}
}

// drawMaps replaces each decoded image of imgs (the images shown of p)
// by the net's view of it with its class activation map over it (the
// predicted or the true class's, by mode), computed on the CPU with the
// weights of p's epoch (or the best, when those are gone). It returns
// whose weights those were, or why there are no maps (imgs then stay).
func drawMaps(runDir string, p *runs.ValPreds, shown []int, imgs []image.Image, errs []error, mode classMapMode) (string, error) {
	pr, whose, err := training.MapPredictor(runDir, p.Epoch)
	if err != nil {
		return "", err
	}
	var in []image.Image
	var classes, at []int
	for k, i := range shown {
		if errs[k] != nil {
			continue
		}
		c := p.Pred[i]
		if mode == mapsTrue {
			c = p.Truth[i]
		}
		in, classes, at = append(in, imgs[k]), append(classes, c), append(at, k)
	}
	ms, err := pr.ClassMaps(in, classes)
	if cerr := pr.Net.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	for j, m := range ms {
		imgs[at[j]] = thumb.Heat(m.Seen, m.Map, m.H, m.W)
	}
	return whose, nil
}

func (e errorsModel) loaded(msg errorsLoadedMsg) errorsModel {
	if msg.gen != e.gen {
		return e
	}
	sel := 0
	if e.preds != nil && msg.preds != nil { // the same cell drawn again (m): the selection stays
		sel = min(e.sel, max(len(msg.thumbs)-1, 0))
	}
	e.loading, e.err, e.preds, e.idx, e.thumbs, e.sel = false, msg.err, msg.preds, msg.idx, msg.thumbs, sel
	e.dataDir, e.mapsFrom, e.mapsErr = msg.dataDir, msg.mapsFrom, msg.mapsErr
	if msg.mapsErr != nil {
		e.maps = mapsOff
	}
	return e
}

// perRow is how many thumbnails a row of the pane holds.
func perRow(w int) int { return max(1, (w+1)/(thumbSlotW+1)) }

// key moves the selection; esc closes the pane; enter shows the image
// large.
func (e errorsModel) key(msg tea.KeyMsg, k KeyMap, w int) (errorsModel, tea.Cmd) {
	n := len(e.thumbs)
	switch {
	case key.Matches(msg, k.Back):
		e.open = false
	case key.Matches(msg, k.Left):
		e.sel = max(0, e.sel-1)
	case key.Matches(msg, k.Right):
		e.sel = min(max(n-1, 0), e.sel+1)
	case key.Matches(msg, k.Up):
		e.sel = max(0, e.sel-perRow(w))
	case key.Matches(msg, k.Down):
		if e.sel+perRow(w) < n {
			e.sel += perRow(w)
		}
	case key.Matches(msg, k.Select):
		return e, e.showLarge()
	case key.Matches(msg, k.FlagLabel):
		return e, e.flag()
	case key.Matches(msg, k.ClassMap):
		if e.loading || e.preds == nil {
			return e, nil
		}
		e.maps, e.mapsErr, e.gen = e.maps.next(), nil, e.gen+1
		e.loading = true
		return e, e.load()
	}
	return e, nil
}

// labelFlaggedMsg reports the corrections F proposed for an image and
// what was added to the corrections file.
type labelFlaggedMsg struct {
	id        string // the person
	rows      []string
	added     int
	path, why string
	err       error
}

// flag appends the corrections that would make the selected image's
// label its prediction (dataset.SuggestCorrections) to the corrections
// file, for a look and train --fix-labels.
func (e errorsModel) flag() tea.Cmd {
	if e.preds == nil || e.sel >= len(e.idx) || e.fixes == "" {
		return nil
	}
	i := e.idx[e.sel]
	it, truth, pred := e.preds.Items[i], e.preds.Truth[i], e.preds.Pred[i]
	runDir, path := e.runDir, e.fixes
	return func() tea.Msg {
		p, err := dataset.ParseProfile(filepath.Base(filepath.Dir(it.Path)))
		if err != nil {
			return labelFlaggedMsg{err: fmt.Errorf("%s is not in a person's folder: only the mask layout's images can be relabelled", it.Name)}
		}
		bins := dataset.DefaultAgeBins
		if info, err := runs.ReadInfo(runDir); err == nil {
			if b, err := dataset.ParseAgeBins(fmt.Sprint(info.Config["age_bins"])); err == nil {
				bins = b
			}
		}
		rows, why := dataset.SuggestCorrections(p, truth, pred, bins)
		if len(rows) == 0 {
			return labelFlaggedMsg{id: p.ID, why: why}
		}
		n, err := dataset.AppendCorrections(path, rows)
		return labelFlaggedMsg{id: p.ID, rows: rows, added: n, path: path, why: why, err: err}
	}
}

// showLarge hands the terminal to a picture of the selected image in the
// terminal's own protocol (kitty, iTerm2, sixel), or large half blocks,
// until enter is pressed.
func (e errorsModel) showLarge() tea.Cmd {
	if e.preds == nil || e.sel >= len(e.idx) {
		return nil
	}
	i := e.idx[e.sel]
	it := e.preds.Items[i]
	caption := e.caption(i)
	return tea.Exec(&largeImage{src: &dataset.Images{Dir: e.dataDir}, item: it, proto: e.fullProtocol, caption: caption}, func(err error) tea.Msg {
		if err != nil {
			return sentMsg{what: "show image", err: err}
		}
		return nil
	})
}

func (e errorsModel) caption(i int) string {
	p := e.preds
	it := p.Items[i]
	where := it.Path
	if where == "" {
		where = fmt.Sprintf("in-memory image %d", it.Mem)
	}
	return fmt.Sprintf("%s  %s\ntrue %s (p %.3f) · predicted %s (p %.3f) · loss %.3f",
		it.Name, where, p.Names[p.Truth[i]], p.Prob(i, p.Truth[i]), p.Names[p.Pred[i]], p.Prob(i, p.Pred[i]), p.Loss[i])
}

// view draws the pane: a title, the thumbnails in rows with their rank,
// loss and probabilities, and the selected image's details.
func (e errorsModel) view(st Styles, w, h int) string {
	cell := "every misclassified image"
	if e.preds != nil {
		cell = fmt.Sprintf("true %s, predicted %s", e.preds.Names[e.truth], e.preds.Names[e.pred])
	}
	title := st.BoxTitle.Render(fmt.Sprintf("epoch %d · %s", e.epoch, cell))
	switch {
	case e.loading && e.maps != mapsOff:
		return title + "\n" + st.Dim.Render(fmt.Sprintf("drawing the images' class maps of their %s class (every image through the net)…", e.maps))
	case e.loading:
		return title + "\n" + st.Dim.Render("reading the images…")
	case e.err != nil:
		return title + "\n" + st.Bad.Render(e.err.Error()) + "\n" + st.Dim.Render("esc: back to the matrix")
	case len(e.idx) == 0:
		return title + "\n" + st.Dim.Render("no validation image falls in this cell · esc: back")
	}
	count := fmt.Sprintf("%d images, worst first", len(e.idx))
	drawn := "by loss"
	if len(e.idx) > len(e.thumbs) {
		drawn += fmt.Sprintf(", the first %d drawn", len(e.thumbs))
	}
	head := st.BoxTitle.Render(joinFit([]string{fmt.Sprintf("epoch %d · %s", e.epoch, cell), count, drawn}, " · ", w))
	switch {
	case e.mapsErr != nil:
		head += "\n" + st.Bad.Render(clip("class maps: "+e.mapsErr.Error(), w))
	case e.maps != mapsOff:
		head += "\n" + st.Dim.Render(clip(fmt.Sprintf("class maps of the %s class, %s: red adds to the class, blue takes from it · m: %s", e.maps, e.mapsFrom, e.maps.next().hint()), w))
	}
	per, rowsFit, first := e.page(w, h)
	var rows []string
	for r := 0; r < rowsFit; r++ {
		var slots []string
		for c := 0; c < per; c++ {
			k := first + r*per + c
			if k >= len(e.thumbs) {
				break
			}
			slots = append(slots, e.slot(st, k))
		}
		if len(slots) == 0 {
			break
		}
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, interleave(slots, " ")...))
	}
	detail := ""
	if e.sel < len(e.idx) {
		detail = st.Value.Render(fmt.Sprintf("#%d ", e.sel+1)) + strings.ReplaceAll(e.caption(e.idx[e.sel]), "\n", "\n   ")
		detail += "\n" + st.Dim.Render("   top classes: "+e.topClasses(e.idx[e.sel], 3))
	}
	return head + "\n" + strings.Join(rows, "\n") + "\n" + detail
}

// page is the layout of the thumbnails: per row, rows on screen, and the
// first one shown (the page that holds the selection).
func (e errorsModel) page(w, h int) (per, rows, first int) {
	per = perRow(w)
	rows = max(1, (h-3-e.headLines())/(thumbRows+2))
	return per, rows, (e.sel / per) / rows * rows * per
}

// headLines is how many lines the pane's head takes: its title, and the
// class maps' line when they are on (or why they are not).
func (e errorsModel) headLines() int {
	if e.maps != mapsOff || e.mapsErr != nil {
		return 2
	}
	return 1
}

// thumbAt finds the thumbnail at (x, y) of the body.
func (e errorsModel) thumbAt(x, y, w, h int) (int, bool) {
	per, rows, first := e.page(w, h)
	top := e.headLines()
	r, c := (y-top)/(thumbRows+2), x/(thumbSlotW+1)
	if y < top || r >= rows || c >= per {
		return 0, false
	}
	k := first + r*per + c
	return k, k < len(e.thumbs)
}

// slot is one thumbnail with its rank and loss under it, the selected
// one marked.
func (e errorsModel) slot(st Styles, k int) string {
	i := e.idx[k]
	pic := lipgloss.PlaceHorizontal(thumbSlotW, lipgloss.Center, strings.Join(e.thumbs[k], "\n"))
	mark, style := " ", st.Dim
	if k == e.sel {
		mark, style = "▶", st.Cursor
	}
	p := e.preds
	c1 := style.Render(clip(fmt.Sprintf("%s#%d loss %.2f", mark, k+1, p.Loss[i]), thumbSlotW))
	c2 := st.Dim.Render(clip(fmt.Sprintf(" p %.2f→%.2f", p.Prob(i, p.Truth[i]), p.Prob(i, p.Pred[i])), thumbSlotW))
	return lipgloss.NewStyle().Width(thumbSlotW).Render(pic + "\n" + c1 + "\n" + c2)
}

func (e errorsModel) topClasses(i, n int) string {
	p := e.preds
	type cp struct {
		c int
		p float32
	}
	var all []cp
	for c := range p.Classes {
		all = append(all, cp{c, p.Prob(i, c)})
	}
	for a := range all { // a short selection sort: n is small
		for b := a + 1; b < len(all); b++ {
			if all[b].p > all[a].p {
				all[a], all[b] = all[b], all[a]
			}
		}
	}
	var parts []string
	for _, x := range all[:min(n, len(all))] {
		parts = append(parts, fmt.Sprintf("%s %.3f", p.Names[x.c], x.p))
	}
	return strings.Join(parts, ", ")
}

func interleave(items []string, sep string) []string {
	out := make([]string, 0, 2*len(items))
	for i, s := range items {
		if i > 0 {
			out = append(out, sep)
		}
		out = append(out, s)
	}
	return out
}

func clip(s string, w int) string {
	r := []rune(s)
	if len(r) <= w {
		return s
	}
	return string(r[:max(w-1, 0)]) + "…"
}

// largeImage is a tea.ExecCommand: with the terminal released, it draws
// one image large in the terminal's protocol with its caption, and waits
// for enter (the released terminal reads lines).
type largeImage struct {
	src     *dataset.Images
	item    runs.ValItem
	proto   thumb.Protocol
	caption string
	in      io.Reader
	out     io.Writer
}

// SetStdin implements tea.ExecCommand.
func (l *largeImage) SetStdin(r io.Reader) { l.in = r }

// SetStdout implements tea.ExecCommand.
func (l *largeImage) SetStdout(w io.Writer) { l.out = w }

// SetStderr implements tea.ExecCommand.
func (l *largeImage) SetStderr(io.Writer) {}

// Run implements tea.ExecCommand.
func (l *largeImage) Run() error {
	img, err := l.src.Image(l.item.Path, l.item.Mem)
	if err != nil {
		return err
	}
	proto := l.proto
	if proto == "" {
		proto = thumb.ProtoBlocks
	}
	s, err := thumb.Draw(proto, img, thumb.Cols(img, 24), 24)
	if err != nil {
		return err
	}
	out := l.out
	if out == nil {
		out = os.Stdout
	}
	if _, err := fmt.Fprintf(out, "\x1b[2J\x1b[H%s\r\n%s\r\n\r\npress enter to go back", strings.ReplaceAll(s, "\n", "\r\n"), strings.ReplaceAll(l.caption, "\n", "\r\n")); err != nil {
		return err
	}
	if l.in != nil {
		b := make([]byte, 16)
		_, _ = l.in.Read(b) // enter, or the end of input, goes back
	}
	return nil
}
