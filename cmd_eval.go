package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/training/sweep"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// openRunData loads the run that eval or predict names (argument or
// --run) and the data to score or predict.
func openRunData(cmd *cobra.Command, args []string, run, runsDir, ckpt, dir string, predict bool) (training.RunPredictor, *dataset.Set, error) {
	ref, err := runArg(cmd, run, args)
	if err != nil {
		return training.RunPredictor{}, nil, err
	}
	pr, err := training.OpenRunPredictor(runs.NewStore(runsDir), ref, ckpt)
	if err != nil {
		return training.RunPredictor{}, nil, err
	}
	set, err := pr.EvalData(dir, predict)
	return pr, set, err
}

// runFlags registers the flags that name a run's checkpoint, for eval and
// predict.
func runFlags(f *pflag.FlagSet, runsDir, run, ckpt *string) {
	runsFlag(f, runsDir, "runs folder")
	f.StringVar(run, "run", "", "run id (or give it as the argument)")
	f.StringVar(ckpt, "ckpt", "best", "best, latest or a checkpoint file (best.train, latest.train: the training weights beside an --ema run's)")
}

// runArg takes RUN from --run or the one positional argument.
func runArg(cmd *cobra.Command, flag string, args []string) (string, error) {
	switch {
	case len(args) > 1:
		return "", fmt.Errorf("%s takes one run, not %d", cmd.Name(), len(args))
	case len(args) == 1 && flag != "" && flag != args[0]:
		return "", fmt.Errorf("%s got two runs: --run %s and %s", cmd.Name(), flag, args[0])
	case len(args) == 1:
		return args[0], nil
	case flag == "":
		return "", fmt.Errorf("%s needs a run: %s RUN; see '%s --help'", cmd.Name(), cmd.CommandPath(), cmd.CommandPath())
	}
	return flag, nil
}

// runFolderArg resolves the one RUN argument to its folder in runsDir.
func runFolderArg(cmd *cobra.Command, runsDir string, args []string) (string, error) {
	ref, err := runArg(cmd, "", args)
	if err != nil {
		return "", err
	}
	return runs.NewStore(runsDir).Resolve(ref)
}

// runInfoArg is runFolderArg with the run's run.json read.
func runInfoArg(cmd *cobra.Command, runsDir string, args []string) (string, runs.Info, error) {
	dir, err := runFolderArg(cmd, runsDir, args)
	if err != nil {
		return "", runs.Info{}, err
	}
	info, err := runs.ReadInfo(dir)
	return dir, info, err
}

func (a *app) evalCmd() *cobra.Command {
	var runsDir, run, ckpt, dir string
	var tta, asJSON, offsets bool
	cmd := &cobra.Command{Use: "eval RUN", Short: "score a run's checkpoint on labelled data (default: the data it trained on)"}
	f := cmd.Flags()
	runFlags(f, &runsDir, &run, &ckpt)
	f.StringVar(&dir, "data", "", "labelled data folder (default: the one the run trained on)")
	f.BoolVar(&tta, "tta", false, "average with the horizontally flipped image")
	offsetsFlag(f, &offsets)
	f.BoolVar(&asJSON, "json", false, "print JSON")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		pr, set, err := openRunData(cmd, args, run, runsDir, ckpt, dir, false)
		if err != nil {
			return err
		}
		var fitted runs.ClassOffsets
		if offsets {
			if fitted, err = pr.UseOffsets(); err != nil {
				return err
			}
		}
		unread := a.imageWarner()
		pr.Warn = unread.warn
		a.keepPrepared(pr.Predictor)
		m, conf, err := pr.Evaluate(a.ctx, set, tta)
		if err != nil {
			return err
		}
		scored := fmt.Sprintf("%d images", set.Len())
		if n := unread.count(); n > 0 {
			scored += fmt.Sprintf(", %d of which could not be read and are left out", n)
		}
		if asJSON {
			enc := json.NewEncoder(a.out)
			enc.SetIndent("", "  ")
			return enc.Encode(map[string]any{"checkpoint": pr.Path, "data": set.Root, "images": set.Len(), "unreadable": unread.count(), "metrics": m, "confusion": conf, "class_offsets": pr.Offsets})
		}
		if offsets {
			n, err := training.FittedImagesIn(pr.RunDir, fitted.Epoch, set)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.out, "with class offsets fitted on epoch %d's validation images", fitted.Epoch)
			if n > 0 {
				fmt.Fprintf(a.out, ", %d of which are among these: optimistic", n)
			}
			fmt.Fprintln(a.out)
			a.offsetsTTANote(fitted, tta)
		}
		fmt.Fprintf(a.out, "%s on %s (%s)\naccuracy %.4f  macro F1 %.4f (over the classes present; %.4f over all %d)  loss %.4f\n",
			pr.Path, set.Root, scored, m.Accuracy, m.MacroF1, m.MacroF1All, len(set.Classes), m.Loss)
		for _, t := range dataset.TaskNames {
			if te, ok := m.Tasks[t]; ok {
				fmt.Fprintf(a.out, "  %-7s accuracy %.4f  macro F1 %.4f\n", t, te.Accuracy, te.MacroF1)
			}
		}
		return nil
	}
	return cmd
}

