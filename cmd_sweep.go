package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/training/sweep"
	"github.com/maskdash/maskdash/ui"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// sweepOwned are train flags a sweep sets itself for each trial.
// A sweep's --from (every trial a child run of one parent: fine-tuning
// settings searched from one pretrained run) is kept as the parent's
// folder, so that trials find it from the sweep folder.
var sweepOwned = map[string]bool{"runs": true, "run-id": true, "fold": true, "folds": true, "name": true, "headless": true}

// trainFlagSet is a fresh set of the train flags (to read a trial's
// flags, or to know their names).
func trainFlagSet() (*pflag.FlagSet, *training.Config, func() error) {
	fs := pflag.NewFlagSet("train", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var cfg training.Config
	finish := trainFlags(fs, &cfg)
	return fs, &cfg, finish
}

// sweepOptions are sweep's own flags (the train flags it passes on are
// the trials').
type sweepOptions struct {
	runsDir, grid, random, backend, slurmArgs, early, name, search string
	draws, folds, seeds, parallel, minEpochs, eta, startup         int
	wait                                                           bool
}

func (a *app) sweepCmd() *cobra.Command {
	var o sweepOptions
	cmd := &cobra.Command{
		Use:   "sweep [--grid G] [--random R --trials N [--search tpe]] [--folds K] [--seeds N] [train flags…]",
		Short: "train every setting of a search space, here or on a Slurm cluster",
		Long: `sweep trains one run per trial of a search space into a sweep folder in
the runs folder (sweep.json and one ordinary run per trial: t000, t001, …).

  --grid 'lr=0.001,0.0003;loss=ce,focal'   every combination
  --random 'lr=log:1e-4..1e-2;dropout=0..0.5;batch=16,32' --trials N
                                            N random draws (log range, range, list)
  --search tpe --random R --trials N        N settings of R: --startup at random, then
                                            each proposed by TPE from the finished ones
  --folds K                                 each trial on the K folds of a split by person
  --seeds N                                 each trial with seeds 1..N

Every other train flag (--epochs, --model, --data, …) applies to all
trials. --backend local runs --parallel trials at a time on this machine;
--backend slurm submits one sbatch --array job (--slurm-args for the
partition, GPUs, time). sweep returns once submitted; --wait stays until
every trial has ended, requeueing trials that die (they resume from their
checkpoint). --early-stop asha|median stops weak trials. In a TPE search
each trial that ends proposes and submits the next settings itself.`,
		Args: noArgs,
	}
	f := cmd.Flags()
	runsFlag(f, &o.runsDir, "runs folder (the sweep's folder goes in it)")
	f.StringVar(&o.name, "name", "", "sweep name (added to its id)")
	f.StringVar(&o.grid, "grid", "", "grid: name=v1,v2;name=v1,v2 (train flag names)")
	f.StringVar(&o.random, "random", "", "random draws: name=log:lo..hi;name=lo..hi;name=v1,v2")
	countInt(f, &o.draws, "trials", 0, "random draws of --random (default 10), or settings a TPE search tries (default 20)")
	f.StringVar(&o.search, "search", "random", "how --random's settings are chosen: random (all drawn at the start), tpe (each next one proposed from the finished trials' macro F1, all settings together) or tpe-independent (each setting on its own)")
	countInt(f, &o.startup, "startup", 0, "a TPE search's first settings, drawn at random (default 5, or --parallel when more)")
	countInt(f, &o.folds, "folds", 0, "K-fold: every trial on each of K folds split by person (0: no folds)")
	countInt(f, &o.seeds, "seeds", 0, "every trial with seeds 1..N (0: the train seed)")
	positiveInt(f, &o.parallel, "parallel", 1, "trials at a time")
	f.StringVar(&o.backend, "backend", "local", "local or slurm")
	f.StringVar(&o.slurmArgs, "slurm-args", "", "more sbatch flags, such as '--partition=gpu --gres=gpu:1 --time=2:00:00'")
	f.StringVar(&o.early, "early-stop", "", "stop weak trials: asha or median")
	countInt(f, &o.minEpochs, "min-epochs", 0, "ASHA's first rung and the median rule's grace, in epochs (default 1)")
	countInt(f, &o.eta, "eta", 0, "ASHA's reduction factor (default 3)")
	f.BoolVar(&o.wait, "wait", false, "stay until every trial has ended, requeueing the ones that die")
	tfs, _, _ := trainFlagSet()
	tfs.VisitAll(func(fl *pflag.Flag) {
		if !sweepOwned[fl.Name] && f.Lookup(fl.Name) == nil {
			f.AddFlag(fl)
		}
	})
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return a.startSweep(cmd, tfs, &o) }
	cmd.AddCommand(a.sweepViewCmd(), a.sweepStatusCmd(), a.sweepResumeCmd(), a.sweepExtendCmd(), a.sweepCancelCmd(), a.sweepTrialCmd(), a.sweepRunLocalCmd())
	return cmd
}

