package runs

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"
)

// DefaultDir is the runs folder when none is named: ./maskdash-runs (not
// ./runs, which in this repository is a Go package).
const DefaultDir = "maskdash-runs"

// Status is where a run stands, as run.json records it.
type Status string

// Statuses a run can have.
const (
	StatusRunning Status = "running"
	StatusDone    Status = "done"
	StatusStopped Status = "stopped"
	StatusFailed  Status = "failed"
	StatusCrashed Status = "crashed" // run.json says running, but no process holds its lock
)

// Ended reports whether the run has ended, one way or another.
func (s Status) Ended() bool { return s != StatusRunning }

// ErrLocked is returned when another process writes the run.
var ErrLocked = errors.New("runs: the run is being written by another process")

// Best holds a run's best validation figures (by macro F1).
type Best struct {
	MacroF1  float64 `json:"macro_f1"`
	Accuracy float64 `json:"accuracy"`
	Epoch    int     `json:"epoch"`
	// Tasks are the mask, gender and age macro F1 at that epoch (mask
	// layout runs).
	Tasks map[string]float64 `json:"tasks,omitempty"`
}

// Info is run.json.
type Info struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Task is the one task of the mask layout the run learns (mask,
	// gender or age; training's Config.Task); "" all its classes. It is
	// part of the id, so that a task run's F1 is not read as an 18-class
	// run's.
	Task       string         `json:"task,omitempty"`
	Parent     string         `json:"parent,omitempty"`
	Status     Status         `json:"status"`
	Start      time.Time      `json:"start"`
	End        time.Time      `json:"end,omitzero"`
	Model      string         `json:"model"`
	Loss       string         `json:"loss"`
	Optim      string         `json:"optim"`
	LR         float64        `json:"lr"`
	Epochs     int            `json:"epochs"`
	EpochsDone int            `json:"epochs_done"`
	Steps      int            `json:"steps"`
	Best       Best           `json:"best"`
	Error      string         `json:"error,omitempty"`
	Config     map[string]any `json:"config"`
	// DataDir is the data folder the run trained on (for the built-in
	// synthetic set, where it was drawn), so eval and predict need no
	// --data.
	DataDir string `json:"data_dir,omitempty"`
	// LastF1 is the last epoch's validation macro F1.
	LastF1 float64 `json:"last_macro_f1,omitempty"`
	// IPS is the training speed, images a second, at the last epoch's end.
	IPS float64 `json:"images_per_second,omitempty"`
	// Changes are the settings changed while the run trained (learning
	// rate, loss), in order.
	Changes []Change `json:"changes,omitempty"`
	// Alerts are the alert rules that fired while the run trained, in
	// the order they first fired ("finished" aside: every run has it).
	Alerts []string `json:"alerts,omitempty"`
	// Note is the run's note (NoteFile; not stored in run.json).
	Note string `json:"-"`
	// Offsets are the class offsets maskdash calibrate kept (OffsetsFile;
	// not stored in run.json); nil when it has none or they do not read
	// (predict --offsets then says why).
	Offsets *ClassOffsets `json:"-"`
	// Public is the best public leaderboard macro F1 given for a
	// submission of this run alone (AttachLeaderboard, from the runs
	// folder's SubmissionsFile; not stored in run.json); nil: none.
	Public *float64 `json:"-"`
	// Dir is the run's folder (not stored: where it was read from).
	Dir string `json:"-"`
}

// Change is a setting changed while a run trained.
type Change struct {
	Step    int    `json:"step"`
	Setting string `json:"setting"`
	Value   string `json:"value"`
	Who     string `json:"who,omitempty"`
}

// Duration is the run's wall time so far (or in total when ended).
func (i Info) Duration() time.Duration {
	end := i.End
	if end.IsZero() {
		end = time.Now()
	}
	return end.Sub(i.Start).Round(time.Second)
}

// Store is a folder of runs.
type Store struct {
	Dir string
}

