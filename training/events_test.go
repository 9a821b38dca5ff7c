package training

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestEventLinesStartWithTheirKind: an event is written with its kind
// first, which runs.ReadLogKinds relies on to pass over the step events
// of a long run's log unparsed (a field moved above Kind would make
// every reader of epochs read them all again, slowly but correctly).
func TestEventLinesStartWithTheirKind(t *testing.T) {
	for _, k := range []EventKind{KindAlert, KindCheckpoint, KindControl, KindEpoch, KindError, KindNotice, KindPrediction, KindRewound, KindRun, KindState, KindStep} {
		b, err := json.Marshal(Event{Kind: k, Time: time.Now(), Run: "r", Epoch: 1, Msg: "m"})
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"kind":"` + string(k) + `"`; !strings.HasPrefix(string(b), want) {
			t.Errorf("%s event written as %.40s…, want it to start with %s", k, b, want)
		}
	}
}
