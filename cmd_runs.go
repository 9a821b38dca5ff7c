package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/runs/export"
	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/training/sweep"
	"github.com/maskdash/maskdash/ui"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// runRow is one row of `maskdash runs --json`.
type runRow struct {
	ID        string        `json:"id"`
	Status    runs.Status   `json:"status"`
	Model     string        `json:"model"`
	Loss      string        `json:"loss"` // at the end (after live changes)
	StartLoss string        `json:"start_loss"`
	Optim     string        `json:"optim"`
	LR        float64       `json:"lr"` // at the end (after live changes)
	StartLR   float64       `json:"start_lr"`
	Changes   []runs.Change `json:"changes,omitempty"`
	Epochs    int           `json:"epochs_done"`
	Planned   int           `json:"epochs"`
	BestF1    float64       `json:"best_macro_f1"`
	BestAcc   float64       `json:"best_accuracy"`
	Duration  float64       `json:"duration_s"`
	Parent    string        `json:"parent,omitempty"`
	Note      string        `json:"note,omitempty"`
	// Tricks are the settings its header listed (task, CutMix, erasing…).
	Tricks []string `json:"tricks,omitempty"`
	Alerts []string `json:"alerts,omitempty"` // the alert rules it raised ("finished" aside)
	// OffsetsGain is the held-out gain of the class offsets calibrate
	// kept (none: no offsets).
	OffsetsGain *float64 `json:"class_offsets_held_out_gain,omitempty"`
	// Public is the best public leaderboard macro F1 recorded for the
	// run's own submissions (maskdash submissions).
	Public *float64 `json:"public_macro_f1,omitempty"`
	Error  string   `json:"error,omitempty"`
	// Depth is the run's place in the lineage tree (--tree: 0 a root, 1
	// a child of the row above it…); nil without --tree.
	Depth *int `json:"depth,omitempty"`
	// FromParent is what the run set otherwise than its parent, when its
	// parent is listed (--tree): "task=age", "fresh-head=true".
	FromParent []string `json:"changed_from_parent,omitempty"`
}