// startSweep checks a sweep's search space and every trial's flags as
// its start would check them, writes the sweep folder, submits the trials
// and, with --wait, follows them to their end.
func (a *app) startSweep(cmd *cobra.Command, tfs *pflag.FlagSet, o *sweepOptions) error {
	trainArgs, err := o.sharedTrainArgs(cmd, tfs)
	if err != nil {
		return err
	}
	sp, tpe, method, err := o.space(tfs)
	if err != nil {
		return err
	}
	trials, err := sp.Expand()
	if err != nil {
		return err
	}
	if err := checkSweepTrials(a.ctx, sp, trainArgs, trials); err != nil {
		return err
	}
	rule := sweep.Rule(o.early)
	if rule != sweep.RuleNone && rule != sweep.RuleASHA && rule != sweep.RuleMedian {
		return fmt.Errorf("--early-stop %q is not asha or median", o.early)
	}
	be, err := sweep.NewBackend(o.backend)
	if err != nil {
		return err
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find this maskdash binary for the trials: %w", err)
	}
	abs, err := filepath.Abs(o.runsDir)
	if err != nil {
		return err
	}
	sw := &sweep.Sweep{Space: spaceWords(o.grid, o.random, o.draws, o.folds, o.seeds, o.search, method), TrainArgs: trainArgs, Backend: o.backend, Parallel: o.parallel,
		EarlyStop: rule, MinEpochs: o.minEpochs, Eta: o.eta, Binary: bin, SlurmArgs: strings.Fields(o.slurmArgs), Trials: trials, Search: tpe, DrawSeed: sp.Seed}
	if err := sweep.Create(abs, o.name, sw); err != nil {
		return err
	}
	// The trials run a copy kept in the sweep folder: 'go run' deletes
	// its binary when it exits, a rebuilt maskdash may differ, and a
	// cluster's nodes see the sweep folder (it is on the shared
	// filesystem) but maybe not this path.
	if sw.Binary, err = sweep.KeepBinary(sw.Dir, bin); err != nil {
		return err
	}
	if err := sw.Save(); err != nil {
		return err
	}
	// Under the sweep's lock: a trial that ends at once may already
	// propose the next setting of a search.
	if err := sw.Update(func() error { return be.Submit(a.ctx, sw, allTrials(sw)) }); err != nil {
		return fmt.Errorf("sweep %s was written but not submitted: %w (fix it and run 'maskdash sweep resume %s')", sw.ID, err, sw.ID)
	}
	if tpe != nil {
		fmt.Fprintf(a.out, "sweep %s: a TPE search of %d settings (the first %d at random) on %s, %d trials at a time, in %s\n",
			sw.ID, tpe.Points, tpe.Startup, o.backend, o.parallel, sw.Dir)
	} else {
		fmt.Fprintf(a.out, "sweep %s: %d trials on %s, %d at a time, in %s\n", sw.ID, len(sw.Trials), o.backend, o.parallel, sw.Dir)
	}
	if !o.wait {
		fmt.Fprintf(a.out, "follow it with 'maskdash sweep status %s --runs %s' (or --wait)\n", sw.ID, o.runsDir)
		return nil
	}
	return a.waitSweep(sw, be)
}

// sharedTrainArgs are the train flags given to sweep, which every trial
// shares, as --name=value (--from's run as its folder's absolute path,
// which a trial finds from anywhere).
func (o *sweepOptions) sharedTrainArgs(cmd *cobra.Command, tfs *pflag.FlagSet) ([]string, error) {
	var trainArgs []string
	var fromErr error
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if tfs.Lookup(fl.Name) != fl { // the sweep's own, not a train flag
			return
		}
		v := fl.Value.String()
		if fl.Name == "from" {
			dir, err := runs.NewStore(o.runsDir).Resolve(v)
			if err == nil {
				v, err = filepath.Abs(dir)
			}
			if err != nil {
				fromErr = fmt.Errorf("--from: %w", err)
			}
		}
		trainArgs = append(trainArgs, "--"+fl.Name+"="+v)
	})
	return trainArgs, fromErr
}

