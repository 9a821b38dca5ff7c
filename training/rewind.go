package training

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/maskdash/maskdash/runs"
)

// rewindInfo brings run.json's figures back to where a resumed run goes
// on from: its checkpoint's epoch and step. The log has just been cut
// back there (runs.Run.RewindTo); run.json still held what came after,
// when a run crashed between a change and its next checkpoint: the
// changes made since (the runs table and FinalSettings, from which a
// child run takes its parent's settings, gave a rate and a loss the run
// no longer trained with), the best and last epochs' figures when an
// epoch's end was logged and its checkpoint never written. It drops the
// changes past step, and returns them (the resume says they are undone),
// drops the validation predictions of the epochs past its checkpoint,
// and takes the epochs' figures from what the log keeps (the best from
// the checkpoint, meta, in a log whose epochs do not say which was best).
func rewindInfo(run *runs.Run, epoch, step int, meta CkptMeta) ([]runs.Change, error) {
	info := &run.Info
	var kept, undone []runs.Change
	for _, c := range info.Changes {
		if c.Step <= step {
			kept = append(kept, c)
		} else {
			undone = append(undone, c)
		}
	}
	info.Changes = kept
	if info.EpochsDone > epoch || info.Best.Epoch > epoch {
		best, last := runs.Best{}, 0.0
		err := runs.ReadLogKinds(run.Dir, []string{string(KindEpoch)}, func(line []byte) error {
			var e Event
			if json.Unmarshal(line, &e) != nil || e.Kind != KindEpoch || e.Val == nil {
				return nil
			}
			last = e.Val.MacroF1
			if e.Best {
				best = runs.Best{MacroF1: e.Val.MacroF1, Accuracy: e.Val.Accuracy, Epoch: e.Epoch}
				for k, v := range e.Val.Tasks {
					if best.Tasks == nil {
						best.Tasks = map[string]float64{}
					}
					best.Tasks[k] = v.MacroF1
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("resume: the run's epochs from its log: %w", err)
		}
		if best.Epoch == 0 && meta.BestEpoch > 0 && meta.BestEpoch <= epoch {
			best = runs.Best{MacroF1: meta.BestF1, Epoch: meta.BestEpoch}
		}
		info.Best, info.LastF1 = best, last
	}
	info.EpochsDone, info.Steps = epoch, step
	if err := run.DropValPredsAfter(epoch); err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	if err := run.SaveInfo(); err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	return undone, nil
}

// undoneNotice says which changes a resume undid, and how to make them
// again.
func undoneNotice(step int, undone []runs.Change) string {
	parts := make([]string, len(undone))
	for i, c := range undone {
		parts[i] = fmt.Sprintf("%s %s at step %d", c.Setting, c.Value, c.Step)
		if c.Who != "" {
			parts[i] += " by " + c.Who
		}
	}
	return fmt.Sprintf("resumed from the checkpoint at step %d: the changes made after it are undone (the run goes on with the checkpoint's settings; make them again to keep them): %s",
		step, strings.Join(parts, ", "))
}