func (a *app) runsCmd() *cobra.Command {
	var dir, filter, sortBy string
	var asJSON, archived, deleted, importance, md, tree, wide bool
	cmd := &cobra.Command{Use: "runs", Short: "list runs (--archived, --deleted: the ones the dashboard's a and D put away)", Args: noArgs}
	runsFlag(cmd.Flags(), &dir, "runs folder")
	cmd.Flags().BoolVar(&archived, "archived", false, "list the archived runs instead ('maskdash runs restore RUN' brings one back)")
	cmd.Flags().BoolVar(&deleted, "deleted", false, "list the deleted runs instead, still in the trash ('maskdash runs empty-trash' frees their space)")
	cmd.AddCommand(a.runsRestoreCmd(), a.runsEmptyTrashCmd())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&md, "md", false, "print the table as Markdown (GitHub's tables), for a report's list of experiments")
	cmd.Flags().BoolVar(&wide, "wide", false, "every column whole on a terminal narrower than the table (by default the note, tricks and parent columns are cut or left out there; piped, nothing is)")
	cmd.Flags().StringVar(&filter, "filter", "", "only runs that match every word: key=value by a setting (loss=focal seed=2), key<value, <=, >, >= or != by a setting or a figure (f1>0.3 lr<=1e-3 public>=0.7; see README), any other word as text (the dashboard's / filter)")
	cmd.Flags().StringVar(&sortBy, "sort", "run", "order: run (newest first), f1, acc or public (best first; public: the leaderboard's), time (longest first)")
	cmd.Flags().BoolVar(&tree, "tree", false, "list the runs as their lineage tree: each child run (train --from, the dashboard's n, sweep --from) under its parent, with what it changed from it")
	cmd.Flags().BoolVar(&importance, "importance", false, "instead of the list, what each setting that varies among the listed runs accounts for in their best macro F1 (ε², as sweep status gives a sweep's)")
	cmd.RunE = func(*cobra.Command, []string) error {
		order, ok := runOrders[sortBy]
		if !ok {
			return fmt.Errorf("sort %q is unknown; use run, f1, acc, time or public", sortBy)
		}
		match, err := runs.ParseFilter(filter)
		if err != nil {
			return err
		}
		if archived && deleted {
			return errors.New("--archived and --deleted list different folders: give one")
		}
		var shelf runs.Shelf // "": the runs themselves
		switch {
		case archived:
			shelf = runs.ShelfArchive
		case deleted:
			shelf = runs.ShelfTrash
		}
		store := runs.NewStore(dir)
		var list []runs.Listed
		where := dir
		if shelf == "" {
			list, err = store.List()
		} else {
			list, err = store.Shelved(shelf)
			where = filepath.Join(dir, string(shelf))
		}
		if err != nil {
			return err
		}
		if shelf == "" {
			// A record that does not read costs the scores, not the list.
			if err := runs.AttachLeaderboard(dir, list); err != nil {
				fmt.Fprintf(a.errOut, "warning: the runs are listed without their leaderboard scores: %v\n", err)
			}
		}
		kept := list[:0]
		for _, l := range list {
			if l.Err == nil && !match.Matches(l.Info) || l.Err != nil && filter != "" {
				continue
			}
			kept = append(kept, l)
		}
		list = kept
		if importance {
			return printRunImportance(a.out, where, list, asJSON)
		}
		sort.SliceStable(list, func(a, b int) bool { return order(list[a].Info) > order(list[b].Info) })
		placed := make([]runs.Placed, len(list)) // the list's order; with --tree its lineage tree
		ptrs := make([]*runs.Listed, len(list))
		for i := range list {
			placed[i], ptrs[i] = runs.Placed{Run: &list[i]}, &list[i]
		}
		if tree {
			placed = runs.Lineage(ptrs)
		}
		rows := make([]runRow, 0, len(list))
		for _, p := range placed {
			l := *p.Run
			i := l.Info
			loss, lr := training.FinalSettings(i)
			r := runRow{ID: i.ID, Status: i.Status, Model: i.Model, Loss: loss, StartLoss: i.Loss, Optim: i.Optim, LR: lr, StartLR: i.LR, Changes: i.Changes,
				Epochs: i.EpochsDone, Planned: i.Epochs, BestF1: i.Best.MacroF1, BestAcc: i.Best.Accuracy, Parent: i.Parent, Note: i.Note, Tricks: training.ConfigTricks(i.Config),
				Alerts: i.Alerts}
			if !i.Start.IsZero() {
				r.Duration = i.Duration().Seconds()
			}
			if i.Offsets != nil {
				r.OffsetsGain = &i.Offsets.HeldOutGain
			}
			r.Public = i.Public
			if tree {
				r.Depth, r.FromParent = &p.Depth, p.Changed()
			}
			if l.Err != nil {
				r.Status, r.Error = "unreadable", l.Err.Error()
			}
			rows = append(rows, r)
		}
		if asJSON {
			enc := json.NewEncoder(a.out)
			enc.SetIndent("", "  ")
			return enc.Encode(rows)
		}
		if len(rows) == 0 && filter != "" {
			fmt.Fprintf(a.out, "no run in %s matches %q\n", where, filter)
			return nil
		}
		if shelf != "" {
			if len(rows) == 0 {
				fmt.Fprintf(a.out, "no %s runs in %s\n", shelf.Word(), where)
				return nil
			}
			size, err := store.ShelfSize(shelf)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.out, "%s runs in %s, %.1f MiB ('maskdash runs restore RUN' brings one back", shelf.Word(), where, float64(size)/(1<<20))
			if shelf == runs.ShelfTrash {
				fmt.Fprint(a.out, ", 'maskdash runs empty-trash' frees the space")
			}
			fmt.Fprintln(a.out, ")")
			printRuns(a.out, where, rows, md, a.tableWidth(wide))
			return nil
		}
		printRuns(a.out, dir, rows, md, a.tableWidth(wide))
		printSweepsIn(a.out, dir)
		return nil
	}
	return cmd
}

