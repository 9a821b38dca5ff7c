package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
)

type multiFlag []string

// String implements flag.Value.
func (m *multiFlag) String() string { return fmt.Sprint(*m) }

// Set implements flag.Value.
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// loadRunPredictor resolves RUN and its checkpoint and loads it.
func loadRunPredictor(runsDir, ref, ckpt string) (*training.Predictor, string, error) {
	store := runs.NewStore(runsDir)
	id, err := store.Resolve(ref)
	if err != nil {
		return nil, "", err
	}
	p, err := training.CheckpointPath(store.Path(id), ckpt)
	if err != nil {
		return nil, "", err
	}
	pr, err := training.LoadPredictor(p)
	return pr, p, err
}

// evalData opens DIR for evaluation or prediction: the mask eval layout
// (info.csv) when present, else the data folder's test split, else its
// training images.
func evalData(dir string, bins dataset.AgeBins, predict bool) (*dataset.Set, error) {
	if _, ok := dataset.EvalRoot(dir); ok {
		s, err := dataset.ReadEval(dir, bins)
		if err != nil {
			return nil, err
		}
		if predict || s.HasTruth() {
			return s, nil
		}
	}
	d, err := dataset.Open(dir, dataset.Options{Bins: bins})
	if err != nil {
		return nil, err
	}
	if d.Test != nil {
		return d.Test, nil
	}
	return d.Train, nil
}

func binsOf(meta training.CkptMeta) dataset.AgeBins {
	b, err := dataset.ParseAgeBins(meta.Data.AgeBins)
	if err != nil {
		return dataset.DefaultAgeBins
	}
	return b
}

func cmdEval(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	runsDir := fs.String("runs", "maskdash-runs", "runs folder")
	run := fs.String("run", "", "run id (required)")
	ckpt := fs.String("ckpt", "best", "best, latest or a checkpoint file")
	dir := fs.String("data", "", "labelled data folder (required)")
	tta := fs.Bool("tta", false, "average with the horizontally flipped image")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *run == "" || *dir == "" {
		return fmt.Errorf("eval needs --run RUN and --data DIR")
	}
	pr, path, err := loadRunPredictor(*runsDir, *run, *ckpt)
	if err != nil {
		return err
	}
	set, err := evalData(*dir, binsOf(pr.Meta), false)
	if err != nil {
		return err
	}
	m, conf, err := pr.Evaluate(ctx, set, *tta)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"checkpoint": path, "data": set.Root, "images": set.Len(), "metrics": m, "confusion": conf})
	}
	fmt.Fprintf(out, "%s on %s (%d images)\naccuracy %.4f  macro F1 %.4f  loss %.4f\n", path, set.Root, set.Len(), m.Accuracy, m.MacroF1, m.Loss)
	for _, t := range dataset.TaskNames {
		if te, ok := m.Tasks[t]; ok {
			fmt.Fprintf(out, "  %-7s accuracy %.4f  macro F1 %.4f\n", t, te.Accuracy, te.MacroF1)
		}
	}
	return nil
}

func cmdPredict(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	runsDir := fs.String("runs", "maskdash-runs", "runs folder")
	run := fs.String("run", "", "run id (required)")
	ckpt := fs.String("ckpt", "best", "best, latest or a checkpoint file")
	dir := fs.String("data", "", "data folder with eval/info.csv (required)")
	file := fs.String("out", "", "output CSV (required)")
	tta := fs.Bool("tta", false, "average with the horizontally flipped image")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *run == "" || *dir == "" || *file == "" {
		return fmt.Errorf("predict needs --run RUN, --data DIR and --out FILE")
	}
	pr, _, err := loadRunPredictor(*runsDir, *run, *ckpt)
	if err != nil {
		return err
	}
	set, err := evalData(*dir, binsOf(pr.Meta), true)
	if err != nil {
		return err
	}
	lp, err := pr.LogProbs(ctx, set, *tta)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*file), 0o755); err != nil {
		return err
	}
	if err := training.WritePredictions(*file, set, lp); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %d predictions to %s\n", set.Len(), *file)
	if set.HasTruth() {
		m := training.ScoreLogProbs(set, lp)
		fmt.Fprintf(out, "against the truth beside it: accuracy %.4f, macro F1 %.4f\n", m.Accuracy, m.MacroF1)
	}
	return nil
}

func cmdEnsemble(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ensemble", flag.ContinueOnError)
	runsDir := fs.String("runs", "maskdash-runs", "runs folder")
	var refs multiFlag
	fs.Var(&refs, "run", "a run id (repeat for each model)")
	ckpt := fs.String("ckpt", "best", "best or latest, for every run")
	dir := fs.String("data", "", "data folder with eval/info.csv (required)")
	file := fs.String("out", "", "output CSV (required)")
	tta := fs.Bool("tta", false, "average with the horizontally flipped image")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(refs) < 1 || *dir == "" || *file == "" {
		return fmt.Errorf("ensemble needs --run RUN (one or more), --data DIR and --out FILE")
	}
	var all [][][]float64
	var set *dataset.Set
	for _, ref := range refs {
		pr, _, err := loadRunPredictor(*runsDir, ref, *ckpt)
		if err != nil {
			return err
		}
		if set == nil {
			if set, err = evalData(*dir, binsOf(pr.Meta), true); err != nil {
				return err
			}
		}
		lp, err := pr.LogProbs(ctx, set, *tta)
		if err != nil {
			return fmt.Errorf("run %s: %w", ref, err)
		}
		if set.HasTruth() {
			m := training.ScoreLogProbs(set, lp)
			fmt.Fprintf(out, "%s alone: accuracy %.4f, macro F1 %.4f\n", ref, m.Accuracy, m.MacroF1)
		}
		all = append(all, lp)
	}
	vote := training.SoftVote(all)
	if err := training.WritePredictions(*file, set, vote); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote the soft vote of %d runs (%d predictions) to %s\n", len(all), set.Len(), *file)
	if set.HasTruth() {
		m := training.ScoreLogProbs(set, vote)
		fmt.Fprintf(out, "ensemble: accuracy %.4f, macro F1 %.4f\n", m.Accuracy, m.MacroF1)
	}
	return nil
}