// space reads the search space of --grid, --random, --folds and --seeds,
// and with --search tpe the search that proposes its settings (nil
// without); the method is --search's. It fills in the defaults of
// --trials and --startup.
func (o *sweepOptions) space(tfs *pflag.FlagSet) (sp sweep.Space, tpe *sweep.Search, method sweep.Method, err error) {
	sp = sweep.Space{Draws: o.draws, Folds: o.folds, Seeds: o.seeds, Seed: uint64(time.Now().UnixNano())}
	if sp.Grid, err = sweep.ParseGrid(o.grid); err != nil {
		return sp, nil, method, err
	}
	if sp.Random, err = sweep.ParseRandom(o.random); err != nil {
		return sp, nil, method, err
	}
	method, joint, err := sweep.ParseMethod(o.search)
	if err != nil {
		return sp, nil, method, err
	}
	if method == sweep.MethodTPE {
		switch {
		case len(sp.Random) == 0:
			return sp, nil, method, errors.New("--search tpe searches --random's space: give --random")
		case len(sp.Grid) > 0:
			return sp, nil, method, errors.New("--search tpe searches --random's space alone: write --grid's settings as lists in --random (name=v1,v2)")
		}
		tpe = &sweep.Search{Method: method, Space: o.random, Points: o.draws, Startup: o.startup, Folds: o.folds, Seeds: o.seeds, Seed: sp.Seed, Joint: joint}
		if tpe.Points == 0 {
			tpe.Points = sweep.DefaultPoints
		}
		if tpe.Startup == 0 {
			tpe.Startup = max(sweep.DefaultStartup, o.parallel)
		}
		tpe.Startup = min(tpe.Startup, tpe.Points)
		sp.Draws, o.draws = tpe.Startup, tpe.Points
	} else {
		if o.startup > 0 {
			return sp, nil, method, errors.New("--startup is a TPE search's: give --search tpe")
		}
		if len(sp.Random) > 0 && o.draws == 0 {
			// Not before a TPE search's: its default is DefaultPoints
			// (it was 10 too until the thirty-second session).
			sp.Draws, o.draws = sweep.DefaultDraws, sweep.DefaultDraws // sweep.json's space says how many
		}
	}
	if o.folds == 1 {
		return sp, nil, method, errors.New("--folds 1 is no K-fold: use 2 or more, or leave it out")
	}
	for _, p := range sp.Grid {
		if err := checkParam(tfs, p.Name); err != nil {
			return sp, nil, method, err
		}
	}
	for _, d := range sp.Random {
		if err := checkParam(tfs, d.Name); err != nil {
			return sp, nil, method, err
		}
	}
	if len(sp.Grid) == 0 && len(sp.Random) == 0 && o.folds == 0 && o.seeds <= 1 {
		return sp, nil, method, errors.New("the search space is empty: give --grid, --random, --folds or --seeds")
	}
	return sp, tpe, method, nil
}

// checkSweepTrials checks, before any trial is submitted, what a trial's
// start would: the flags every trial shares and their data folder (a typo
// there would fail every trial), every value the search can draw, and
// every trial's flags together.
func checkSweepTrials(ctx context.Context, sp sweep.Space, trainArgs []string, trials []sweep.Trial) error {
	checks := new(training.StartChecks) // each data folder read once
	varies := func(name string) bool {
		return slices.ContainsFunc(sp.Grid, func(p sweep.Param) bool { return p.Name == name }) ||
			slices.ContainsFunc(sp.Random, func(d sweep.Dist) bool { return d.Name == name })
	}
	// (Not alone when the search varies the schedule: the shared flags
	// may hold a setting of some trials' schedule only, which the others
	// drop: parseTrial.)
	if !varies("schedule") {
		if err := checkTrialArgs(ctx, checks, trainArgs, nil); err != nil {
			return err
		}
	}
	// Every value the search can draw must parse as train's flag (a TPE
	// search proposes as trials end): each list value, each range's ends,
	// checked first so that the error names the value whichever the first
	// draws were.
	for _, d := range sp.Random {
		for _, v := range d.Ends() {
			if err := checkTrialArgs(ctx, checks, trainArgs, []string{"--" + d.Name + "=" + v}); err != nil {
				return fmt.Errorf("--random's %s=%s: %w", d.Name, v, err)
			}
		}
	}
	// So must every trial's flags together.
	for _, t := range trials {
		if err := checkTrialArgs(ctx, checks, trainArgs, t.Args()); err != nil {
			return fmt.Errorf("trial %s (%s): %w", t.RunID, t.Label(), err)
		}
	}
	return nil
}

