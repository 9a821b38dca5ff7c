package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/maskdash/maskdash/models"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/spf13/cobra"
)

// modelCmd prints a model's layers (torchinfo's summary): what each
// hands the next, what it learns, what it costs.
func (a *app) modelCmd() *cobra.Command {
	var runsDir, img string
	var classes, headDepth int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "model [NAME|RUN] [--img WxH] [--classes N] [--head-depth N]",
		Short: "a model's layers: each one's output shape, parameters and multiply-adds (a run's: as it trained)",
		Long: `model lists the layers of a model (default cnn-s) for one image, in the order
they run: each op, the shape it hands the next layer, the learnable values it
reads and its multiply-adds, then the totals. A run (its id or folder) shows
its own model, size and classes, from its best checkpoint. The shapes say
what a dense layer reads: cnn-s's flattens its last map (32 channels of a
quarter of the image's side), so its size follows --img; vgg-s and resnet-s
pool each channel to one value first.`,
	}
	f := cmd.Flags()
	runsFlag(f, &runsDir, "runs folder (for a RUN)")
	f.StringVar(&img, "img", "64x64", "input size WxH (a model by name)")
	positiveInt(f, &classes, "classes", 18, "classes (a model by name)")
	countInt(f, &headDepth, "head-depth", 0, "hidden layers in each head of a -mh model (default 1)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) > 1 {
			return fmt.Errorf("model takes one model or run, not %d", len(args))
		}
		spec, what, err := modelSpec(runsDir, args, img, classes, headDepth)
		if err != nil {
			return err
		}
		spec.Batch, spec.EvalBatch = 1, 1
		net, err := models.New(spec)
		if err != nil {
			return err
		}
		layers, err := net.Summary()
		if err != nil {
			return err
		}
		if asJSON {
			enc := json.NewEncoder(a.out)
			enc.SetIndent("", "  ")
			return enc.Encode(struct {
				Model  string         `json:"model"`
				Img    string         `json:"img"`
				Params int            `json:"params"`
				MACs   float64        `json:"macs"`
				Layers []models.Layer `json:"layers"`
			}{spec.Name, fmt.Sprintf("%dx%d", spec.W, spec.H), net.NumParams(), totalMACs(layers), layers})
		}
		fmt.Fprintf(a.out, "%s: %s at %dx%d, %d outputs\n", what, spec.Name, spec.W, spec.H, spec.Outputs())
		tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "%3s\tLAYER\tOP\tOUTPUT\t%8s\t%8s\n", "#", "PARAMS", "MACS")
		for i, l := range layers {
			fmt.Fprintf(tw, "%3d\t%s\t%s\t%s\t%8s\t%8s\n", i+1, orDash(l.Name), l.Op, shapeText(l.Out), countText(float64(l.Params)), countText(l.MACs))
		}
		_ = tw.Flush() // a closed pipe has no one to tell
		fmt.Fprintf(a.out, "%s learnable values (%.1f MB as float32), %s multiply-adds an image; a training step %s FLOPs an image (forward and both backward products)\n",
			countText(float64(net.NumParams())), float64(4*net.NumParams())/1e6, countText(totalMACs(layers)), countText(net.StepFLOPs()))
		return nil
	}
	return cmd
}

// modelSpec is the model args name: a run's (its best checkpoint's), or
// a model by name (default cnn-s) with the flags' size and classes. what
// says which.
func modelSpec(runsDir string, args []string, img string, classes, headDepth int) (models.Spec, string, error) {
	name := "cnn-s"
	if len(args) == 1 {
		name = args[0]
	}
	if !slices.Contains(models.Names(), name) {
		dir, err := runs.NewStore(runsDir).Resolve(name)
		if err != nil {
			return models.Spec{}, "", fmt.Errorf("%q is neither a model (%s) nor a run: %w", name, models.NamesList(), err)
		}
		p, err := training.CheckpointPath(dir, "best")
		if err != nil {
			return models.Spec{}, "", err
		}
		m, err := training.ReadCkptMeta(p)
		if err != nil {
			return models.Spec{}, "", err
		}
		return m.Model, "run " + filepath.Base(dir), nil
	}
	w, h, err := training.ParseSize(img)
	if err != nil {
		return models.Spec{}, "", fmt.Errorf("--img %w", err)
	}
	return models.Spec{Name: name, W: w, H: h, Classes: classes, HeadDepth: headDepth}, "model", nil
}

func totalMACs(ls []models.Layer) float64 {
	var s float64
	for _, l := range ls {
		s += l.MACs
	}
	return s
}

// shapeText is a shape as 32×16×16.
func shapeText(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, "×")
}

// countText is a count in a few digits: 864, 23.4k, 1.2M, 3.4G; "-" for 0.
func countText(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 1e3:
		return fmt.Sprintf("%.0f", v)
	case v < 1e6:
		return fmt.Sprintf("%.1fk", v/1e3)
	case v < 1e9:
		return fmt.Sprintf("%.2fM", v/1e6)
	}
	return fmt.Sprintf("%.2fG", v/1e9)
}