// NewStore returns the store in dir (created on first write).
func NewStore(dir string) *Store { return &Store{Dir: dir} }

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9._+-]+`)

// NewID makes a readable, sortable id such as 20261126-1830-vgg-s-focal
// (with a task and a name: 20261126-1830-vgg-s-focal-age-long). A name
// that says what the id says already (--name focal for a focal run) is
// not said twice: the id stays 20261126-1830-vgg-s-focal, which its
// suffix "focal" still finds; run.json keeps the name.
func NewID(t time.Time, model, loss, task, name string) string {
	parts := []string{t.Format("20060102-150405"), model, loss}
	for _, p := range []string{task, name} {
		if p != "" && !slices.Contains(parts[1:], p) {
			parts = append(parts, p)
		}
	}
	return strings.Trim(unsafeID.ReplaceAllString(strings.Join(parts, "-"), "_"), "-")
}

// Create makes a new run folder, takes its lock and writes run.json. The
// id is info.ID when set (a run of that id must not exist yet), else one
// made from the start time, model, loss and name.
func (s *Store) Create(info Info) (*Run, error) {
	if info.Start.IsZero() {
		info.Start = time.Now()
	}
	base := NewID(info.Start, info.Model, info.Loss, info.Task, info.Name)
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("runs folder: %w", err)
	}
	id := base
	if info.ID != "" {
		if strings.ContainsAny(info.ID, `/\`) || info.ID == "." || info.ID == ".." {
			return nil, fmt.Errorf("run id %q is not a folder name", info.ID)
		}
		if err := os.Mkdir(filepath.Join(s.Dir, info.ID), 0o755); err != nil {
			if errors.Is(err, os.ErrExist) {
				return nil, fmt.Errorf("a run %s exists already in %s", info.ID, s.Dir)
			}
			return nil, fmt.Errorf("create run: %w", err)
		}
		id = info.ID
	}
	for k := 2; info.ID == ""; k++ {
		err := os.Mkdir(filepath.Join(s.Dir, id), 0o755)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("create run: %w", err)
		}
		id = fmt.Sprintf("%s-%d", base, k)
	}
	info.ID = id
	info.Status = StatusRunning
	r, err := open(s.Path(id))
	if err != nil {
		return nil, err
	}
	info.Dir = r.Dir
	r.Info = info
	if err := r.SaveInfo(); err != nil {
		return nil, errors.Join(err, r.Close(StatusFailed, err))
	}
	return r, nil
}

// OpenForWrite takes the lock of an existing run to continue it.
func (s *Store) OpenForWrite(ref string) (*Run, error) {
	info, err := s.Info(ref)
	if err != nil {
		return nil, err
	}
	r, err := open(info.Dir)
	if err != nil {
		return nil, err
	}
	r.Info = info
	r.Info.Status = StatusRunning
	r.Info.End = time.Time{}
	r.Info.Error = ""
	if err := r.SaveInfo(); err != nil {
		return nil, errors.Join(err, r.Close(StatusFailed, err))
	}
	return r, nil
}

func open(dir string) (*Run, error) {
	id := filepath.Base(dir)
	for _, d := range []string{"checkpoints", "predictions", "history"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("run %s: %w", id, err)
		}
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("run %s lock: %w", id, err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return nil, errors.Join(fmt.Errorf("run %s: %w", id, ErrLocked), lock.Close())
	}
	log, err := os.OpenFile(filepath.Join(dir, "metrics.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("run %s log: %w", id, err), lock.Close())
	}
	r := &Run{Dir: dir, lock: lock, log: log}
	if err := r.repairLog(); err != nil {
		return nil, errors.Join(fmt.Errorf("run %s log: %w", id, err), log.Close(), lock.Close())
	}
	if r.hist, err = newColumns(filepath.Join(dir, "history")); err != nil {
		return nil, errors.Join(fmt.Errorf("run %s history: %w", id, err), log.Close(), lock.Close())
	}
	return r, nil
}

// Resolve finds a run by id, by a unique prefix or suffix of its id, by a
// unique part of it when no prefix or suffix matches (its time,
// "002832"), or by its folder path, and returns its folder. A sweep's
// trial is SWEEP/TRIAL, as the dashboard's runs view lists it, each part
// found as a run is ("023629/t003").
//
// A run of the runs folder named exactly ref comes before a run folder
// ref of the working directory: every sweep names its trials t000,
// t001…, and "maskdash eval t003 --runs SWEEP" typed inside another
// sweep's folder read that sweep's t003.
func (s *Store) Resolve(ref string) (string, error) {
	if ref != "" && !strings.ContainsAny(ref, `/\`) && !strings.HasPrefix(ref, ".") {
		if st, err := os.Stat(s.Path(ref)); err == nil && st.IsDir() {
			return s.Path(ref), nil
		}
	}
	if st, err := os.Stat(filepath.Join(ref, "run.json")); err == nil && !st.IsDir() {
		return filepath.Clean(ref), nil
	}
	if outer, inner, ok := strings.Cut(filepath.ToSlash(ref), "/"); ok && outer != "" && inner != "" && !filepath.IsAbs(ref) {
		sw, err := s.Resolve(outer)
		if err != nil {
			return "", fmt.Errorf("%q: %w", ref, err)
		}
		dir, err := (&Store{Dir: sw}).Resolve(inner)
		if err != nil {
			return "", fmt.Errorf("%q: %w", ref, err)
		}
		return dir, nil
	}
	return s.find(ref)
}

// find is Resolve within the runs folder: a run by id, by a unique prefix
// or suffix of its id, or by a unique part of it.
func (s *Store) find(ref string) (string, error) {
	ents, err := os.ReadDir(s.Dir)
	if err != nil {
		return "", fmt.Errorf("runs folder %s: %w", s.Dir, err)
	}
	var hits, inside []string
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if e.Name() == ref {
			return s.Path(ref), nil
		}
		switch {
		case strings.HasPrefix(e.Name(), ref) || strings.HasSuffix(e.Name(), ref):
			hits = append(hits, e.Name())
		case ref != "" && strings.Contains(e.Name(), ref):
			inside = append(inside, e.Name())
		}
	}
	if len(hits) == 0 {
		hits = inside
	}
	switch len(hits) {
	case 1:
		return s.Path(hits[0]), nil
	case 0:
		return "", fmt.Errorf("no run %q in %s", ref, s.Dir)
	}
	return "", fmt.Errorf("run %q is ambiguous in %s: %s", ref, s.Dir, strings.Join(hits, ", "))
}

// Path returns the folder of a run.
func (s *Store) Path(id string) string { return filepath.Join(s.Dir, id) }

// Info reads a run's run.json, reporting a dead writer as crashed.
func (s *Store) Info(ref string) (Info, error) {
	dir, err := s.Resolve(ref)
	if err != nil {
		return Info{}, err
	}
	return ReadInfo(dir)
}

// ReadInfo reads the run.json of the run in dir, reporting a dead writer
// as crashed.
func ReadInfo(dir string) (Info, error) {
	id := filepath.Base(dir)
	p := filepath.Join(dir, "run.json")
	b, err := os.ReadFile(p)
	if err != nil {
		return Info{ID: id, Dir: dir}, fmt.Errorf("run %s: %w", id, err)
	}
	var info Info
	if err := json.Unmarshal(b, &info); err != nil {
		return Info{ID: id, Dir: dir}, fmt.Errorf("%s is corrupt: %v", p, err)
	}
	info.ID, info.Dir = id, dir
	if info.Note, err = ReadNote(dir); err != nil {
		// An unreadable note does not keep the run from eval or the
		// listings: the note's place says why it is missing.
		info.Note = "(" + err.Error() + ")"
	}
	if o, err := ReadClassOffsets(dir); err == nil {
		info.Offsets = &o
	}
	if info.Status == StatusRunning && !locked(dir) {
		info.Status = StatusCrashed
		// It ended when it last wrote its log (or run.json): its
		// duration stops there instead of growing with the clock.
		for _, f := range []string{"metrics.jsonl", "run.json"} {
			if st, err := os.Stat(filepath.Join(dir, f)); err == nil && st.ModTime().After(info.End) {
				info.End = st.ModTime()
			}
		}
	}
	return info, nil
}

// locked reports whether some process holds the run's lock.
func locked(dir string) bool {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close() //nolint:errcheck // read-only: nothing to lose
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return true
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) // closing the file releases it too
	return false
}

// Listed is one row of List: a run or the error that kept it from loading.
type Listed struct {
	Info Info
	Err  error
}

// List returns every run, newest first. A run whose run.json is missing or
// corrupt comes back with Err set; the others still list.
func (s *Store) List() ([]Listed, error) {
	ents, err := os.ReadDir(s.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("runs folder %s: %w", s.Dir, err)
	}
	var out []Listed
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if _, err := os.Stat(filepath.Join(s.Dir, e.Name(), "run.json")); err != nil && errors.Is(err, os.ErrNotExist) {
			if _, err2 := os.Stat(filepath.Join(s.Dir, e.Name(), "metrics.jsonl")); err2 != nil {
				continue // not a run folder
			}
		}
		// by its folder: Info's lookup by a reference reads the whole
		// runs folder again, which made a list of N runs read it N times
		info, err := ReadInfo(s.Path(e.Name()))
		info.ID = e.Name()
		out = append(out, Listed{info, err})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Info.ID > out[j].Info.ID })
	return out, nil
}

// SettingText is how a setting's value reads beside another run's:
// "none" where a run has no value (a setting added since it ran, or one
// run.json leaves out when off, such as cutmix).
func SettingText(v any) string {
	if v == nil || v == "" {
		return "none"
	}
	return fmt.Sprint(v)
}

// DifferingSettings lists the config keys whose values differ among runs,
// sorted. The run's name is left out: it is part of its id, which every
// list of runs already shows (a sweep's trials are named t000, t001…);
// so is the parent's folder, which differs with the parent ("from").
func DifferingSettings(infos []Info) []string {
	keys := map[string]bool{}
	for _, i := range infos {
		for k := range i.Config {
			if k != "name" && k != "from_dir" {
				keys[k] = true
			}
		}
	}
	var out []string
	for k := range keys {
		first := fmt.Sprint(infos[0].Config[k])
		for _, i := range infos[1:] {
			if fmt.Sprint(i.Config[k]) != first {
				out = append(out, k)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}
