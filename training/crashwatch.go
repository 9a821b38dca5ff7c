package training

import (
	"context"
	"fmt"
	"time"

	"github.com/maskdash/maskdash/runs"
)

// WatchCrashes lists the runs folder every period and raises a crashed
// alert on hub, once, for each run that was running and whose writer has
// since died (run.json still says running, and no process holds its
// lock): a training process killed or lost with its machine. It returns
// when ctx ends. Runs that had crashed before the first look are not
// reported.
func WatchCrashes(ctx context.Context, dir string, hub *Hub, period time.Duration) {
	store := runs.NewStore(dir)
	seen := map[string]runs.Status{}
	first := true
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		list, err := store.List()
		if err == nil {
			for _, l := range list {
				id, st := l.Info.ID, l.Info.Status
				if prev, ok := seen[id]; ok && prev == runs.StatusRunning && st == runs.StatusCrashed {
					hub.Publish(Event{Kind: KindAlert, Alert: AlertCrashed, Run: id, Time: time.Now(), Epoch: l.Info.EpochsDone, Step: l.Info.Steps,
						Msg: fmt.Sprintf("run %s crashed: its writer died after %d epochs (resume it with 'maskdash resume %s')", id, l.Info.EpochsDone, id)})
				}
				if !first || st != runs.StatusCrashed {
					seen[id] = st
				}
			}
		}
		first = false
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
