package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/ui"
	"github.com/spf13/cobra"
)

// embedCmd shows a run's validation images in the space of its features
// (TensorBoard's projector, for a terminal), and writes the projector's
// files for TensorBoard.
func (a *app) embedCmd() *cobra.Command {
	var runsDir, run, ckpt, by, out string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "embed RUN [--by class|mask|gender|age] [--out DIR]",
		Short: "the validation images in the space of the run's features: how far apart its classes are (TensorBoard's projector)",
		Long: `embed runs a checkpoint (default: the best) over the run's validation images
and takes each image's embedding: the features the output layer reads (the
last block's channels after pooling). It prints how well the classes stand
apart there, as the silhouette (−1 to 1: near 1 each class is tight and away
from the others, near 0 they overlap; scikit-learn's silhouette_score), for
the true classes and, for the mask layout, for each task's (mask, gender,
age), then the classes that stand least apart, and draws the images on the
embeddings' first two principal components, each image its label's mark.
--by picks the labels drawn. --out DIR writes the embeddings for
TensorBoard's projector: tensors.tsv, metadata.tsv (each image's name, true
class and prediction) and projector_config.pbtxt, for 'tensorboard --logdir
DIR', or the two TSV files loaded into projector.tensorflow.org.`,
	}
	f := cmd.Flags()
	runFlags(f, &runsDir, &run, &ckpt)
	f.StringVar(&by, "by", "class", "the labels drawn: class, or a task of the mask layout: mask, gender or age")
	f.StringVar(&out, "out", "", "write TensorBoard projector files to this folder")
	f.BoolVar(&asJSON, "json", false, "print JSON (each image's coordinates)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ref, err := runArg(cmd, run, args)
		if err != nil {
			return err
		}
		dir, info, err := runInfoArg(cmd, runsDir, []string{ref})
		if err != nil {
			return err
		}
		pr, err := training.OpenRunPredictor(runs.NewStore(runsDir), dir, ckpt)
		if err != nil {
			return err
		}
		if pr, err = pr.OnCPU(); err != nil {
			return err
		}
		kept, err := runs.ReadValPreds(dir, pr.Meta.Epoch)
		if err != nil {
			return fmt.Errorf("run %s: the checkpoint is of epoch %d: %w", info.ID, pr.Meta.Epoch, err)
		}
		set, err := pr.ValSet(kept)
		if err != nil {
			return err
		}
		e, err := embedRun(a, pr, set, kept, by)
		if err != nil {
			return err
		}
		if out != "" {
			if err := e.writeProjector(out, info.ID); err != nil {
				return err
			}
		}
		if asJSON {
			return e.json(a.out, info.ID)
		}
		e.print(a.out, info.ID, a.colourOut())
		if out != "" {
			fmt.Fprintf(a.out, "wrote %s: tensorboard --logdir %s (its projector tab), or load tensors.tsv and metadata.tsv in projector.tensorflow.org\n", filepath.Join(out, "projector_config.pbtxt"), out)
		}
		return nil
	}
	return cmd
}

// embedding is a run's validation images' embeddings, laid out and
// measured.
type embedding struct {
	epoch      int
	names      []string // the classes
	items      []string // the images, in the set's order
	truth      []int
	pred       []int
	rows       [][]float32 // nil where the image did not read
	proj       training.Projection
	shown      []int // the rows proj lays out (those that read)
	dim        int
	silhouette labelSilhouette
	tasks      []labelSilhouette // the mask layout's three tasks
	by         labelSet          // the labels drawn
	measured   int
}

// labelSilhouette is the silhouette by one set of labels.
type labelSilhouette struct {
	Name     string
	Labels   []string
	Mean     float64
	PerLabel []float64 // NaN: a label without images
}

// labelSet is a way of labelling the images: their classes, or a task's.
type labelSet struct {
	name   string
	names  []string
	labels []int
}