// printRunImportance prints what each setting that varies among the
// listed runs that have a score (each run's config as it started)
// accounts for in their best macro F1.
func printRunImportance(w io.Writer, where string, list []runs.Listed, asJSON bool) error {
	var infos []runs.Info
	for _, l := range list {
		if l.Err == nil {
			infos = append(infos, l.Info)
		}
	}
	imp, scored := runs.RunImportances(infos)
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(importanceRows(imp))
	}
	if len(imp) == 0 {
		fmt.Fprintf(w, "no setting varies among the runs with a score in %s (%d of them)\n", where, scored)
		return nil
	}
	printImportances(w, imp, "runs", "; "+runs.NotDrawnAtRandom)
	for _, m := range imp {
		if n := runs.ChangedWhileTraining(infos, m.Setting); n > 0 {
			fmt.Fprintf(w, "%s: %s changed it while training; each counts with the value it started with\n", m.Setting, plural(n, "run"))
		}
	}
	return nil
}

func (a *app) runsRestoreCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{Use: "restore RUN", Short: "bring an archived or deleted run back into the list", Args: exactlyOne("a run id (maskdash runs --archived or --deleted lists them)")}
	runsFlag(cmd.Flags(), &dir, "runs folder")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		sh, err := runs.NewStore(dir).Restore(args[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(a.out, "%s is back in %s (it was %s)\n", args[0], dir, sh.Word())
		return nil
	}
	return cmd
}

func (a *app) runsEmptyTrashCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{Use: "empty-trash", Short: "delete the runs in the trash for good (the dashboard's D moves runs there)", Args: noArgs}
	runsFlag(cmd.Flags(), &dir, "runs folder")
	cmd.RunE = func(*cobra.Command, []string) error {
		n, size, err := runs.NewStore(dir).EmptyTrash()
		if err != nil {
			return err
		}
		if n == 0 && size == 0 {
			fmt.Fprintf(a.out, "the trash of %s is empty\n", dir)
			return nil
		}
		fmt.Fprintf(a.out, "deleted %s for good, %.1f MiB freed\n", plural(n, "run"), float64(size)/(1<<20))
		return nil
	}
	return cmd
}

// colourOut reports whether the output is a terminal that takes colour
// (not NO_COLOR): charts colour their curves then.
func (a *app) colourOut() bool {
	f, ok := a.out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && os.Getenv("NO_COLOR") == ""
}

// runOrders are maskdash runs' --sort keys: each a run's value, shown
// highest first. List gives the runs newest first already, which "run"
// keeps (a stable sort on equal values).
var runOrders = map[string]func(runs.Info) float64{
	"run":  func(runs.Info) float64 { return 0 },
	"f1":   func(i runs.Info) float64 { return nanLow(i.Best.MacroF1) },
	"acc":  func(i runs.Info) float64 { return nanLow(i.Best.Accuracy) },
	"time": func(i runs.Info) float64 { return i.Duration().Seconds() },
	"public": func(i runs.Info) float64 { // the best public leaderboard score; none last
		if i.Public == nil {
			return math.Inf(-1)
		}
		return *i.Public
	},
}

// nanLow puts a missing figure (NaN) below every other.
func nanLow(v float64) float64 {
	if math.IsNaN(v) {
		return math.Inf(-1)
	}
	return v
}

// printSweepsIn says, a line each, what sweeps the runs folder holds:
// their trials are runs in the sweep's own folder, which the table above
// does not list (the dashboard's runs view does, as sweep/trial).
func printSweepsIn(out io.Writer, dir string) {
	sws, err := sweep.List(dir)
	if err != nil {
		fmt.Fprintf(out, "sweeps: %v\n", err)
		return
	}
	for _, sw := range sws {
		st := sw.States(nil) // the run folders only: no queue asked (squeue)
		line := fmt.Sprintf("sweep %s: %d trials (%s)", sw.ID, len(st), sweep.Tally(st))
		if b := sweep.Best(st); len(b) > 0 {
			line += fmt.Sprintf(", best %s macro F1 %.4f", b[0].RunID, b[0].BestF1)
		}
		// What mattered most, where something clearly did.
		if imp := sweep.Importances(st); len(imp) > 0 && imp[0].Share >= 0.1 {
			if m := imp[0]; m.Setting == "seed" || m.Setting == "fold" {
				line += fmt.Sprintf(", noise (the %ss) outweighed every setting (ε² %.2f)", m.Setting, m.Share)
			} else {
				line += fmt.Sprintf(", %s mattered most (ε² %.2f)", m.Setting, m.Share)
			}
		}
		fmt.Fprintf(out, "%s; 'maskdash sweep status %s' lists them\n", line, sw.ID)
	}
}

