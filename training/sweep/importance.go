package sweep

import (
	"slices"
	"strconv"

	"github.com/maskdash/maskdash/runs"
)

// Settings are the trial's settings by name: its searched values, and
// its fold and seed when the sweep has them.
func (t Trial) Settings() []KV {
	s := slices.Clone(t.Params)
	if t.Folds > 0 {
		s = append(s, KV{"fold", strconv.Itoa(t.Fold)})
	}
	if t.Seed > 0 {
		s = append(s, KV{"seed", strconv.FormatUint(t.Seed, 10)})
	}
	return s
}

// Importances are what each setting that varies among the scored trials
// accounts for in their best macro F1 (runs.Importances: ε², main
// effects), the largest share first; a trial without a score counts for
// nothing.
func Importances(st []TrialStatus) []runs.Importance {
	var names []string
	seen := map[string]bool{}
	scored := make([]runs.Scored, 0, len(st))
	for _, t := range st {
		set := map[string]string{}
		for _, kv := range t.Settings() {
			if !seen[kv.Name] {
				seen[kv.Name] = true
				names = append(names, kv.Name)
			}
			set[kv.Name] = kv.Value
		}
		scored = append(scored, runs.Scored{Settings: set, Score: t.BestF1})
	}
	return runs.Importances(names, scored)
}