// probsHelp is the --probs flag's help, for predict and ensemble.
const probsHelp = "also write each image's class probabilities to this CSV (ImageID,0,1,…: for soft votes elsewhere, and --pseudo-labels with --pseudo-min-prob)"

// writeProbs writes lp's probabilities to file (--probs), when it is set.
func (a *app) writeProbs(file string, set *dataset.Set, lp [][]float64) error {
	if file == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	if err := training.WriteProbabilities(file, set, lp); err != nil {
		return err
	}
	fmt.Fprintf(a.out, "wrote their class probabilities to %s\n", file)
	return nil
}

func (a *app) predictCmd() *cobra.Command {
	var runsDir, run, ckpt, dir, file, probs string
	var tta, offsets bool
	cmd := &cobra.Command{Use: "predict RUN --out FILE", Short: "write ImageID,ans predictions of a run's checkpoint"}
	f := cmd.Flags()
	runFlags(f, &runsDir, &run, &ckpt)
	f.StringVar(&dir, "data", "", "data folder with eval/info.csv (default: the one the run trained on)")
	f.StringVar(&file, "out", "", "output CSV (required)")
	f.StringVar(&probs, "probs", "", probsHelp)
	f.BoolVar(&tta, "tta", false, "average with the horizontally flipped image")
	offsetsFlag(f, &offsets)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if file == "" {
			return fmt.Errorf("predict needs --out FILE")
		}
		pr, set, err := openRunData(cmd, args, run, runsDir, ckpt, dir, true)
		if err != nil {
			return err
		}
		if offsets {
			o, err := pr.UseOffsets()
			if err != nil {
				return err
			}
			fmt.Fprintf(a.out, "with class offsets (fitted on epoch %d's validation images; held-out gain %+.4f macro F1)\n", o.Epoch, o.HeldOutGain)
			a.offsetsTTANote(o, tta)
		}
		pr.Warn = a.imageWarner().warn
		a.keepPrepared(pr.Predictor)
		lp, unread, err := pr.LogProbs(a.ctx, set, tta)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return err
		}
		if err := training.WritePredictions(file, set, lp); err != nil {
			return err
		}
		fmt.Fprintf(a.out, "wrote %d predictions to %s\n", set.Len(), file)
		a.sayGuesses(training.CountUnread(unread))
		if set.Task != "" {
			fmt.Fprintf(a.out, "they are the %s task's classes (%s), no submission: 'maskdash ensemble --run MASK --run GENDER --run AGE --out FILE' combines a run of each task\n",
				set.Task, strings.Join(set.Classes, ", "))
		} else if err := a.recordSubmission(runsDir, file, []training.RunPredictor{pr}, tta, offsets, nil); err != nil {
			return err
		}
		if err := a.writeProbs(probs, set, lp); err != nil {
			return err
		}
		if set.HasTruth() {
			a.sayTruth("against the truth beside it", training.ScoreLogProbs(set, lp, unread), training.CountUnread(unread))
		}
		return nil
	}
	return cmd
}