// runsGive is how the runs table gives way on a narrow terminal: the
// note, the parent (--tree's what a child changed), the tricks, the time,
// the optimizer and the accuracy, in that order, then a long loss is cut;
// the run's id never (the other commands take it).
var runsGive = []give{{"NOTE", 12, true}, {"PARENT", 16, true}, {"FROM PARENT", 16, true}, {"TRICKS", 16, true},
	{"TIME", 6, true}, {"OPTIM", 5, true}, {"ACC", 5, true}, {"LOSS", 8, false}}

// printRuns prints the runs table, fitted to width columns (0: whole).
func printRuns(out io.Writer, dir string, rows []runRow, md bool, width int) {
	if len(rows) == 0 {
		fmt.Fprintf(out, "no runs in %s\n", dir)
		return
	}
	head, body, changed, alerted := runCells(rows)
	if md {
		// GitHub's table: for a report's list of experiments.
		line := func(cells []string) {
			for i, c := range cells {
				cells[i] = export.MarkdownCell(c)
			}
			fmt.Fprintf(out, "| %s |\n", strings.Join(cells, " | "))
		}
		line(head)
		sep := make([]string, len(head))
		for i, h := range head {
			sep[i] = "---"
			if slices.Contains([]string{"LR", "EPOCHS", "BEST F1", "ACC", "PUBLIC F1", "TIME"}, h) {
				sep[i] = "---:"
			}
		}
		fmt.Fprintf(out, "| %s |\n", strings.Join(sep, " | "))
		for _, cells := range body {
			line(append(cells, make([]string, max(len(head)-len(cells), 0))...))
		}
		fmt.Fprintln(out)
	} else {
		// Columns as wide as their widest cell: sweep trials' and --name's
		// ids and a mixed loss overflowed fixed widths and shifted the rest.
		t := table{head: head, rows: body, give: runsGive}
		t.printFitted(out, width)
	}
	if changed {
		mark := "*"
		if md {
			mark = `\*` // a list's bullet otherwise
		}
		fmt.Fprintln(out, mark+" changed while training: the value at the end ('maskdash compare RUN' shows each change)")
	}
	if alerted {
		fmt.Fprintln(out, "! the run raised the layers or non-finite alert ('maskdash layers RUN' shows its layers; --json lists its alerts)")
	}
}

// runCells are the runs table's header and a row of cells a run (an
// unreadable run's: its id, status and error), and whether a value was
// marked as changed while training or a run as having raised an alert.
func runCells(rows []runRow) (head []string, body [][]string, changed, alerted bool) {
	// The leaderboard's column once a run has a score there.
	public := slices.ContainsFunc(rows, func(r runRow) bool { return r.Public != nil })
	head = []string{"RUN", "STATUS", "MODEL", "LOSS", "OPTIM", "LR", "EPOCHS", "BEST F1", "ACC"}
	if public {
		head = append(head, "PUBLIC F1")
	}
	// --tree: each run under its parent, and what it changed from it
	// where the PARENT column would name it.
	tree := len(rows) > 0 && rows[0].Depth != nil
	parentHead := "PARENT"
	if tree {
		parentHead = "FROM PARENT"
	}
	head = append(head, "TIME", parentHead, "TRICKS", "NOTE")
	for _, r := range rows {
		id, parent := r.ID, orDash(r.Parent)
		if tree && *r.Depth == 0 && r.Parent != "" {
			parent = "child of " + r.Parent // its parent is not in the list
		}
		if tree && *r.Depth > 0 {
			id = strings.Repeat("  ", *r.Depth-1) + "└ " + r.ID
			parent = runs.ChangesLine(r.FromParent)
		}
		if r.Error != "" {
			body = append(body, []string{id, string(r.Status), r.Error})
			continue
		}
		// Each value that differs from the one the run started with.
		lossMark, lrMark := "", ""
		if r.Loss != r.StartLoss {
			lossMark, changed = "*", true
		}
		if r.LR != r.StartLR {
			lrMark, changed = "*", true
		}
		status := string(r.Status)
		if training.Troubled(r.Alerts) {
			status, alerted = status+"!", true
		}
		cells := []string{id, status, r.Model, r.Loss + lossMark, r.Optim, fmt.Sprintf("%.2g%s", r.LR, lrMark),
			fmt.Sprintf("%d/%d", r.Epochs, r.Planned), fmt.Sprintf("%.4f", r.BestF1), fmt.Sprintf("%.3f", r.BestAcc)}
		if public {
			c := "-"
			if r.Public != nil {
				c = fmt.Sprintf("%.4f", *r.Public)
			}
			cells = append(cells, c)
		}
		body = append(body, append(cells, fmtDur(r.Duration), parent, orDash(strings.Join(r.Tricks, " · ")), noteCell(r.Note)))
	}
	return head, body, changed, alerted
}

