package runs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// SubmissionsFile is the runs folder's record of the predictions files
// maskdash wrote (predict, ensemble, the dashboard's x and E), with the
// leaderboard scores a user gave them: what each submission was made
// from, beside what the competition said of it.
const SubmissionsFile = "submissions.json"

// SweepFile names a sweep's folder (package sweep's sweep.json): its
// trials' runs are in it, inside the runs folder.
const SweepFile = "sweep.json"

// SubmissionsHome is the runs folder whose record a run whose folder is
// in dir belongs to: dir, or for a sweep's folder the runs folder it is
// in, so that every submission of a runs folder is in one record.
func SubmissionsHome(dir string) string {
	if _, err := os.Stat(filepath.Join(dir, SweepFile)); err == nil {
		return filepath.Dir(dir)
	}
	return dir
}

// Submission is one predictions file in the record.
type Submission struct {
	File string `json:"file"` // where it was written (absolute)
	// SHA256 is its content's: a copy or a renamed file is found by it.
	SHA256 string    `json:"sha256"`
	Rows   int       `json:"rows"`
	Time   time.Time `json:"t"`
	// Runs are the runs it was predicted by (a vote's several), as the
	// runs folder names them ("sweep-…/t003" for a sweep's trial).
	Runs []string `json:"runs"`
	// Ckpt says which weights: "best (epoch 5)", "epoch 3, step 156".
	Ckpt    string `json:"ckpt,omitempty"`
	TTA     bool   `json:"tta,omitempty"`
	Offsets bool   `json:"offsets,omitempty"`
	// VoteWeights are a weighted vote's weights, one per run in Runs'
	// order (ensemble --weights); none for an equal vote.
	VoteWeights []float64 `json:"vote_weights,omitempty"`
	// ValF1 is the validation macro F1 of what it came from: a single
	// run's checkpoint at an epoch's end, a vote of runs that validated
	// on the same images, voted there, or (ValOutOfFold) a vote of the
	// folds of a K-fold split, on their out-of-fold predictions; nil when
	// there is none to give (a checkpoint taken mid-epoch, a vote of
	// splits that overlap).
	ValF1 *float64 `json:"val_macro_f1,omitempty"`
	// ValOutOfFold: ValF1 is out-of-fold (training.VoteOutOfFold).
	ValOutOfFold bool              `json:"val_out_of_fold,omitempty"`
	Public       *LeaderboardScore `json:"public,omitempty"`
	Private      *LeaderboardScore `json:"private,omitempty"`
}

// LeaderboardScore is what a leaderboard said of a submission.
type LeaderboardScore struct {
	MacroF1  float64   `json:"macro_f1"`
	Accuracy *float64  `json:"accuracy,omitempty"` // a share, 0–1
	Time     time.Time `json:"t"`                  // when it was recorded
}

// ErrNotSubmitted is ScoreSubmission's answer for a file the record
// does not have.
var ErrNotSubmitted = errors.New("not in the runs folder's submissions")

// RecordSubmission adds the predictions file at path (just written) to
// runsDir's record, its content's hash, rows and time filled in.
func RecordSubmission(runsDir, path string, s Submission) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("record submission: %w", err)
	}
	if s.File, err = filepath.Abs(path); err != nil {
		return err
	}
	s.SHA256, s.Rows = contentHash(b), max(bytes.Count(b, []byte("\n"))-1, 0)
	if s.Time.IsZero() {
		s.Time = time.Now()
	}
	return changeSubmissions(runsDir, func(all []Submission) ([]Submission, error) { return append(all, s), nil })
}