func (a *app) ensembleCmd() *cobra.Command {
	var runsDir, ckpt, dir, file, sweepRef, probs, filter string
	var refs []string
	var tta, offsets, weighted bool
	var top int
	// Runs may be named as arguments too (ensemble R1 R2 --out F), as
	// compare takes them: --run is the same list, for scripts that build it.
	cmd := &cobra.Command{Use: "ensemble (RUN RUN… | --sweep SWEEP [--top K] | --filter WORDS [--top K]) --out FILE", Short: "soft vote of several runs' predictions"}
	f := cmd.Flags()
	runsFlag(f, &runsDir, "runs folder")
	f.StringArrayVar(&refs, "run", nil, "a run id (repeat for each model)")
	f.StringVar(&ckpt, "ckpt", "best", "best or latest, for every run (best.train, latest.train: the training weights of --ema runs)")
	f.StringVar(&dir, "data", "", "data folder with eval/info.csv (default: the one the first run trained on)")
	f.StringVar(&file, "out", "", "output CSV (required)")
	f.StringVar(&probs, "probs", "", probsHelp)
	f.BoolVar(&tta, "tta", false, "average with the horizontally flipped image")
	f.BoolVar(&offsets, "offsets", false, "fit class offsets for macro F1 on the runs' validation predictions (the vote of runs of one split, or the folds' out-of-fold predictions) and add them to the vote when held-out halves say they help")
	f.BoolVar(&weighted, "weights", false, "fit a weight per run on the validation images the runs share (runs of one split) and vote with the weights when held-out halves say they raise macro F1")
	f.StringVar(&sweepRef, "sweep", "", "vote with a sweep's trials: the --top K best by validation macro F1, or every fold of a K-fold sweep")
	f.StringVar(&filter, "filter", "", "vote with every run (and sweep trial) that matches, as runs --filter takes it ('f1>0.35 model=vgg-s'); with --top K the K best by validation macro F1")
	countInt(f, &top, "top", 0, "with --sweep: the K best trials (default 5); of a sweep with --folds or --seeds, every trial of the K best settings by their mean over them (default 1: the best setting's folds); of each task in a sweep over --task; with --filter: the K best runs (default: all)")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		refs = append(args, refs...) // the arguments first, then --run's
		given := 0
		for _, g := range []bool{len(refs) > 0, sweepRef != "", filter != ""} {
			if g {
				given++
			}
		}
		if given > 1 {
			return fmt.Errorf("ensemble takes one of: runs (RUN… or --run), --sweep and --filter")
		}
		if top > 0 && sweepRef == "" && filter == "" {
			return fmt.Errorf("--top %d picks among a sweep's trials or a filter's runs: give --sweep or --filter", top)
		}
		if filter != "" {
			found, err := a.filteredRuns(runsDir, filter)
			if err != nil {
				return err
			}
			if top > 0 && len(found) > top {
				found = found[:top]
			}
			for _, i := range found {
				fmt.Fprintf(a.out, "from the filter: %s, best macro F1 %.4f at epoch %d\n", i.ID, i.Best.MacroF1, i.Best.Epoch)
			}
			refs = withRunDirs(nil, found)
		}
		if sweepRef != "" {
			picked, says, err := sweepMembers(runsDir, sweepRef, top)
			if err != nil {
				return err
			}
			for _, s := range says {
				fmt.Fprintf(a.out, "from the sweep, by its mean: %s\n", s)
			}
			for _, p := range picked {
				fmt.Fprintf(a.out, "from the sweep: %s (%s), best macro F1 %.4f at epoch %d\n", p.RunID, p.Label(), p.BestF1, p.BestEpoch)
				refs = append(refs, p.dir)
			}
		}
		if len(refs) < 1 || file == "" {
			return fmt.Errorf("ensemble needs runs (RUN… or --run RUN, one or more), --sweep SWEEP or --filter WORDS, and --out FILE")
		}
		var prs []training.RunPredictor
		for _, ref := range refs {
			pr, err := training.OpenRunPredictor(runs.NewStore(runsDir), ref, ckpt)
			if err != nil {
				return err
			}
			prs = append(prs, pr)
		}
		// The weights and offsets first: runs of different splits are
		// refused before the vote's predictions are made.
		var w []float64
		if weighted {
			vw, err := training.FitVoteWeights(prs)
			if err != nil {
				return fmt.Errorf("ensemble --weights: %w", err)
			}
			w = a.printVoteWeights(vw, refs, tta)
		}
		var cal *training.VoteCalibration
		if offsets {
			c, err := training.CalibrateWeightedVote(a.ctx, prs, tta, w)
			if err != nil {
				return err
			}
			cal = &c
		}
		var set *dataset.Set
		if dir != "" {
			var err error
			if set, err = prs[0].VoteData(dir); err != nil {
				return err
			}
		}
		// One warner for every run: each image that cannot be read is
		// named once, not once a run.
		warn := a.imageWarner()
		for k := range prs {
			prs[k].Warn = warn.warn
			a.keepPrepared(prs[k].Predictor)
		}
		i := 0
		e, err := training.SoftVoteRuns(a.ctx, prs, set, tta, func(m training.EnsembleMember) {
			if m.Alone != nil {
				of := ""
				if m.Task != "" {
					of = " of the " + m.Task + " task"
				}
				fmt.Fprintf(a.out, "%s alone: accuracy %.4f, macro F1 %.4f%s\n", refs[i], m.Alone.Accuracy, m.Alone.MacroF1, of)
			}
			i++
		})
		if err != nil {
			return err
		}
		guesses := training.CountUnread(e.Unread)
		if w != nil {
			if e, err = e.WithWeights(w); err != nil {
				return err
			}
			if e.Set.HasTruth() {
				a.sayTruth("the weighted vote", e.Score, guesses)
			}
		}
		if cal != nil {
			a.offsetVote(*cal, &e)
		}
		if err := training.WritePredictions(file, e.Set, e.Vote); err != nil {
			return err
		}
		fmt.Fprintf(a.out, "wrote the soft vote of %s (%d predictions) to %s\n", plural(len(prs), "run"), e.Set.Len(), file)
		a.sayGuesses(guesses)
		if e.Set.Task == "" {
			if err := a.recordSubmission(runsDir, file, prs, tta, cal != nil && cal.Worth(), w); err != nil {
				return err
			}
		}
		if err := a.writeProbs(probs, e.Set, e.Vote); err != nil {
			return err
		}
		if e.Set.HasTruth() {
			a.sayTruth("ensemble", e.Score, guesses)
		}
		a.printVoteValidation(prs, w != nil)
		return nil
	}
	return cmd
}