// noteCell is a note's first line, cut to a table cell's width.
func noteCell(note string) string {
	line := runs.NoteLine(note)
	if r := []rune(line); len(r) > 48 {
		return string(r[:47]) + "…"
	}
	return line
}

func fmtDur(s float64) string {
	d := int(s)
	if d >= 3600 {
		return fmt.Sprintf("%dh%02dm", d/3600, d/60%60)
	}
	return fmt.Sprintf("%dm%02ds", d/60, d%60)
}

func (a *app) compareCmd() *cobra.Command {
	var dir, metric string
	var asJSON bool
	var filter string
	cmd := &cobra.Command{
		Use:   "compare RUN [RUN…] | --filter WORDS",
		Short: "settings, live changes, best figures and curves side by side",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && filter == "" {
				return fmt.Errorf("compare needs at least one run id, or --filter; see '%s --help'", cmd.CommandPath())
			}
			return nil
		},
	}
	runsFlag(cmd.Flags(), &dir, "runs folder")
	cmd.Flags().StringVar(&filter, "filter", "", "also every run (and sweep trial) that matches, best F1 first: the words of runs --filter ('f1>0.3 model=vgg-s')")
	cmd.Flags().StringVar(&metric, "metric", "f1", "metric to chart: f1, acc, loss, mask-f1, gender-f1 or age-f1 (validation, per epoch), or train-loss (per step, from the history columns)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		if !slices.Contains(training.EpochMetrics, metric) && metric != trainLoss {
			return fmt.Errorf("metric %q is unknown; use %s or %s", metric, strings.Join(training.EpochMetrics, ", "), trainLoss)
		}
		store := runs.NewStore(dir)
		var infos []runs.Info
		var curves [][]float64     // per epoch
		var steps []runs.StepCurve // per step (train-loss)
		var seenFrom []int         // per run: its first epoch validated on images it trained on (--val-train), 0 none
		if filter != "" {
			found, err := a.filteredRuns(dir, filter)
			if err != nil {
				return err
			}
			args = withRunDirs(args, found)
		}
		for _, ref := range args {
			info, err := store.Info(ref)
			if err != nil {
				return err
			}
			infos = append(infos, info)
			if metric == trainLoss {
				c, err := runs.TrainingLossCurve(info.Dir, runs.ChartBuckets)
				if err != nil {
					return fmt.Errorf("run %s: %w", info.ID, err)
				}
				steps = append(steps, c)
				curves = append(curves, c.Values)
				continue
			}
			c, err := training.EpochCurve(info.Dir, metric)
			if err != nil {
				return err
			}
			curves = append(curves, c)
			from, err := training.SeenFrom(info.Dir)
			if err != nil {
				return err
			}
			seenFrom = append(seenFrom, from)
		}
		var side *training.RunDiff
		if len(infos) == 2 {
			d, err := training.CompareRuns(infos[0].Dir, infos[1].Dir)
			if err == nil {
				side = d
			} else if !asJSON {
				fmt.Fprintf(a.errOut, "warning: no class-by-class comparison: %v\n", err)
			}
		}
		if asJSON {
			return compareJSON(a.out, metric, infos, curves, steps, seenFrom, side)
		}
		printCompare(a.out, metric, infos, curves, steps, seenFrom, a.colourOut())
		for i, from := range seenFrom {
			if from > 0 {
				fmt.Fprintf(a.out, "[%d] validated on images it trained on from epoch %d (--val-train, dashed): those epochs are no held-out measure, and its best figures are of the epochs before\n", i+1, from)
			}
		}
		if side != nil {
			printSide(a.out, side)
		}
		return nil
	}
	return cmd
}

