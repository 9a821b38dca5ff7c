package sweep

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// counting hands nothing to any machine: it only counts the submissions,
// as a backend does before it starts a trial, so that Requeue's choices
// can be followed one failure at a time.
type counting struct{ submitted [][]int }

func (c *counting) Submit(_ context.Context, sw *Sweep, trials []int) error {
	c.submitted = append(c.submitted, slices.Clone(trials))
	return sw.countSubmits(trials, 1)
}
func (c *counting) Queued(context.Context, *Sweep) (map[int]Queued, error) { return nil, nil }
func (c *counting) Cancel(context.Context, *Sweep, []int) error            { return nil }

// TestRequeueGivesUpOnARepeatedFailure: a trial that fails is requeued;
// failing the same way again, it is not (status says so and why), while
// one that fails differently each time is, up to MaxSubmits submissions.
func TestRequeueGivesUpOnARepeatedFailure(t *testing.T) {
	sw := &Sweep{Parallel: 2}
	if err := Create(t.TempDir(), "", sw); err != nil {
		t.Fatal(err)
	}
	sw.Trials = []Trial{{Index: 0, RunID: "t000", Submits: 1}, {Index: 1, RunID: "t001", Submits: 1}}
	if _, err := sw.logDir(); err != nil {
		t.Fatal(err)
	}
	fail := func(i int, why string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(sw.Dir, "logs", sw.Trials[i].RunID+".out"), []byte("maskdash: "+why+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := sw.MarkEnded(i); err != nil {
			t.Fatal(err)
		}
	}
	be := &counting{}
	requeue := func() []int {
		t.Helper()
		again, err := Requeue(context.Background(), sw, be, sw.States(nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		return again
	}
	fail(0, "data folder d is in no known format")
	fail(1, "disk full at submission 1")
	if got := requeue(); !slices.Equal(got, []int{0, 1}) {
		t.Fatalf("after each trial's first failure, requeued %v", got)
	}
	fail(0, "data folder d is in no known format")
	fail(1, "disk full at submission 2")
	if got := requeue(); !slices.Equal(got, []int{1}) {
		t.Fatalf("after a repeated failure (trial 0) and a new one (trial 1), requeued %v", got)
	}
	st := sw.States(nil)[0]
	if !st.Repeats || st.State != StateFailed || !strings.HasPrefix(st.Why, "data folder d is in no known format; the same failure as submission 1's, so not requeued again") {
		t.Errorf("trial 0's status: %s %v %q", st.State, st.Repeats, st.Why)
	}
	if got := requeue(); got != nil {
		t.Errorf("the repeated failure was requeued on a second look: %v", got)
	}
	for k := 3; k <= MaxSubmits; k++ {
		fail(1, fmt.Sprintf("disk full at submission %d", k))
		got := requeue()
		if k < MaxSubmits && !slices.Equal(got, []int{1}) {
			t.Errorf("a new failure at submission %d: requeued %v", k, got)
		}
		if k == MaxSubmits && got != nil {
			t.Errorf("submission %d of %d failed and was requeued: %v", k, MaxSubmits, got)
		}
	}
	if n := sw.Trials[1].Submits; n != MaxSubmits {
		t.Errorf("trial 1 was submitted %d times, want %d", n, MaxSubmits)
	}
	// sweep.json keeps what each requeue was for.
	again, err := Open(filepath.Dir(sw.Dir), sw.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.Trials[0].Failed != "data folder d is in no known format" || again.Trials[0].Submits != 2 {
		t.Errorf("sweep.json's trial 0: %+v", again.Trials[0])
	}
}