// printVoteWeights says what the weights' fit found and returns the
// weights the vote takes: the fitted ones when held-out halves say they
// raise macro F1, else nil (an equal vote).
func (a *app) printVoteWeights(v training.VoteWeights, refs []string, tta bool) []float64 {
	parts := make([]string, len(v.Weights))
	for k, w := range v.Weights {
		parts[k] = fmt.Sprintf("%s %.3f", filepath.Base(refs[k]), w)
	}
	h := v.HeldOut
	fmt.Fprintf(a.out, "vote weights, by ensemble selection for macro F1 on the %d validation images the runs share: %s\n", v.Images, strings.Join(parts, ", "))
	fmt.Fprintf(a.out, "vote weights: macro F1 %.4f (equal) → %.4f where fitted, %+.4f ± %.4f on held-out halves (%d of %d gained)\n",
		v.Before, v.After, h.Gain, h.SD, h.Improved, h.Halves)
	if !v.Worth() {
		fmt.Fprintln(a.out, "vote weights not used: they did not raise macro F1 on two held-out halves in three; the runs vote equally")
		return nil
	}
	if tta {
		fmt.Fprintln(a.out, "note: the weights were fitted on plain validation predictions and the vote is of --tta ones: close, not exact")
	}
	fmt.Fprintln(a.out, "vote weights used")
	return v.Weights
}