func checkParam(tfs *pflag.FlagSet, name string) error {
	if sweepOwned[name] || name == "early-stop" {
		return fmt.Errorf("%s is set by the sweep itself and cannot be searched", name)
	}
	if tfs.Lookup(name) == nil {
		return fmt.Errorf("%q is not a train flag (see 'maskdash train --help')", name)
	}
	return nil
}

// spaceWords are the search's flags as typed (sweep.json's "space").
func spaceWords(grid, random string, draws, folds, seeds int, search string, method sweep.Method) []string {
	var w []string
	if method != sweep.MethodFixed {
		w = append(w, "--search="+search)
	}
	if grid != "" {
		w = append(w, "--grid="+grid)
	}
	if random != "" {
		w = append(w, "--random="+random, "--trials="+strconv.Itoa(draws))
	}
	if folds > 0 {
		w = append(w, "--folds="+strconv.Itoa(folds))
	}
	if seeds > 0 {
		w = append(w, "--seeds="+strconv.Itoa(seeds))
	}
	return w
}

func allTrials(sw *sweep.Sweep) []int {
	out := make([]int, len(sw.Trials))
	for i := range out {
		out[i] = i
	}
	return out
}

// waitSweep follows a sweep to its end and prints the summary.
func (a *app) waitSweep(sw *sweep.Sweep, be sweep.Backend) error {
	// squeue every 2 s is gentle on a cluster's controller; here, where a
	// look is a few run.json files, a finished sweep is noticed within a
	// tenth of a second.
	every := 2 * time.Second
	if sw.Backend == "local" {
		every = 100 * time.Millisecond
	}
	st, err := sweep.Wait(a.ctx, sw, be, a.out, every)
	if errors.Is(err, context.Canceled) {
		goOn := "its running trials go on"
		if sw.Search != nil {
			goOn += " and propose the search's next settings"
		}
		return fmt.Errorf("stopped waiting on %s; %s, and 'maskdash sweep resume %s --wait' follows it again", sw.ID, goOn, sw.ID)
	}
	if err != nil {
		return err
	}
	printSweep(a.out, sw, st, a.tableWidth(false))
	if len(sweep.Best(st)) == 0 && len(st) > 0 {
		// A script that waits on a sweep learns that it came to nothing.
		return fmt.Errorf("no trial of %s finished an epoch (%s; the table above says why)", sw.ID, sweep.Tally(st))
	}
	return nil
}

func openSweep(runsDir, ref string) (*sweep.Sweep, sweep.Backend, error) {
	sw, err := sweep.Open(runsDir, ref)
	if err != nil {
		return nil, nil, err
	}
	be, err := sweep.NewBackend(sw.Backend)
	return sw, be, err
}

func (a *app) sweepStatusCmd() *cobra.Command {
	var runsDir string
	var asJSON, wide bool
	cmd := &cobra.Command{Use: "status SWEEP", Short: "every trial's state, settings and best macro F1", Args: exactlyOne("a sweep id")}
	runsFlag(cmd.Flags(), &runsDir, "runs folder")
	cmd.Flags().BoolVar(&asJSON, "json", false, "JSON instead of a table")
	cmd.Flags().BoolVar(&wide, "wide", false, "every column whole on a terminal narrower than the table (by default why a trial failed and its settings are cut there; piped, nothing is)")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		sw, be, err := openSweep(runsDir, args[0])
		if err != nil {
			return err
		}
		q, err := be.Queued(a.ctx, sw)
		if err != nil {
			return err
		}
		st := sw.Status(q)
		if asJSON {
			return sweepJSON(a.out, sw, st)
		}
		printSweep(a.out, sw, st, a.tableWidth(wide))
		return nil
	}
	return cmd
}

