package sweep

import (
	"os"
	"path/filepath"
	"testing"
)

// TestEndedWhileHeld: a trial the backend still holds shows as pending
// until its process records its end; then it shows as its log says (an
// error before its run began: failed, with the error's sentence, both of
// its lines); queued again (a later submission), it is pending again.
func TestEndedWhileHeld(t *testing.T) {
	sw := &Sweep{Parallel: 1}
	if err := Create(t.TempDir(), "", sw); err != nil {
		t.Fatal(err)
	}
	sw.Trials = []Trial{{Index: 0, RunID: "t000", Submits: 1}}
	held := map[int]Queued{0: {State: StateRunning, Node: "n1"}}
	if st := sw.States(held)[0]; st.State != StateRunning {
		t.Fatalf("held, not ended: %s", st.State)
	}
	if _, err := sw.logDir(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sw.Dir, "logs", "t000.out"),
		[]byte("trial t000: lr=0.1\nmaskdash: data folder d is in no known format\nand a second line.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st := sw.States(held)[0]; st.State != StateRunning {
		t.Errorf("held, its log written but its end not recorded: %s", st.State)
	}
	if err := sw.MarkEnded(0); err != nil {
		t.Fatal(err)
	}
	st := sw.States(held)[0]
	if st.State != StateFailed || st.Why != "data folder d is in no known format and a second line." {
		t.Errorf("ended while held: %s (%q)", st.State, st.Why)
	}
	if st := sw.States(nil)[0]; st.State != StateFailed {
		t.Errorf("ended, let go: %s", st.State)
	}
	sw.Trials[0].Submits++
	if st := sw.States(held)[0]; st.State != StateRunning {
		t.Errorf("queued again: %s", st.State)
	}
}