// printVoteValidation says how the vote does on the validation images
// its runs share, against each run alone (their kept predictions, so it
// costs no prediction): whether voting gains before it is submitted.
// Of a weighted vote it gives the equal vote's figure: the weighted one
// on these images is the fit's own (said with the weights).
func (a *app) printVoteValidation(prs []training.RunPredictor, weighted bool) {
	if len(prs) < 2 {
		return
	}
	v, err := training.VoteOnValidation(prs)
	if errors.Is(err, training.ErrNoSharedValidation) {
		if o, oerr := training.VoteOutOfFold(prs); oerr == nil {
			folds := make([]string, len(o.Folds))
			for k, m := range o.Folds {
				folds[k] = fmt.Sprintf("%.4f", m.MacroF1)
			}
			fmt.Fprintf(a.out, "validation, out of fold (the %d images of %d validation splits, each voted by the runs that did not train on it): macro F1 %.4f (each split's %s)\n",
				o.Images, o.Splits, o.Vote.MacroF1, strings.Join(folds, ", "))
			return
		}
	}
	if err != nil {
		fmt.Fprintf(a.out, "validation: no figure for the vote (%v)\n", err)
		return
	}
	alone := make([]string, len(v.Alone))
	for k, m := range v.Alone {
		alone[k] = fmt.Sprintf("%.4f", m.MacroF1)
	}
	which := "the vote's"
	if weighted {
		which = "the equal vote's (the weighted one's is above, where its weights were fitted)"
	}
	fmt.Fprintf(a.out, "validation (the %d images the runs share, their kept predictions): %s macro F1 %.4f, %+.4f on the best run alone (alone %s)\n",
		v.Images, which, v.Vote.MacroF1, v.Vote.MacroF1-v.BestAlone(), strings.Join(alone, ", "))
}

// recordSubmission adds the predictions file to the runs folder's record
// of submissions, for 'maskdash submissions score' to give it the
// leaderboard's figure.
func (a *app) recordSubmission(runsDir, file string, prs []training.RunPredictor, tta, offsets bool, voteWeights []float64) error {
	home, s := training.SubmissionFrom(runsDir, prs, tta, offsets)
	s.VoteWeights = voteWeights
	if err := runs.RecordSubmission(home, file, s); err != nil {
		// The predictions are written: the record's trouble is a warning.
		fmt.Fprintf(a.errOut, "warning: %s is written but not recorded among the submissions: %v\n", file, err)
		return nil
	}
	where := ""
	if filepath.Clean(home) != filepath.Clean(defaultRunsDir(os.Getenv)) {
		where = " --runs " + home
	}
	fmt.Fprintf(a.out, "recorded in %s; once the leaderboard scores it: maskdash submissions score %s --f1 F1 [--acc ACC]%s\n",
		filepath.Join(home, runs.SubmissionsFile), file, where)
	return nil
}

// offsetsTTANote says when offsets were fitted on other predictions than
// these (with or without --tta): close, not exact.
func (a *app) offsetsTTANote(o runs.ClassOffsets, tta bool) {
	switch {
	case o.TTA && !tta:
		fmt.Fprintln(a.out, "note: the offsets were fitted on --tta predictions and these are plain: close, not exact (calibrate without --tta for these)")
	case !o.TTA && tta:
		fmt.Fprintln(a.out, "note: the offsets were fitted on plain predictions and these are --tta ones: close, not exact (calibrate --tta for these)")
	}
}

