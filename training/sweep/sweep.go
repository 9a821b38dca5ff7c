package sweep

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/maskdash/maskdash/runs"
)

// Trial is one training of a sweep: its settings, fold and seed, and the
// run folder it writes (RunID, inside the sweep's folder).
type Trial struct {
	Index  int    `json:"index"`
	Params []KV   `json:"params"`
	Fold   int    `json:"fold,omitempty"`
	Folds  int    `json:"folds,omitempty"`
	Seed   uint64 `json:"seed,omitempty"`
	RunID  string `json:"run_id"`
	// Submits counts the times the trial was handed to the backend (a
	// requeued trial more than once).
	Submits int `json:"submits"`
	// Failed is the error the trial failed with when it was last
	// requeued after a failure ("" if never). A trial that fails with the
	// same error again is not requeued by itself: a failure that repeats
	// is the trial's own (its settings, its data), not the machine's.
	Failed string `json:"failed,omitempty"`
	// Proposed says how the settings of a trial added while the sweep ran
	// were chosen (TrialProposedTPE, TrialDrawn); "" for the trials it
	// started with.
	Proposed string `json:"proposed,omitempty"`
}

// How a trial added while its sweep ran got its settings.
const (
	TrialProposedTPE = "tpe"    // TPE proposed them from the finished trials
	TrialDrawn       = "random" // drawn at random: too few trials had finished
)

// Args are the train flags that make this trial differ from the sweep's
// own train flags.
func (t Trial) Args() []string {
	var a []string
	for _, kv := range t.Params {
		a = append(a, "--"+kv.Name+"="+kv.Value)
	}
	if t.Folds > 0 {
		a = append(a, "--fold="+strconv.Itoa(t.Fold), "--folds="+strconv.Itoa(t.Folds))
	}
	if t.Seed > 0 {
		a = append(a, "--seed="+strconv.FormatUint(t.Seed, 10))
	}
	return a
}

// Label is the trial's settings as one short string.
func (t Trial) Label() string {
	var p []string
	for _, kv := range t.Params {
		p = append(p, kv.Name+"="+kv.Value)
	}
	if t.Folds > 0 {
		p = append(p, fmt.Sprintf("fold=%d/%d", t.Fold, t.Folds))
	}
	if t.Seed > 0 {
		p = append(p, fmt.Sprintf("seed=%d", t.Seed))
	}
	if len(p) == 0 {
		return "(defaults)"
	}
	return strings.Join(p, " ")
}

// Rule names an early-stopping rule.
type Rule string

// Early-stopping rules.
const (
	RuleNone   Rule = ""
	RuleASHA   Rule = "asha"   // asynchronous successive halving
	RuleMedian Rule = "median" // below the median of the others at the same epoch
)

// Sweep is sweep.json.
type Sweep struct {
	ID        string    `json:"id"`
	Created   time.Time `json:"created"`
	Space     []string  `json:"space"`      // the space as typed (flags)
	TrainArgs []string  `json:"train_args"` // train flags every trial shares
	Backend   string    `json:"backend"`    // local or slurm
	Parallel  int       `json:"parallel"`
	EarlyStop Rule      `json:"early_stop,omitempty"`
	// ASHA's settings: the first rung's epoch and the reduction factor.
	MinEpochs int `json:"min_epochs,omitempty"`
	Eta       int `json:"eta,omitempty"`
	// Binary is the maskdash that runs the trials (an absolute path on a
	// filesystem every node sees).
	Binary    string   `json:"binary"`
	SlurmArgs []string `json:"slurm_args,omitempty"`
	// Jobs are the backend's handles: Slurm job ids, or the local
	// runner's process id.
	Jobs   []string `json:"jobs,omitempty"`
	Trials []Trial  `json:"trials"`
	// Search is an adaptive search's settings; nil when every trial was
	// known at the start.
	Search *Search `json:"search,omitempty"`
	// DrawSeed seeds --random's draws (Space.Seed), so that extend goes
	// on with the same stream: a search of 30 draws extended by 10 has
	// the settings a search of 40 would have had. Sweeps written before
	// it was kept have none, and extend draws theirs with a new seed.
	DrawSeed uint64 `json:"draw_seed,omitempty"`
	// Cancelled is set by sweep cancel: no trial is requeued after.
	Cancelled bool `json:"cancelled,omitempty"`

	Dir string `json:"-"`
}

// File is a sweep's file name in its folder.
const File = runs.SweepFile

// IsSweep reports whether dir is a sweep folder.
func IsSweep(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, File))
	return err == nil
}