func sweepJSON(w io.Writer, sw *sweep.Sweep, st []sweep.TrialStatus) error {
	type row struct {
		Run       string            `json:"run"`
		State     sweep.State       `json:"state"`
		Why       string            `json:"why,omitempty"`
		Params    map[string]string `json:"params"`
		Fold      int               `json:"fold,omitempty"`
		Seed      uint64            `json:"seed,omitempty"`
		BestF1    *float64          `json:"best_macro_f1"`
		BestEpoch int               `json:"best_epoch"`
		Epochs    int               `json:"epochs_done"`
		Node      string            `json:"node,omitempty"`
		Submits   int               `json:"submits"`
		Proposed  string            `json:"proposed,omitempty"` // tpe or random: added while the sweep ran
	}
	// A setting over folds or seeds: its mean over them, the best first.
	type point struct {
		Params string   `json:"params"`
		Mean   float64  `json:"mean_best_macro_f1"`
		Runs   []string `json:"runs"` // its trials with a finished epoch
		Of     int      `json:"trials"`
	}
	out := struct {
		ID         string          `json:"id"`
		Dir        string          `json:"dir"`
		Search     *sweep.Search   `json:"search,omitempty"`
		Trials     []row           `json:"trials"`
		Importance []importanceRow `json:"importance"`
		Settings   []point         `json:"settings_by_mean,omitempty"`
	}{ID: sw.ID, Dir: sw.Dir, Search: sw.Search, Importance: importanceRows(sweep.Importances(st))}
	if sw.PerPoint() {
		for _, p := range sweep.Points(st) {
			pt := point{Params: p.Params, Mean: p.Mean, Of: p.Of}
			for _, t := range p.Trials {
				pt.Runs = append(pt.Runs, t.RunID)
			}
			out.Settings = append(out.Settings, pt)
		}
	}
	for _, t := range st {
		r := row{Run: t.RunID, State: t.State, Why: t.Why, Params: map[string]string{}, Fold: t.Fold, Seed: t.Seed, BestEpoch: t.BestEpoch, Epochs: t.EpochsDone, Node: t.Node, Submits: t.Submits, Proposed: t.Proposed}
		for _, kv := range t.Params {
			r.Params[kv.Name] = kv.Value
		}
		r.BestF1 = finite(t.BestF1)
		out.Trials = append(out.Trials, r)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// sweepGive is how a sweep's trials table gives way on a narrow
// terminal: why a trial failed is cut first, then the node goes and the
// settings are cut.
var sweepGive = []give{{"why", 24, false}, {"node", 4, true}, {"settings", 24, false}}

// printSweep prints the sweep's state and its trials' table, fitted to
// width columns (0: whole).
func printSweep(w io.Writer, sw *sweep.Sweep, st []sweep.TrialStatus, width int) {
	fmt.Fprintf(w, "sweep %s (%s, %d at a time): %s\n", sw.ID, sw.Backend, sw.Parallel, sweep.Tally(st))
	if s := sw.Search; s != nil {
		fmt.Fprintf(w, "search: %s\n", s.Progress(sw))
	}
	t := table{head: []string{"trial", "state", "best F1", "epoch", "epochs", "node", "settings", "why"}, give: sweepGive}
	if sw.Search != nil {
		// How each setting was chosen: the random start, or later.
		t.head = slices.Insert(t.head, 6, "by")
	}
	for _, tr := range st {
		best := "-"
		if !math.IsNaN(tr.BestF1) {
			best = fmt.Sprintf("%.4f", tr.BestF1)
		}
		cells := []string{tr.RunID, string(tr.State), best, strconv.Itoa(tr.BestEpoch), fmt.Sprintf("%d/%d", tr.EpochsDone, tr.Epochs), orDash(tr.Node), tr.Label(), tr.Why}
		if sw.Search != nil {
			cells = slices.Insert(cells, 6, cmp.Or(tr.Proposed, "start"))
		}
		t.rows = append(t.rows, cells)
	}
	t.printFitted(w, width)
	b := sweep.Best(st)
	if len(b) == 0 {
		return
	}
	fmt.Fprintf(w, "best: %s, macro F1 %.4f at epoch %d (%s)\n", b[0].RunID, b[0].BestF1, b[0].BestEpoch, b[0].Label())
	// Settings trained on several folds or seeds compare by their mean,
	// the cross-validation figure, not by their luckiest trial.
	pts := sweep.Points(st)
	if sw.PerPoint() && len(pts) > 0 {
		if len(pts) == 1 {
			fmt.Fprintf(w, "%s: %s\n", sw.Unit(), pts[0].Says(sw.Unit()))
		} else {
			fmt.Fprintf(w, "best setting by its mean over its %s: %s, %s\n", sw.Unit(), pts[0].Label(), pts[0].Says(sw.Unit()))
		}
	}
	printImportances(w, sweep.Importances(st), "trials", "")
	for _, t := range st {
		if !t.State.Ended() {
			return // the next step comes when every trial has
		}
	}
	if len(sw.Trials) > 0 && sw.Trials[0].Folds > 0 {
		whose := "the folds' vote"
		if len(pts) > 1 {
			whose = "the vote of the best setting's folds"
		}
		fmt.Fprintf(w, "next: maskdash ensemble --sweep %s --offsets --out FILE (%s, with class offsets fitted on their out-of-fold predictions)\n", sw.ID, whose)
	} else {
		fmt.Fprintf(w, "next: maskdash ensemble --sweep %s --top 5 --out FILE (the best trials' vote), or maskdash calibrate %s/%s (class offsets for the best)\n", sw.ID, sw.ID, b[0].RunID)
	}
	switch {
	case sw.Search != nil:
		fmt.Fprintf(w, "more: maskdash sweep extend %s --trials 10 (TPE proposes them from every trial so far)\n", sw.ID)
	case sw.RandomDraws():
		fmt.Fprintf(w, "more: maskdash sweep extend %s --trials 10 --search tpe (TPE proposes them from these draws)\n", sw.ID)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (a *app) sweepViewCmd() *cobra.Command {
	var runsDir string
	cmd := &cobra.Command{Use: "view SWEEP", Short: "the sweep's dashboard: trials, best so far, settings against F1; enter opens a trial", Args: exactlyOne("a sweep id")}
	runsFlag(cmd.Flags(), &runsDir, "runs folder")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		sw, err := sweep.Open(runsDir, args[0])
		if err != nil {
			return err
		}
		if !term.IsTerminal(int(os.Stdout.Fd())) {
			return fmt.Errorf("sweep view draws a dashboard and needs a terminal; 'maskdash sweep status %s' prints the table", sw.ID)
		}
		return ui.RunSweepView(sw.Dir)
	}
	return cmd
}

func (a *app) sweepResumeCmd() *cobra.Command {
	var runsDir string
	var wait bool
	cmd := &cobra.Command{Use: "resume SWEEP", Short: "requeue the trials that died or never ran; they resume from their checkpoints", Args: exactlyOne("a sweep id")}
	runsFlag(cmd.Flags(), &runsDir, "runs folder")
	cmd.Flags().BoolVar(&wait, "wait", false, "stay until every trial has ended")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		sw, be, err := openSweep(runsDir, args[0])
		if err != nil {
			return err
		}
		var again []int
		err = sw.Update(func() error {
			sw.Cancelled = false
			q, err := be.Queued(a.ctx, sw)
			if err != nil {
				return err
			}
			for _, t := range sw.Status(q) {
				if _, held := q[t.Index]; !held && t.State.Resumable() {
					again = append(again, t.Index)
				}
			}
			if len(again) == 0 {
				return nil
			}
			return be.Submit(a.ctx, sw, again)
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(a.out, "sweep %s: requeued %d trials\n", sw.ID, len(again))
		// A search whose trials all ended before it had tried every
		// setting (they failed, or it was cancelled) goes on.
		added, err := sweep.ProposeAndSubmit(a.ctx, sw, be)
		if err != nil {
			return err
		}
		for _, i := range added {
			fmt.Fprintf(a.out, "%s: %s\n", sw.Trials[i].RunID, sweep.Proposal(sw.Trials[i]))
		}
		if wait {
			return a.waitSweep(sw, be)
		}
		return nil
	}
	return cmd
}

// sweepExtendCmd adds settings to a search (sweep.Extend): one that
// found something goes on without starting over.
func (a *app) sweepExtendCmd() *cobra.Command {
	var runsDir, search string
	var more int
	var wait bool
	cmd := &cobra.Command{Use: "extend SWEEP --trials N", Short: "try N more settings: a TPE search's proposed from every trial so far, a random search's drawn (or, with --search tpe, proposed)", Args: exactlyOne("a sweep id")}
	runsFlag(cmd.Flags(), &runsDir, "runs folder")
	cmd.Flags().StringVar(&search, "search", "", "a random search goes on as a TPE search (tpe or tpe-independent) whose random start is its draws so far")
	positiveInt(cmd.Flags(), &more, "trials", 0, "how many more settings to try")
	cmd.Flags().BoolVar(&wait, "wait", false, "stay until every trial has ended")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		if more == 0 {
			return errors.New("sweep extend needs --trials N: how many more settings to try")
		}
		sw, be, err := openSweep(runsDir, args[0])
		if err != nil {
			return err
		}
		var drawn []int
		err = sw.Update(func() error {
			var err error
			if drawn, err = sw.Extend(more, search); err != nil || len(drawn) == 0 {
				return err
			}
			return be.Submit(a.ctx, sw, drawn)
		})
		if err != nil {
			return err
		}
		if sw.Search != nil {
			fmt.Fprintf(a.out, "sweep %s: %s more, %d in all\n", sw.ID, plural(more, "setting"), sw.Search.Points)
		} else {
			fmt.Fprintf(a.out, "sweep %s: %s more drawn at random, %d trials in all\n", sw.ID, plural(more, "setting"), len(sw.Trials))
		}
		added, err := sweep.ProposeAndSubmit(a.ctx, sw, be)
		if err != nil {
			return err
		}
		for _, i := range append(drawn, added...) {
			if sw.Trials[i].Proposed != "" {
				fmt.Fprintf(a.out, "%s: %s\n", sw.Trials[i].RunID, sweep.Proposal(sw.Trials[i]))
			} else {
				fmt.Fprintf(a.out, "%s: %s\n", sw.Trials[i].RunID, sw.Trials[i].Label())
			}
		}
		if wait {
			return a.waitSweep(sw, be)
		}
		return nil
	}
	return cmd
}

func (a *app) sweepCancelCmd() *cobra.Command {
	var runsDir string
	cmd := &cobra.Command{Use: "cancel SWEEP", Short: "stop every trial (each keeps its checkpoint; sweep resume goes on)", Args: exactlyOne("a sweep id")}
	runsFlag(cmd.Flags(), &runsDir, "runs folder")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		sw, be, err := openSweep(runsDir, args[0])
		if err != nil {
			return err
		}
		if err := sw.Update(func() error { sw.Cancelled = true; return nil }); err != nil {
			return err
		}
		if err := be.Cancel(a.ctx, sw, nil); err != nil {
			return err
		}
		fmt.Fprintf(a.out, "sweep %s: cancelled; running trials stop with a checkpoint ('maskdash sweep resume %s' goes on)\n", sw.ID, sw.ID)
		return nil
	}
	return cmd
}

// sweepTrialCmd trains one trial: what a Slurm task or the local runner
// runs. A trial whose run exists resumes it (a requeue); a finished or
// deliberately stopped one has nothing to do.
func (a *app) sweepTrialCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "trial SWEEP-DIR INDEX", Short: "train one trial of a sweep (what the backends run)", Args: cobra.ExactArgs(2), Hidden: true}
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		sw, err := sweep.Open(filepath.Dir(args[0]), args[0])
		if err != nil {
			return err
		}
		i, err := strconv.Atoi(args[1])
		if err != nil || i < 0 || i >= len(sw.Trials) {
			return fmt.Errorf("trial %q is not one of the sweep's 0 to %d", args[1], len(sw.Trials)-1)
		}
		err = a.trainTrial(sw, i)
		if a.ctx.Err() != nil {
			// A signal (scancel, preemption): the run stopped with a
			// checkpoint but did not end on purpose.
			return errors.Join(err, sweep.MarkInterrupted(sw.RunDir(i)))
		}
		// Every way a trial ends lets the search go on, a failure too
		// (it counts as it stands until it is requeued): the end is
		// recorded first, as its process still holds it in the backend.
		if merr := sw.MarkEnded(i); merr != nil {
			return errors.Join(err, merr)
		}
		return errors.Join(err, a.proposeNext(sw))
	}
	return cmd
}