// offsetsFlag registers --offsets for predict and eval.
func offsetsFlag(f *pflag.FlagSet, on *bool) {
	f.BoolVar(on, "offsets", false, "add the class offsets maskdash calibrate fitted for this checkpoint (RUN/class-offsets.json)")
}

// offsetVote adds class offsets fitted on the runs' validation
// predictions to e's vote, if held-out halves say they help.
func (a *app) offsetVote(cal training.VoteCalibration, e *training.Ensemble) {
	h := cal.HeldOut
	on := "the vote's validation predictions"
	if cal.Splits > 1 {
		on = fmt.Sprintf("out-of-fold predictions (%d validation splits, %d images)", cal.Splits, cal.Images)
	}
	if cal.TTA {
		on += " with their mirror images (--tta)"
	}
	fmt.Fprintf(a.out, "class offsets on %s: macro F1 %.4f → %.4f where fitted, %+.4f ± %.4f on held-out halves (%d of %d gained)\n",
		on, cal.Before, cal.After, h.Gain, h.SD, h.Improved, h.Halves)
	if !cal.Worth() {
		fmt.Fprintf(a.out, "class offsets not added: they did not raise macro F1 on two held-out halves in three\n")
		return
	}
	*e = e.WithOffsets(cal.Offsets)
	fmt.Fprintf(a.out, "class offsets added to the vote\n")
}

// sweepMember is a trial picked for an ensemble, with its run folder.
type sweepMember struct {
	sweep.TrialStatus
	dir string
}

// sweepMembers picks a sweep's trials for a vote: the top K by best
// validation macro F1 (default 5); of a sweep whose settings train on
// folds or seeds, every trial of its top K settings by their mean over
// them (default 1: the best setting's folds, each image of the
// out-of-fold predictions voted by the runs that did not train on it).
// A sweep over --task picks so within each task. says tells which
// settings were picked, for a sweep of folds or seeds.
func sweepMembers(runsDir, ref string, top int) (out []sweepMember, says []string, err error) {
	sw, err := sweep.Open(runsDir, ref)
	if err != nil {
		return nil, nil, err
	}
	st := sw.Status(nil)
	best := sweep.Best(st)
	if len(best) == 0 {
		return nil, nil, fmt.Errorf("sweep %s has no trial with a finished epoch yet", sw.ID)
	}
	perPoint := sw.PerPoint()
	if top == 0 {
		top = 5
		if perPoint {
			top = 1
		}
	}
	// A sweep over --task votes the best trials of each task: the vote
	// combines the tasks, and needs each.
	var tasks []string
	byTask := map[string][]sweep.TrialStatus{}
	for _, t := range best {
		task := trialTask(t.Trial)
		if _, ok := byTask[task]; !ok {
			tasks = append(tasks, task)
		}
		byTask[task] = append(byTask[task], t)
	}
	for _, task := range tasks {
		b := byTask[task]
		if !perPoint {
			for _, t := range b[:min(top, len(b))] {
				out = append(out, sweepMember{t, sw.RunDir(t.Index)})
			}
			continue
		}
		pts := sweep.Points(b)
		for _, p := range pts[:min(top, len(pts))] {
			says = append(says, fmt.Sprintf("%s: %s", p.Label(), p.Says(sw.Unit())))
			for _, t := range p.Trials {
				out = append(out, sweepMember{t, sw.RunDir(t.Index)})
			}
		}
	}
	return out, says, nil
}

// trialTask is the one task a trial trains on (its task setting); "" for
// all 18 classes, which every trial of a sweep without task is.
func trialTask(t sweep.Trial) string {
	for _, kv := range t.Params {
		if kv.Name == "task" && kv.Value != training.NoneSetting {
			return kv.Value
		}
	}
	return ""
}