// Create makes the sweep's folder (runsDir/sweep-<time>[-name]) and
// writes sweep.json.
func Create(runsDir, name string, sw *Sweep) error {
	if sw.Created.IsZero() {
		sw.Created = time.Now()
	}
	id := "sweep-" + sw.Created.Format("20060102-150405")
	if name != "" {
		id += "-" + name
	}
	if err := os.MkdirAll(runsDir, 0o755); err != nil {
		return fmt.Errorf("runs folder: %w", err)
	}
	base := id
	for k := 2; ; k++ {
		err := os.Mkdir(filepath.Join(runsDir, id), 0o755)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("sweep folder: %w", err)
		}
		id = fmt.Sprintf("%s-%d", base, k)
	}
	sw.ID, sw.Dir = id, filepath.Join(runsDir, id)
	return sw.Save()
}

// Save writes sweep.json atomically.
func (sw *Sweep) Save() error {
	b, err := json.MarshalIndent(sw, "", "  ")
	if err != nil {
		return err
	}
	if err := runs.WriteFileAtomic(filepath.Join(sw.Dir, File), append(b, '\n')); err != nil {
		return fmt.Errorf("sweep.json: %w", err)
	}
	return nil
}

// Open reads a sweep: a folder, or a sweep id (or a unique prefix or
// suffix of one) in runsDir.
func Open(runsDir, ref string) (*Sweep, error) {
	dir := ref
	if !IsSweep(dir) {
		dir = filepath.Join(runsDir, ref)
		if !IsSweep(dir) {
			ents, err := os.ReadDir(runsDir)
			if err != nil {
				return nil, fmt.Errorf("runs folder %s: %w", runsDir, err)
			}
			var hits []string
			for _, e := range ents {
				n := e.Name()
				if e.IsDir() && (strings.HasPrefix(n, ref) || strings.HasSuffix(n, ref)) && IsSweep(filepath.Join(runsDir, n)) {
					hits = append(hits, n)
				}
			}
			switch len(hits) {
			case 0:
				return nil, fmt.Errorf("no sweep %q in %s", ref, runsDir)
			case 1:
				dir = filepath.Join(runsDir, hits[0])
			default:
				return nil, fmt.Errorf("sweep %q is ambiguous in %s: %s", ref, runsDir, strings.Join(hits, ", "))
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, File))
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	var sw Sweep
	if err := json.Unmarshal(b, &sw); err != nil {
		return nil, fmt.Errorf("%s is corrupt: %v", filepath.Join(dir, File), err)
	}
	sw.Dir = dir
	return &sw, nil
}

// List finds the sweeps in a runs folder, newest first.
func List(runsDir string) ([]*Sweep, error) {
	ents, err := os.ReadDir(runsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Sweep
	for i := len(ents) - 1; i >= 0; i-- {
		if d := filepath.Join(runsDir, ents[i].Name()); ents[i].IsDir() && IsSweep(d) {
			if sw, err := Open(runsDir, d); err == nil {
				out = append(out, sw)
			}
		}
	}
	return out, nil
}

// RunDir is a trial's run folder.
func (sw *Sweep) RunDir(i int) string { return filepath.Join(sw.Dir, sw.Trials[i].RunID) }

// KeepBinary puts the maskdash at bin into the sweep folder (a hard link
// when the filesystem allows, else a copy) and returns the copy's path.
func KeepBinary(dir, bin string) (string, error) {
	dst := filepath.Join(dir, "bin", "maskdash")
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", fmt.Errorf("sweep binary: %w", err)
	}
	if err := os.Link(bin, dst); err == nil {
		return dst, nil
	}
	in, err := os.Open(bin)
	if err != nil {
		return "", fmt.Errorf("sweep binary: %w", err)
	}
	defer in.Close() //nolint:errcheck // read-only
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return "", fmt.Errorf("sweep binary: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close() // the copy's error is the one to report
		return "", fmt.Errorf("sweep binary: %w", err)
	}
	if err := out.Close(); err != nil {
		return "", fmt.Errorf("sweep binary: %w", err)
	}
	return dst, nil
}

// RunsAndTrials lists the runs of runs folder dir and the trials of the
// sweeps in it, each trial's ID as SWEEP/TRIAL (as the dashboard's runs
// view lists them and runs.Store.Resolve finds them); a sweep whose
// folder does not list is left out. The error is the runs folder's.
func RunsAndTrials(dir string) ([]runs.Listed, error) {
	rows, err := runs.NewStore(dir).List()
	sws, serr := List(dir)
	if serr != nil {
		return rows, err
	}
	for _, sw := range sws {
		trials, terr := runs.NewStore(sw.Dir).List()
		if terr != nil {
			continue
		}
		for _, t := range trials {
			t.Info.ID = sw.ID + "/" + t.Info.ID
			rows = append(rows, t)
		}
	}
	return rows, err
}