func embedRun(a *app, pr training.RunPredictor, set *dataset.Set, kept *runs.ValPreds, by string) (*embedding, error) {
	e := &embedding{epoch: kept.Epoch, names: kept.Names, truth: kept.Truth}
	for _, it := range kept.Items {
		e.items = append(e.items, it.Name)
	}
	masked := set.Masked && len(kept.Names) == dataset.NumClasses
	sets := []labelSet{{"class", kept.Names, kept.Truth}}
	if masked {
		bins, err := dataset.ParseAgeBins(pr.Meta.Data.AgeBins)
		if err != nil {
			bins = dataset.DefaultAgeBins
		}
		tn := dataset.TaskClassNames(bins)
		for t, name := range dataset.TaskNames {
			ls := labelSet{name: name, names: tn[t]}
			for _, y := range kept.Truth {
				ls.labels = append(ls.labels, dataset.TaskLabel(y, t))
			}
			sets = append(sets, ls)
		}
	}
	found := false
	for _, s := range sets {
		if s.name == by {
			e.by, found = s, true
		}
	}
	if !found {
		if masked {
			return nil, fmt.Errorf("--by %q: use class, mask, gender or age", by)
		}
		return nil, fmt.Errorf("--by %q: this run's classes are not the mask layout's, so --by takes class only", by)
	}
	rows, err := pr.Embed(a.ctx, set)
	if err != nil {
		return nil, err
	}
	lp, err := pr.LogProbs(a.ctx, set, false)
	if err != nil {
		return nil, err
	}
	e.rows = rows
	var shown [][]float32
	for i, r := range rows {
		e.pred = append(e.pred, training.Argmax(lp[i]))
		if r != nil {
			e.shown, shown = append(e.shown, i), append(shown, r)
			e.dim = len(r)
		}
	}
	if e.proj, err = training.Project(shown); err != nil {
		return nil, err
	}
	for k, s := range sets {
		mean, per, n := training.Silhouette(rows, s.labels, len(s.names))
		ls := labelSilhouette{Name: s.name, Labels: s.names, Mean: mean, PerLabel: per}
		e.measured = n
		if k == 0 {
			e.silhouette = ls
		} else {
			e.tasks = append(e.tasks, ls)
		}
	}
	return e, nil
}

// embedMarks are the marks of up to 36 labels: 0–9, then a–z.
func embedMarks(n int) []string {
	m := make([]string, n)
	for i := range m {
		m[i] = strconv.FormatInt(int64(i%36), 36)
	}
	return m
}

func (e *embedding) print(out io.Writer, id string, colour bool) {
	fmt.Fprintf(out, "run %s, epoch %d: %d validation images in the space of the features the output layer reads (%d values each)\n",
		id, e.epoch, len(e.shown), e.dim)
	line := fmt.Sprintf("silhouette by true class %.3f (−1 to 1; near 0 the classes overlap)", e.silhouette.Mean)
	if len(e.tasks) > 0 {
		var t []string
		for _, s := range e.tasks {
			t = append(t, fmt.Sprintf("%s %.3f", s.Name, s.Mean))
		}
		line += "; by task: " + strings.Join(t, ", ")
	}
	if e.measured < len(e.shown) {
		line += fmt.Sprintf(" (on %d images drawn from them)", e.measured)
	}
	fmt.Fprintln(out, line)
	// The classes least apart first.
	var order []int
	for c, v := range e.silhouette.PerLabel {
		if !math.IsNaN(v) {
			order = append(order, c)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return e.silhouette.PerLabel[order[a]] < e.silhouette.PerLabel[order[b]] })
	var least []string
	for _, c := range order[:min(5, len(order))] {
		least = append(least, fmt.Sprintf("%s %.3f", e.names[c], e.silhouette.PerLabel[c]))
	}
	fmt.Fprintf(out, "least apart: %s\n", strings.Join(least, ", "))
	labels := make([]int, len(e.shown))
	for k, i := range e.shown {
		labels[k] = e.by.labels[i]
	}
	marks := embedMarks(len(e.by.names))
	fmt.Fprintf(out, "\nthe first two principal components (%.0f%% and %.0f%% of the variance), each image its %s's mark:\n",
		100*e.proj.Explained[0], 100*e.proj.Explained[1], e.by.name)
	fmt.Fprintln(out, ui.Scatter(e.proj.XY, labels, marks, 78, 20, colour))
	var legend []string
	for l, n := range e.by.names {
		legend = append(legend, marks[l]+" "+n)
	}
	fmt.Fprintln(out, strings.Join(legend, " · "))
}

