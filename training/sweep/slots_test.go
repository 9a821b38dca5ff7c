package sweep

import (
	"context"
	"testing"
	"time"
)

// TestSlotsAreSharedByEveryTaker: p slots can be held at once, a further
// taker waits (here until its context ends), and a freed slot is taken
// again. Each take opens the file anew, as a second runner process does.
func TestSlotsAreSharedByEveryTaker(t *testing.T) {
	logs := t.TempDir()
	ctx := context.Background()
	a, freeA, err := takeSlot(ctx, logs, 2)
	if err != nil {
		t.Fatal(err)
	}
	b, freeB, err := takeSlot(ctx, logs, 2)
	if err != nil || a == b || a < 0 || b < 0 {
		t.Fatalf("two takes of two slots: %d and %d (%v)", a, b, err)
	}
	defer freeB()
	short, cancel := context.WithTimeout(ctx, 3*slotWait)
	defer cancel()
	if c, _, err := takeSlot(short, logs, 2); c != -1 || err != nil {
		t.Fatalf("a third take of two slots got slot %d (%v), want it to wait", c, err)
	}
	go func() {
		time.Sleep(slotWait)
		freeA()
	}()
	if c, freeC, err := takeSlot(ctx, logs, 2); c != a || err != nil {
		t.Fatalf("after slot %d was freed the take got %d (%v)", a, c, err)
	} else {
		freeC()
	}
}
