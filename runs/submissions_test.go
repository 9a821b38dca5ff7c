package runs

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestSubmissionsRecordAndScore: predictions files recorded at once from
// several writers are all kept; a leaderboard score given for a renamed
// copy reaches its submission by content; a file never recorded is
// refused and changes nothing; the agreement of validation and
// leaderboard is their rank correlation and mean gap.
func TestSubmissionsRecordAndScore(t *testing.T) {
	rd, work := t.TempDir(), t.TempDir()
	vals := []float64{0.30, 0.40, 0.50, 0.45}
	var wg sync.WaitGroup
	for i, v := range vals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := filepath.Join(work, fmt.Sprintf("sub%d.csv", i))
			if err := os.WriteFile(p, fmt.Appendf(nil, "ImageID,ans\na.jpg,%d\nb.jpg,0\n", i), 0o644); err != nil {
				t.Error(err)
				return
			}
			if err := RecordSubmission(rd, p, Submission{Runs: []string{fmt.Sprintf("run%d", i)}, ValF1: &v}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	all, err := ReadSubmissions(rd)
	if err != nil || len(all) != 4 {
		t.Fatalf("%d submissions recorded of 4 (%v)", len(all), err)
	}
	for _, s := range all {
		if s.Rows != 2 || len(s.SHA256) != 64 || !filepath.IsAbs(s.File) || s.Time.IsZero() {
			t.Errorf("submission %+v", s)
		}
	}
	// The leaderboard's scores, the third given for a renamed copy.
	lb := map[int]float64{0: 0.28, 1: 0.41, 2: 0.45}
	for i, f1 := range lb {
		file := filepath.Join(work, fmt.Sprintf("sub%d.csv", i))
		if i == 2 {
			b, _ := os.ReadFile(file)
			file = filepath.Join(t.TempDir(), "final-final.csv")
			if err := os.WriteFile(file, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		scored, err := ScoreSubmission(rd, file, false, LeaderboardScore{MacroF1: f1})
		if err != nil || len(scored) != 1 || scored[0].Runs[0] != fmt.Sprintf("run%d", i) {
			t.Errorf("score for sub%d: %v %+v", i, err, scored)
		}
	}
	stranger := filepath.Join(work, "other.csv")
	if err := os.WriteFile(stranger, []byte("ImageID,ans\na.jpg,9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(rd, SubmissionsFile))
	if _, err := ScoreSubmission(rd, stranger, false, LeaderboardScore{MacroF1: 0.5}); !errors.Is(err, ErrNotSubmitted) {
		t.Errorf("a file never recorded: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(rd, SubmissionsFile)); string(after) != string(before) {
		t.Error("a refused score changed the record")
	}
	// A runs folder that is not there (a mistyped --runs): not submitted,
	// and no folder is made.
	typo := filepath.Join(rd, "typo")
	if _, err := ScoreSubmission(typo, stranger, false, LeaderboardScore{MacroF1: 0.5}); !errors.Is(err, ErrNotSubmitted) {
		t.Errorf("a score in a runs folder that is not there: %v", err)
	}
	if _, err := os.Stat(typo); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("scoring in a missing runs folder made it: %v", err)
	}
	// Validation 0.30 < 0.40 < 0.50 and the leaderboard 0.28 < 0.41 <
	// 0.45: the same order, ρ = 1; the gaps −0.02, +0.01, −0.05.
	a := SubmissionAgreement(mustRead(t, rd), false)
	if a.N != 3 || math.Abs(a.Rank-1) > 1e-12 || math.Abs(a.Gap-(-0.02)) > 1e-12 {
		t.Errorf("agreement %+v, want 3 submissions, ρ 1, gap -0.02", a)
	}
	if p := SubmissionAgreement(mustRead(t, rd), true); p.N != 0 || !math.IsNaN(p.Rank) {
		t.Errorf("no private scores: %+v", p)
	}
}

func mustRead(t *testing.T, rd string) []Submission {
	t.Helper()
	all, err := ReadSubmissions(rd)
	if err != nil {
		t.Fatal(err)
	}
	return all
}
