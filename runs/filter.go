package runs

import (
	"fmt"
	"strings"
)

// Setting reads a setting of a run for filters and groups: run.json's
// own fields first, then its config, by its key there or as the train
// flag spells it (val-train for val_train); "" when the run has no such
// setting.
func Setting(i Info, k string) string {
	switch k {
	case "id", "run":
		return i.ID
	case "status":
		return string(i.Status)
	case "model":
		return i.Model
	case "loss":
		return i.Loss
	case "optim":
		return i.Optim
	case "lr":
		return fmt.Sprintf("%g", i.LR)
	case "parent":
		return i.Parent
	case "note":
		return i.Note
	}
	if v, ok := i.Config[k]; ok {
		return fmt.Sprint(v)
	}
	if v, ok := i.Config[strings.ReplaceAll(k, "-", "_")]; ok {
		return fmt.Sprint(v)
	}
	return ""
}

// Matches applies a filter as the runs table and maskdash runs take it:
// every word must match, a word k=v by the setting k (Setting, or any
// value it was changed to while training: loss=focal finds a run switched
// to focal), any other word as text in the run's id, status, model,
// loss (each it had), optimizer, parent or note (case does not matter).
func Matches(i Info, filter string) bool {
	for _, word := range strings.Fields(filter) {
		if k, v, ok := strings.Cut(word, "="); ok {
			if !hadSetting(i, k, v) {
				return false
			}
			continue
		}
		row := strings.ToLower(i.ID + " " + string(i.Status) + " " + i.Model + " " + i.Loss + " " + i.Optim + " " + i.Parent + " " + i.Note + " " + strings.Join(i.Alerts, " "))
		for _, c := range i.Changes {
			row += " " + strings.ToLower(c.Value)
		}
		if !strings.Contains(row, strings.ToLower(word)) {
			return false
		}
	}
	return true
}

// hadSetting reports whether setting k of the run was v at its start or
// became v while it trained.
func hadSetting(i Info, k, v string) bool {
	if strings.EqualFold(Setting(i, k), v) {
		return true
	}
	for _, c := range i.Changes {
		if c.Setting == k && strings.EqualFold(c.Value, v) {
			return true
		}
	}
	return false
}
