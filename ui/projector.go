package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
)

// projectorPane is the confusion view's P: the run's validation images in
// the space of its best checkpoint's features (maskdash embed, as
// TensorBoard's projector shows them), each image marked by its class or,
// pressed again, by a task's label; once more it closes. The embeddings
// are computed in a command (the best checkpoint over every validation
// image: seconds).
type projectorPane struct {
	on      bool
	by      int // which of the embedding's label sets marks the images
	dir     string
	emb     *training.RunEmbedding
	err     error
	pending bool
}

// projectedMsg brings a run's embeddings.
type projectedMsg struct {
	dir string
	emb *training.RunEmbedding
	err error
}

// projectorKey cycles P: on (by class), each task's labels, off.
func (m Model) projectorKey() (Model, tea.Cmd) {
	p := &m.projector
	switch {
	case !p.on:
		*p = projectorPane{on: true}
	case p.emb != nil && p.by+1 < len(p.emb.Sets):
		p.by++
		return m, nil
	default:
		*p = projectorPane{}
		return m, nil
	}
	dir := m.runDir()
	if dir == "" {
		p.err = fmt.Errorf("this dashboard has no run folder to read a checkpoint from")
		return m, nil
	}
	p.dir, p.pending = dir, true
	ctx := m.runs.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	return m, func() tea.Msg {
		pr, err := training.OpenRunPredictor(runs.NewStore(filepath.Dir(dir)), dir, "best")
		if err != nil {
			return projectedMsg{dir: dir, err: err}
		}
		emb, err := training.EmbedRun(ctx, pr)
		return projectedMsg{dir: dir, emb: emb, err: err}
	}
}

// projected keeps the embeddings if they are still wanted.
func (m Model) projected(msg projectedMsg) Model {
	if p := &m.projector; p.on && p.dir == msg.dir {
		p.emb, p.err, p.pending = msg.emb, msg.err, false
	}
	return m
}

// projectorView draws the pane in w×h.
func (m Model) projectorView(w, h int) string {
	st, p := m.styles, m.projector
	switch {
	case p.err != nil:
		return st.Bad.Width(w).Render("projector: "+p.err.Error()) + "\n" + st.Dim.Render("P closes it")
	case p.pending || p.emb == nil:
		return st.Dim.Render("projector: the best checkpoint over every validation image …")
	}
	e := p.emb
	set := e.Sets[min(p.by, len(e.Sets)-1)]
	title := []string{fmt.Sprintf("projector · best checkpoint, epoch %d", e.Epoch), "marked by " + set.Name + " (P: next)",
		fmt.Sprintf("%d validation images in its features' space (%d values)", len(e.Shown), e.Dim),
		fmt.Sprintf("on 2 principal components (%.0f%%, %.0f%% of the variance)", 100*e.Proj.Explained[0], 100*e.Proj.Explained[1])}
	sil := []string{fmt.Sprintf("silhouette by class %.3f", e.Sets[0].Silhouette)}
	for _, s := range e.Sets[1:] {
		sil = append(sil, fmt.Sprintf("%s %.3f", s.Name, s.Silhouette))
	}
	var least []string
	for _, c := range set.LeastApart(3) {
		least = append(least, fmt.Sprintf("%s %.2f", set.Names[c], set.PerLabel[c]))
	}
	sil = append(sil, "least apart: "+strings.Join(least, ", "), "−1 to 1: near 0 they overlap")
	marks := ScatterMarks(len(set.Names))
	head := st.BoxTitle.Render(joinFit(title, " · ", w)) + "\n" + st.Value.Render(joinFit(sil, " · ", w))
	foot := wrapWords(ScatterLegend(set.Names), w, 3)
	rows := h - 2 - lipgloss.Height(foot) - 1 // the scatter's range line
	if rows < 4 {
		return head + "\n" + st.Dim.Render("(taller: the projector's scatter)")
	}
	return head + "\n" + Scatter(e.Proj.XY, e.ShownLabels(set), marks, w, rows, st.Color) + "\n" + st.Dim.Render(foot)
}
