package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"text/tabwriter"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/ui"
	"github.com/spf13/cobra"
)

// prCmd prints each class's precision-recall figures on a run's kept
// validation predictions (TensorBoard's PR curves, for a shell).
func (a *app) prCmd() *cobra.Command {
	var runsDir, class string
	var epoch int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "pr RUN [--epoch N] [--class C]",
		Short: "each class's precision-recall curve and average precision on the validation images",
		Long: `pr reads the validation predictions a run kept for an epoch (default: the
best) and gives each class, against the rest, its average precision (AP:
the area under its precision-recall curve, as scikit-learn's
average_precision_score) and the precision and recall of the run's own
predictions (the argmax), then the mean AP over the classes. A class whose
AP is high but whose argmax recall is low is ranked well but rarely
predicted: a class offset (maskdash calibrate) can lift it. --class draws
one class's curve (a number or a name).`,
	}
	f := cmd.Flags()
	runsFlag(f, &runsDir, "runs folder")
	f.IntVar(&epoch, "epoch", 0, "epoch (default: the best epoch, or the last the run kept)")
	f.StringVar(&class, "class", "", "draw this class's curve (its number or name)")
	f.BoolVar(&asJSON, "json", false, "print JSON (with every curve's points)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		dir, info, err := runInfoArg(cmd, runsDir, args)
		if err != nil {
			return err
		}
		p, why, err := keptValPreds(dir, info, epoch)
		if err != nil {
			return err
		}
		unread := p.Len()
		p = p.WithoutUnread() // no prediction of an image that could not be read
		unread -= p.Len()
		curves := make([]runs.PRCurve, p.Classes)
		for c := range curves {
			curves[c] = runs.ClassPR(p, c)
		}
		if asJSON {
			return prJSON(a.out, info.ID, p, curves)
		}
		fmt.Fprintf(a.out, "run %s, epoch %d (%s): each class against the rest on %d validation images", info.ID, p.Epoch, why, p.Len())
		if unread > 0 {
			fmt.Fprintf(a.out, " (%d more could not be read: no prediction)", unread)
		}
		fmt.Fprintln(a.out)
		if class != "" {
			c, ok := p.ClassIndex(class)
			if !ok {
				return fmt.Errorf("--class %q is not a class of this run (0 to %d, or a name such as %q)", class, p.Classes-1, p.Names[0])
			}
			cv := curves[c]
			if cv.Support == 0 {
				return fmt.Errorf("class %s has no validation image: it has no curve", p.Names[c])
			}
			title := fmt.Sprintf("class %d %s (%s): precision (up) against recall (across), AP %.4f; the argmax: precision %s, recall %.3f",
				c, p.Names[c], plural(cv.Support, "image"), cv.AP, prFig(cv.ArgmaxPrecision), cv.ArgmaxRecall)
			fmt.Fprintln(a.out, ui.PlotPR(cv.Recall, cv.Precision, 82, 16, title, a.colourOut()))
			return nil
		}
		printPR(a.out, p, curves)
		return nil
	}
	return cmd
}

func printPR(out io.Writer, p *runs.ValPreds, curves []runs.PRCurve) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLASS\tNAME\tIMAGES\tAP\tARGMAX PRECISION\tARGMAX RECALL")
	for _, cv := range curves {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\n", cv.Class, p.Names[cv.Class], cv.Support, prFig(cv.AP), prFig(cv.ArgmaxPrecision), prFig(cv.ArgmaxRecall))
	}
	_ = tw.Flush() // a closed pipe has no one to tell
	with := 0
	for _, cv := range curves {
		if cv.Support > 0 {
			with++
		}
	}
	fmt.Fprintf(out, "mean AP %s over the %d classes with images\n", prFig(runs.MacroAP(curves)), with)
	// Ranked well, predicted rarely: where an offset helps.
	var lifted []runs.PRCurve
	for _, cv := range curves {
		if cv.Support > 0 && cv.AP-cv.ArgmaxRecall >= 0.2 {
			lifted = append(lifted, cv)
		}
	}
	sort.Slice(lifted, func(a, b int) bool { return lifted[a].AP-lifted[a].ArgmaxRecall > lifted[b].AP-lifted[b].ArgmaxRecall })
	for _, cv := range lifted {
		fmt.Fprintf(out, "class %d %s: ranked better (AP %.3f) than the argmax finds it (%.0f%% of its images): an offset can lift it (maskdash calibrate)\n",
			cv.Class, p.Names[cv.Class], cv.AP, 100*cv.ArgmaxRecall)
	}
	fmt.Fprintln(out, "--class C draws a class's curve")
}

// prFig writes a figure, "–" for none.
func prFig(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.4f", v)
}

func prJSON(out io.Writer, id string, p *runs.ValPreds, curves []runs.PRCurve) error {
	type curve struct {
		Class           int       `json:"class"`
		Name            string    `json:"name"`
		Images          int       `json:"images"`
		AP              *float64  `json:"ap"`
		ArgmaxPrecision *float64  `json:"argmax_precision"`
		ArgmaxRecall    *float64  `json:"argmax_recall"`
		Threshold       []float64 `json:"thresholds"`
		Precision       []float64 `json:"precision"`
		Recall          []float64 `json:"recall"`
	}
	doc := struct {
		Run    string   `json:"run"`
		Epoch  int      `json:"epoch"`
		Images int      `json:"images"`
		MeanAP *float64 `json:"mean_ap"`
		Curves []curve  `json:"classes"`
	}{Run: id, Epoch: p.Epoch, Images: p.Len(), MeanAP: finite(runs.MacroAP(curves))}
	for _, cv := range curves {
		doc.Curves = append(doc.Curves, curve{cv.Class, p.Names[cv.Class], cv.Support, finite(cv.AP), finite(cv.ArgmaxPrecision), finite(cv.ArgmaxRecall),
			cv.Threshold, cv.Precision, cv.Recall})
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
