package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/runs/export"
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
and takes each image's embedding: the features the output layer reads (vgg-s's
last block's channels after global pooling, cnn-s's last feature map). It prints how well the classes stand
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
		if !slices.Contains([]string{"class", "mask", "gender", "age"}, by) {
			return fmt.Errorf("--by %q: use class, mask, gender or age", by) // before the embeddings' seconds
		}
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
		e, err := training.EmbedRun(a.ctx, pr)
		if err != nil {
			return fmt.Errorf("run %s: %w", info.ID, err)
		}
		drawn, ok := e.Set(by)
		if !ok {
			return fmt.Errorf("--by %s: this run's classes are not the mask layout's, so --by takes class only", by)
		}
		if out != "" {
			if err := writeProjector(e, out, info.ID); err != nil {
				return err
			}
		}
		if asJSON {
			return embedJSON(a.out, e, info.ID)
		}
		printEmbedding(a.out, e, drawn, info.ID, a.colourOut())
		if out != "" {
			fmt.Fprintf(a.out, "wrote %s: tensorboard --logdir %s (its projector tab), or load tensors.tsv and metadata.tsv in projector.tensorflow.org\n", filepath.Join(out, "projector_config.pbtxt"), out)
		}
		return nil
	}
	return cmd
}

func printEmbedding(out io.Writer, e *training.RunEmbedding, drawn training.LabelSet, id string, colour bool) {
	fmt.Fprintf(out, "run %s, epoch %d: %d validation images in the space of the features the output layer reads (%d values each)\n",
		id, e.Epoch, len(e.Shown), e.Dim)
	fmt.Fprintln(out, silhouetteLine(e))
	fmt.Fprintf(out, "least apart: %s\n", leastApart(e.Sets[0], 5))
	marks := ui.ScatterMarks(len(drawn.Names))
	fmt.Fprintf(out, "\nthe first two principal components (%.0f%% and %.0f%% of the variance), each image its %s's mark:\n",
		100*e.Proj.Explained[0], 100*e.Proj.Explained[1], drawn.Name)
	fmt.Fprintln(out, ui.Scatter(e.Proj.XY, e.ShownLabels(drawn), marks, 78, 20, colour))
	fmt.Fprintln(out, ui.ScatterLegend(drawn.Names))
}

// silhouetteLine gives the silhouettes: by class, and by each task.
func silhouetteLine(e *training.RunEmbedding) string {
	line := fmt.Sprintf("silhouette by true class %.3f (−1 to 1; near 0 the classes overlap)", e.Sets[0].Silhouette)
	if len(e.Sets) > 1 {
		var t []string
		for _, s := range e.Sets[1:] {
			t = append(t, fmt.Sprintf("%s %.3f", s.Name, s.Silhouette))
		}
		line += "; by task: " + strings.Join(t, ", ")
	}
	if e.Measured < len(e.Shown) {
		line += fmt.Sprintf(" (on %d images drawn from them)", e.Measured)
	}
	return line
}

// leastApart names the n labels of s whose images stand least apart.
func leastApart(s training.LabelSet, n int) string {
	var least []string
	for _, c := range s.LeastApart(n) {
		least = append(least, fmt.Sprintf("%s %.3f", s.Names[c], s.PerLabel[c]))
	}
	return strings.Join(least, ", ")
}

func embedJSON(out io.Writer, e *training.RunEmbedding, id string) error {
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
	}{Run: id, Epoch: e.Epoch, Dim: e.Dim, Explained: e.Proj.Explained, Measured: e.Measured}
	for _, s := range e.Sets {
		js := silhouette{By: s.Name, Labels: s.Names, Mean: s.Silhouette}
		for _, v := range s.PerLabel {
			js.PerLabel = append(js.PerLabel, finite(v))
		}
		doc.Silhouette = append(doc.Silhouette, js)
	}
	for k, i := range e.Shown {
		doc.Points = append(doc.Points, point{e.Images[i], e.Truth[i], e.Pred[i], e.Proj.XY[k][0], e.Proj.XY[k][1]})
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // the age classes' "<30"
	return enc.Encode(doc)
}

// writeProjector writes the embeddings for TensorBoard's projector
// (export.WriteProjector), with each image's name, true class, prediction
// and, for the mask layout, its tasks' labels.
func writeProjector(e *training.RunEmbedding, dir, id string) error {
	p := export.Projector{Name: fmt.Sprintf("%s validation, epoch %d", id, e.Epoch), Columns: []string{"image", "truth", "prediction"}}
	for _, t := range e.Sets[1:] {
		p.Columns = append(p.Columns, t.Name)
	}
	classes := e.Sets[0].Names
	for _, i := range e.Shown {
		row := []string{e.Images[i], classes[e.Truth[i]], classes[e.Pred[i]]}
		for _, t := range e.Sets[1:] {
			row = append(row, t.Names[t.Labels[i]])
		}
		p.Rows, p.Meta = append(p.Rows, e.Rows[i]), append(p.Meta, row)
	}
	return export.WriteProjector(dir, p)
}