// ScoreSubmission gives the leaderboard's score (the public one, or
// private) to every recorded submission whose file had file's content,
// and returns them; ErrNotSubmitted when there is none.
func ScoreSubmission(runsDir, file string, private bool, sc LeaderboardScore) ([]Submission, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(runsDir, SubmissionsFile)); errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotSubmitted // no record to change (a mistyped --runs leaves no folder behind)
	}
	sum := contentHash(b)
	var scored []Submission
	err = changeSubmissions(runsDir, func(all []Submission) ([]Submission, error) {
		for i := range all {
			if all[i].SHA256 != sum {
				continue
			}
			if private {
				all[i].Private = &sc
			} else {
				all[i].Public = &sc
			}
			scored = append(scored, all[i])
		}
		if len(scored) == 0 {
			return nil, ErrNotSubmitted
		}
		return all, nil
	})
	return scored, err
}

// ReadSubmissions is runsDir's record, oldest first (none without one).
func ReadSubmissions(runsDir string) ([]Submission, error) {
	b, err := os.ReadFile(filepath.Join(runsDir, SubmissionsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var all []Submission
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, fmt.Errorf("%s does not read as a record of submissions (%w): mend or remove it", filepath.Join(runsDir, SubmissionsFile), err)
	}
	return all, nil
}

// changeSubmissions rewrites the record with change's result, under a
// lock on the runs folder's submissions (a dashboard and a command may
// record at once). The runs folder must exist: it holds the runs the
// submissions came from.
func changeSubmissions(runsDir string, change func([]Submission) ([]Submission, error)) error {
	lock, err := os.OpenFile(filepath.Join(runsDir, "."+SubmissionsFile+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close() //nolint:errcheck // closing lets the lock go; nothing was written through it
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock %s: %w", SubmissionsFile, err)
	}
	all, err := ReadSubmissions(runsDir)
	if err != nil {
		return err
	}
	if all, err = change(all); err != nil {
		return err
	}
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(runsDir, SubmissionsFile), append(b, '\n'))
}

func contentHash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Agreement is how well the validation figures foretold a leaderboard's,
// over the submissions that have both.
type Agreement struct {
	N int
	// Rank is Spearman's ρ between the two (NaN under 3 submissions or
	// when either side is all one value): near 1, a better validation
	// figure meant a better leaderboard score, the use of a validation
	// split; near 0 or below, the split does not stand for the test set.
	Rank float64
	// Gap is the leaderboard's mean less validation's.
	Gap float64
}

// SubmissionAgreement measures Agreement with the public leaderboard, or
// the private one.
func SubmissionAgreement(all []Submission, private bool) Agreement {
	var val, lb []float64
	for _, s := range all {
		sc := s.Public
		if private {
			sc = s.Private
		}
		if sc != nil && s.ValF1 != nil {
			val, lb = append(val, *s.ValF1), append(lb, sc.MacroF1)
		}
	}
	a := Agreement{N: len(val), Rank: math.NaN(), Gap: math.NaN()}
	if a.N == 0 {
		return a
	}
	var gap float64
	for i := range val {
		gap += lb[i] - val[i]
	}
	a.Gap = gap / float64(a.N)
	if a.N >= 3 && slices.Min(val) < slices.Max(val) && slices.Min(lb) < slices.Max(lb) {
		a.Rank = spearman(val, lb)
	}
	return a
}

// AttachLeaderboard sets each listed run's Public from runsDir's record:
// the best public leaderboard macro F1 of the submissions it alone
// predicted (a vote's score is the vote's, not a run's). Listed ids are
// the record's run references ("sweep-…/t003" for a sweep's trial).
func AttachLeaderboard(runsDir string, list []Listed) error {
	all, err := ReadSubmissions(runsDir)
	if err != nil || len(all) == 0 {
		return err
	}
	best := map[string]float64{}
	for _, s := range all {
		if s.Public == nil || len(s.Runs) != 1 {
			continue
		}
		if v, ok := best[s.Runs[0]]; !ok || s.Public.MacroF1 > v {
			best[s.Runs[0]] = s.Public.MacroF1
		}
	}
	for i := range list {
		if v, ok := best[list[i].Info.ID]; ok {
			list[i].Info.Public = &v
		}
	}
	return nil
}
