package dataset

import (
	"fmt"
	"slices"
)

// ParseTask reads a task's name (TaskNames: mask, gender or age) into its
// index; "" is all three tasks at once, the 18 classes (-1).
func ParseTask(s string) (int, error) {
	if s == "" {
		return -1, nil
	}
	if t := slices.Index(TaskNames[:], s); t >= 0 {
		return t, nil
	}
	return 0, fmt.Errorf("task %q is unknown; use mask, gender or age (or none, for the 18 classes)", s)
}

// ForTask is the set seen by one task of the mask layout: the same images,
// each labelled with its class of that task (mask: wear, incorrect, none;
// gender; age by s.Bins), and the task's classes. A model trained on it
// predicts that task alone; the top teams trained one such model a task
// and combined their predictions (mask×6 + gender×3 + age). task "" is s
// itself. Unlabelled images stay unlabelled.
func (s *Set) ForTask(task string) (*Set, error) {
	t, err := ParseTask(task)
	if err != nil || t < 0 {
		return s, err
	}
	if !s.Masked {
		return nil, fmt.Errorf("--task %s needs the mask layout's 18 classes; %s has %d classes of its own", task, s.Root, len(s.Classes))
	}
	out := *s
	out.Masked, out.Task = false, task
	out.Classes = TaskClassNames(s.Bins)[t]
	out.Samples = slices.Clone(s.Samples)
	for i, sm := range out.Samples {
		if sm.Label >= 0 {
			out.Samples[i].Label = TaskLabel(sm.Label, t)
		}
	}
	return &out, nil
}
