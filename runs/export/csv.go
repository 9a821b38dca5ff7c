package export

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/maskdash/maskdash/runs"
)

// CSV writes <run>-steps.csv (every step of the history columns: step and
// one column per metric), <run>-epochs.csv (every epoch of the log:
// step, training accuracy, validation loss, accuracy, macro F1 and the
// tasks' macro F1) and <run>-layers.csv (every measured step's parameter
// norms, a row per tensor) into out, and returns their paths. A run with
// no history, no finished epoch or no measured step still gets each file,
// with a header only.
func CSV(runDir, out string) ([]string, error) {
	id := filepath.Base(runDir)
	if _, err := runs.ReadInfo(runDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("export folder: %w", err)
	}
	steps := filepath.Join(out, id+"-steps.csv")
	if err := writeSteps(runDir, steps); err != nil {
		return nil, err
	}
	epochs := filepath.Join(out, id+"-epochs.csv")
	if err := writeEpochs(runDir, epochs); err != nil {
		return nil, err
	}
	layers := filepath.Join(out, id+"-layers.csv")
	if err := writeLayers(runDir, layers); err != nil {
		return nil, err
	}
	return []string{steps, epochs, layers}, nil
}

func writeLayers(runDir, path string) error {
	lg, err := readLog(runDir)
	if err != nil {
		return err
	}
	head := []string{"step", "tensor", "values", "rank", "weight_norm", "grad_norm", "update_norm", "update_ratio", "not_finite"}
	for _, p := range runs.SpreadPercentiles { // the weights' spread: w_p0 (least) … w_p100 (most)
		head = append(head, "w_p"+strconv.FormatFloat(p, 'f', -1, 64))
	}
	rows := [][]string{head}
	for _, l := range lg.layers {
		for _, f := range l.Layers {
			rank := ""
			if f.Rank > 0 {
				rank = strconv.Itoa(f.Rank)
			}
			row := []string{strconv.Itoa(l.Step), f.Name, strconv.Itoa(f.Size), rank, num(f.Weight), num(f.Grad), num(f.Update), num(f.Ratio()),
				strings.Join(f.NonFinite, ";")}
			for k := range runs.SpreadPercentiles {
				v := ""
				if len(f.Spread) == len(runs.SpreadPercentiles) {
					v = num(f.Spread[k])
				}
				row = append(row, v)
			}
			rows = append(rows, row)
		}
	}
	return writeCSV(path, rows)
}

func writeSteps(runDir, path string) error {
	h, err := runs.ReadHistory(runDir, 0)
	if err != nil {
		return err
	}
	names := h.Names()
	rows := [][]string{append([]string{"step"}, names...)}
	for i := range h.Rows {
		// Every column has one value per row, and the same steps.
		row := []string{strconv.Itoa(h.Series[names[0]].Step[i])}
		for _, n := range names {
			row = append(row, num(h.Series[n].Last[i]))
		}
		rows = append(rows, row)
	}
	return writeCSV(path, rows)
}

// epochLine is the part of an epoch event of metrics.jsonl written here.
type epochLine struct {
	Kind     string   `json:"kind"`
	Epoch    int      `json:"epoch"`
	Step     int      `json:"step"`
	TrainAcc *float64 `json:"train_acc"`
	// TrainWeightsF1: with --ema, the training weights' own macro F1
	// (Val is their moving average's).
	TrainWeightsF1 *float64 `json:"train_weights_f1"`
	Val            *struct {
		Loss     float64 `json:"loss"`
		Accuracy float64 `json:"accuracy"`
		MacroF1  float64 `json:"macro_f1"`
		Tasks    map[string]struct {
			MacroF1 float64 `json:"macro_f1"`
		} `json:"tasks"`
	} `json:"val"`
}

var tasks = []string{"mask", "gender", "age"}

func writeEpochs(runDir, path string) error {
	lg, err := readLog(runDir)
	if err != nil {
		return err
	}
	epochs := lg.epochs
	rows := [][]string{{"epoch", "step", "train_accuracy", "val_loss", "val_accuracy", "val_macro_f1", "val_mask_f1", "val_gender_f1", "val_age_f1", "val_macro_f1_training_weights"}}
	for _, e := range epochs {
		acc := math.NaN()
		if e.TrainAcc != nil {
			acc = *e.TrainAcc
		}
		row := []string{strconv.Itoa(e.Epoch), strconv.Itoa(e.Step), num(acc), num(e.Val.Loss), num(e.Val.Accuracy), num(e.Val.MacroF1)}
		for _, t := range tasks {
			if te, ok := e.Val.Tasks[t]; ok {
				row = append(row, num(te.MacroF1))
			} else {
				row = append(row, "")
			}
		}
		own := math.NaN() // a run without --ema: its val_macro_f1 is the training weights'
		if e.TrainWeightsF1 != nil {
			own = *e.TrainWeightsF1
		}
		rows = append(rows, append(row, num(own)))
	}
	return writeCSV(path, rows)
}

// num writes a float exactly enough to read back, and NaN as empty.
func num(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func writeCSV(path string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	w := csv.NewWriter(f)
	if err := w.WriteAll(rows); err != nil {
		_ = f.Close() // the write error is the one to report
		return fmt.Errorf("export %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	return nil
}