func (e *embedding) json(out io.Writer, id string) error {
	type silhouette struct {
		By       string     `json:"by"`
		Labels   []string   `json:"labels"`
		Mean     float64    `json:"mean"`
		PerLabel []*float64 `json:"per_label"` // null: a label without images
	}
	type point struct {
		Image string  `json:"image"`
		Truth int     `json:"truth"`
		Pred  int     `json:"pred"`
		X     float64 `json:"x"`
		Y     float64 `json:"y"`
	}
	doc := struct {
		Run        string       `json:"run"`
		Epoch      int          `json:"epoch"`
		Dim        int          `json:"dim"`
		Explained  [2]float64   `json:"explained"`
		Silhouette []silhouette `json:"silhouette"`
		Measured   int          `json:"silhouette_images"`
		Points     []point      `json:"points"`
	}{Run: id, Epoch: e.epoch, Dim: e.dim, Explained: e.proj.Explained, Measured: e.measured}
	for _, s := range append([]labelSilhouette{e.silhouette}, e.tasks...) {
		js := silhouette{By: s.Name, Labels: s.Labels, Mean: s.Mean}
		for _, v := range s.PerLabel {
			js.PerLabel = append(js.PerLabel, finite(v))
		}
		doc.Silhouette = append(doc.Silhouette, js)
	}
	for k, i := range e.shown {
		doc.Points = append(doc.Points, point{e.items[i], e.truth[i], e.pred[i], e.proj.XY[k][0], e.proj.XY[k][1]})
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // the age classes' "<30"
	return enc.Encode(doc)
}

// writeProjector writes TensorBoard's projector files: the embeddings
// (tensors.tsv, a row an image, no header), their metadata (metadata.tsv,
// with a header: image, truth, prediction and, for the mask layout, the
// true mask, gender and age) and projector_config.pbtxt naming both.
func (e *embedding) writeProjector(dir, id string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(name string, fill func(w *bytes.Buffer)) error {
		var b bytes.Buffer
		fill(&b)
		return runs.WriteFileAtomic(filepath.Join(dir, name), b.Bytes())
	}
	err := write("tensors.tsv", func(w *bytes.Buffer) {
		for _, i := range e.shown {
			for j, v := range e.rows[i] {
				if j > 0 {
					w.WriteByte('\t')
				}
				w.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32))
			}
			w.WriteByte('\n')
		}
	})
	if err != nil {
		return err
	}
	err = write("metadata.tsv", func(w *bytes.Buffer) {
		head := []string{"image", "truth", "prediction"}
		for _, t := range e.tasks {
			head = append(head, t.Name)
		}
		w.WriteString(strings.Join(head, "\t") + "\n")
		for _, i := range e.shown {
			row := []string{tsvField(e.items[i]), e.names[e.truth[i]], e.names[e.pred[i]]}
			for t := range e.tasks {
				row = append(row, e.tasks[t].Labels[dataset.TaskLabel(e.truth[i], t)])
			}
			w.WriteString(strings.Join(row, "\t") + "\n")
		}
	})
	if err != nil {
		return err
	}
	return write("projector_config.pbtxt", func(w *bytes.Buffer) {
		fmt.Fprintf(w, "embeddings {\n  tensor_name: %q\n  tensor_path: \"tensors.tsv\"\n  metadata_path: \"metadata.tsv\"\n}\n",
			fmt.Sprintf("%s validation, epoch %d", id, e.epoch))
	})
}

// tsvField keeps a field on its row and column.
func tsvField(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}