// filteredRuns are the runs of runs folder dir and its sweeps' trials
// (as the runs view lists them) that match filter (runs.ParseFilter),
// best validation macro F1 first; none is an error that says so.
func (a *app) filteredRuns(dir, filter string) ([]runs.Info, error) {
	match, err := runs.ParseFilter(filter)
	if err != nil {
		return nil, err
	}
	list, err := sweep.RunsAndTrials(dir)
	if err != nil {
		return nil, err
	}
	// public>… needs the scores; a record that does not read costs them.
	if err := runs.AttachLeaderboard(dir, list); err != nil {
		fmt.Fprintf(a.errOut, "warning: the filter sees no leaderboard scores: %v\n", err)
	}
	var out []runs.Info
	for _, l := range list {
		if l.Err == nil && match.Matches(l.Info) {
			out = append(out, l.Info)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no run in %s matches %q", dir, filter)
	}
	sort.SliceStable(out, func(i, j int) bool { return runs.HigherFirst(out[i].Best.MacroF1, out[j].Best.MacroF1) })
	return out, nil
}

// withRunDirs adds the found runs' folders to refs, leaving out those
// refs name already.
func withRunDirs(refs []string, found []runs.Info) []string {
	for _, i := range found {
		if !slices.ContainsFunc(refs, func(r string) bool { return r == i.ID || filepath.Clean(r) == filepath.Clean(i.Dir) }) {
			refs = append(refs, i.Dir)
		}
	}
	return refs
}

// printSide prints two runs class by class: each class's F1 in A and B
// and the difference, the classes that gained and lost most, and the
// confusion matrix of B minus A's in points of each true class's share.
func printSide(out io.Writer, d *training.RunDiff) {
	names := d.ClassNames()
	fmt.Fprintf(out, "\nclass by class, best epochs (A [1] epoch %d, B [2] epoch %d):\n", d.A.BestEpoch, d.B.BestEpoch)
	fmt.Fprintf(out, "%-3s %-16s %6s %6s %7s\n", "", "class", "F1 A", "F1 B", "B−A")
	for c, dd := range d.F1Diff {
		fmt.Fprintf(out, "%-3d %-16s %6.3f %6.3f %+7.3f\n", c, names[c], d.A.PerClass[c].F1, d.B.PerClass[c].F1, dd)
	}
	fmt.Fprintf(out, "gained: %s\nlost: %s\n", d.Describe(d.Gained), d.Describe(d.Lost))
	fmt.Fprintln(out, "\nconfusion B − A, points of each true class's share (rows: truth, columns: prediction):")
	// Four cells a column, five where a whole class moved (−100 would run
	// into its neighbour).
	cw := 4
	for _, row := range d.ConfDiff {
		for _, v := range row {
			if math.Abs(math.Round(100*v)) >= 100 {
				cw = 5
			}
		}
	}
	fmt.Fprintf(out, "%3s", "")
	for j := range d.ConfDiff {
		fmt.Fprintf(out, "%*d", cw, j)
	}
	fmt.Fprintln(out)
	for i, row := range d.ConfDiff {
		fmt.Fprintf(out, "%3d", i)
		for _, v := range row {
			if p := math.Round(100 * v); p != 0 {
				fmt.Fprintf(out, "%*.0f", cw, p)
			} else {
				fmt.Fprintf(out, "%*s", cw, "·")
			}
		}
		fmt.Fprintln(out)
	}
}

// trainLoss is compare's --metric for the training loss per step.
const trainLoss = "train-loss"

func compareJSON(out io.Writer, metric string, infos []runs.Info, curves [][]float64, steps []runs.StepCurve, seenFrom []int, side *training.RunDiff) error {
	diff := runs.DifferingSettings(infos)
	type cmp struct {
		ID       string         `json:"id"`
		Note     string         `json:"note,omitempty"`
		Settings map[string]any `json:"settings"`
		Changes  []runs.Change  `json:"changes,omitempty"`
		Best     runs.Best      `json:"best"`
		Curve    []float64      `json:"curve"`
		Steps    []int          `json:"steps,omitempty"` // train-loss: each value's step
		// SeenFrom: the first epoch validated on images the run trained
		// on (--val-train); absent when none.
		SeenFrom int `json:"seen_from,omitempty"`
	}
	var rows []cmp
	for i, info := range infos {
		s := map[string]any{}
		for _, k := range diff {
			s[k] = info.Config[k]
		}
		c := curves[i]
		for j := range c {
			if math.IsNaN(c[j]) {
				c[j] = -1
			}
		}
		row := cmp{ID: info.ID, Note: info.Note, Settings: s, Changes: info.Changes, Best: info.Best, Curve: c}
		if i < len(steps) {
			row.Steps = steps[i].Steps
		}
		if i < len(seenFrom) {
			row.SeenFrom = seenFrom[i]
		}
		rows = append(rows, row)
	}
	doc := map[string]any{"metric": metric, "differing": diff, "runs": rows}
	if side != nil {
		type classRow struct {
			Class string  `json:"class"`
			A     float64 `json:"f1_a"`
			B     float64 `json:"f1_b"`
			Diff  float64 `json:"f1_diff"`
		}
		var cls []classRow
		names := side.ClassNames()
		for c, dd := range side.F1Diff {
			cls = append(cls, classRow{names[c], side.A.PerClass[c].F1, side.B.PerClass[c].F1, dd})
		}
		doc["side_by_side"] = map[string]any{"a": side.A.ID, "b": side.B.ID, "best_epoch_a": side.A.BestEpoch, "best_epoch_b": side.B.BestEpoch,
			"classes": cls, "gained": side.Gained, "lost": side.Lost, "confusion_diff": side.ConfDiff}
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// printCompare prints the runs' table, their changes and a chart of the
// metric, its curves coloured (and the legend naming the colours) when
// colour is set: the output is a terminal.
func printCompare(out io.Writer, metric string, infos []runs.Info, curves [][]float64, steps []runs.StepCurve, seenFrom []int, colour bool) {
	diff := runs.DifferingSettings(infos)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "\tRUN")
	for _, k := range diff {
		fmt.Fprintf(tw, "\t%s", k)
	}
	fmt.Fprintln(tw, "\tBEST F1\tACC\tEPOCH")
	for i, info := range infos {
		fmt.Fprintf(tw, "[%d]\t%s", i+1, info.ID)
		for _, k := range diff {
			fmt.Fprintf(tw, "\t%s", runs.SettingText(info.Config[k]))
		}
		fmt.Fprintf(tw, "\t%.4f\t%.3f\t%d\n", info.Best.MacroF1, info.Best.Accuracy, info.Best.Epoch)
	}
	_ = tw.Flush() // a closed pipe has no one to tell
	for i, info := range infos {
		if info.Note != "" {
			fmt.Fprintf(out, "[%d]  note: %s\n", i+1, runs.NoteLine(info.Note))
		}
	}
	for i, info := range infos {
		for _, c := range info.Changes {
			who := ""
			if c.Who != "" {
				who = " by " + c.Who
			}
			fmt.Fprintf(out, "[%d]  %s → %s at step %d%s\n", i+1, c.Setting, c.Value, c.Step, who)
		}
	}
	n := 0
	for _, c := range curves {
		n = max(n, len(c))
	}
	if n == 0 {
		if metric == trainLoss {
			fmt.Fprintln(out, "\nno training loss recorded yet (the history gets a sample every 250 ms of training and at each epoch's end)")
		} else {
			fmt.Fprintln(out, "\nno finished epochs to chart yet")
		}
		return
	}
	fmt.Fprintln(out)
	if metric == trainLoss {
		fmt.Fprintln(out, ui.PlotSteps(steps, 82, 16, fmt.Sprintf("training loss per step (smoothed): runs %s", legend(len(curves), colour)), colour))
		return
	}
	fmt.Fprintln(out, ui.Plot(curves, seenFrom, min(82, max(32, n*6+12)), 14, fmt.Sprintf("validation %s per epoch: runs %s", metric, legend(len(curves), colour)), colour))
}

// legend names the chart's n curves by run number, and their colours
// when they have them.
func legend(n int, colour bool) string {
	var s []string
	for i := range n {
		s = append(s, fmt.Sprintf("[%d] %s", i+1, ui.CurveMark(i, colour)))
	}
	return strings.Join(s, " ")
}