// checkTrialArgs parses a trial's flags as train would, checks that its
// data folder exists and that the trial could start
// (training.CheckStart: its data, its parent and what it takes from it),
// with the data folders checks opened before.
func checkTrialArgs(ctx context.Context, checks *training.StartChecks, trainArgs, trialArgs []string) error {
	c, err := parseTrial(trainArgs, trialArgs)
	if err != nil {
		return err
	}
	if c.Data != "" {
		if _, err := os.Stat(c.Data); err != nil {
			return fmt.Errorf("data folder %s does not exist", c.Data)
		}
	}
	return checks.Check(ctx, *c)
}

// scheduleSettings are the flags that go with some learning-rate
// schedules only, and those schedules: a sweep's trial drops those that
// do not go with its own (parseTrial), a child run given --schedule its
// parent's (dependents).
var scheduleSettings = map[string][]string{"lr-step": {training.ScheduleStep}, "lr-patience": {training.SchedulePlateau},
	"lr-gamma": {training.ScheduleStep, training.SchedulePlateau}}

// parseTrial parses a trial's flags as train would: the sweep's shared
// flags, then the trial's own. A trial whose own flags set --schedule
// drops the shared flags that do not go with its schedule (a grid of
// schedule=none,plateau with --lr-patience 2 shared: the none trials
// train without it, where train itself refuses --lr-patience beside
// another schedule).
func parseTrial(trainArgs, trialArgs []string) (*training.Config, error) {
	fs, c, finish := trainFlagSet()
	if err := fs.Parse(append(append([]string(nil), trainArgs...), trialArgs...)); err != nil {
		return nil, err
	}
	own := map[string]bool{}
	for _, a := range trialArgs {
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		own[name] = true
	}
	if own["schedule"] {
		for flag, with := range scheduleSettings {
			if !own[flag] && fs.Changed(flag) && !slices.Contains(with, c.Schedule) {
				if err := fs.Set(flag, fs.Lookup(flag).DefValue); err != nil {
					return nil, err
				}
			}
		}
	}
	return c, finish()
}

// trainTrial trains trial i of sw: anew, or on from its checkpoint when
// its run exists (a requeue); a finished or deliberately stopped one has
// nothing to do.
func (a *app) trainTrial(sw *sweep.Sweep, i int) error {
	t := sw.Trials[i]
	dir := sw.RunDir(i)
	if err := sw.RecordNode(i); err != nil {
		return err
	}
	var cfg training.Config
	if info, err := runs.ReadInfo(dir); err == nil {
		st := sw.Status(nil)[i]
		if st.State == sweep.StateDone || st.State == sweep.StateStopped {
			fmt.Fprintf(a.out, "trial %s has %s already\n", t.RunID, st.State)
			return nil
		}
		if err := sweep.ClearInterrupted(dir); err != nil {
			return err
		}
		fmt.Fprintf(a.out, "trial %s resumes from its last checkpoint (epoch %d)\n", t.RunID, info.EpochsDone)
		cfg = training.Config{Runs: sw.Dir, Resume: t.RunID}
	} else {
		c, err := parseTrial(sw.TrainArgs, t.Args())
		if err != nil {
			return err
		}
		cfg = *c
		cfg.Runs, cfg.RunID, cfg.Name = sw.Dir, t.RunID, t.RunID
		fmt.Fprintf(a.out, "trial %s: %s\n", t.RunID, t.Label())
	}
	cfg.Gate = sw.Gate(i)
	return a.train(cfg, true, nil)
}

// proposeNext lets a trial of a search that has ended propose the
// search's next settings and submit their trials, so that a search needs
// no process waiting on it (a waiting one proposes too, under the same
// lock).
func (a *app) proposeNext(sw *sweep.Sweep) error {
	if sw.Search == nil {
		return nil
	}
	be, err := sweep.NewBackend(sw.Backend)
	if err != nil {
		return err
	}
	added, err := sweep.ProposeAndSubmit(context.Background(), sw, be)
	if err != nil {
		return fmt.Errorf("propose the search's next setting: %w", err)
	}
	for _, i := range added {
		fmt.Fprintf(a.out, "%s: %s\n", sw.Trials[i].RunID, sweep.Proposal(sw.Trials[i]))
	}
	return nil
}

func (a *app) sweepRunLocalCmd() *cobra.Command {
	var list string
	cmd := &cobra.Command{Use: "run-local SWEEP-DIR --trials 0,1,…", Short: "the local backend's runner", Args: cobra.ExactArgs(1), Hidden: true}
	cmd.Flags().StringVar(&list, "trials", "", "trial indexes")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		sw, err := sweep.Open(filepath.Dir(args[0]), args[0])
		if err != nil {
			return err
		}
		ctx, cancel := context.WithCancel(a.ctx)
		defer cancel()
		return sweep.RunLocal(ctx, sw, sweep.ParseInts(list))
	}
	return cmd
}
