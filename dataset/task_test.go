package dataset

import (
	"strings"
	"testing"
)

// TestForTask: a task's view of a mask-layout set labels every image with
// its class of that task (the competition's encoding read back: mask =
// class / 6, gender = class / 3 mod 2, age = class mod 3), names the
// task's classes, keeps unlabelled images unlabelled and leaves the set
// itself as it was; other layouts and unknown tasks are refused in a
// sentence.
func TestForTask(t *testing.T) {
	s := &Set{Root: "r", Masked: true, Bins: AgeBins{30, 58}, Classes: ClassNames(AgeBins{30, 58})}
	for c := range NumClasses {
		s.Samples = append(s.Samples, Sample{Label: c, Name: string(rune('a' + c))})
	}
	s.Samples = append(s.Samples, Sample{Label: -1, Name: "eval"})
	want := map[string]func(c int) int{"mask": func(c int) int { return c / 6 }, "gender": func(c int) int { return c / 3 % 2 }, "age": func(c int) int { return c % 3 }}
	names := map[string]string{"mask": "wear incorrect none", "gender": "male female", "age": "<30 30-57 58+"}
	for task, f := range want {
		v, err := s.ForTask(task)
		if err != nil {
			t.Fatal(err)
		}
		if v.Task != task || v.Masked || strings.Join(v.Classes, " ") != names[task] {
			t.Errorf("%s: task %q, masked %v, classes %v", task, v.Task, v.Masked, v.Classes)
		}
		for i, sm := range v.Samples {
			if i < NumClasses && sm.Label != f(i) || i == NumClasses && sm.Label != -1 || sm.Name != s.Samples[i].Name {
				t.Errorf("%s: image %d (class %d) labelled %d", task, i, s.Samples[i].Label, sm.Label)
			}
		}
	}
	if s.Samples[7].Label != 7 || s.Task != "" || len(s.Classes) != NumClasses {
		t.Error("ForTask changed the set it views")
	}
	if v, err := s.ForTask(""); err != nil || v != s {
		t.Errorf("no task: %v, the same set %v", err, v == s)
	}
	if _, err := s.ForTask("race"); err == nil || !strings.Contains(err.Error(), `task "race" is unknown`) {
		t.Errorf("task race: %v", err)
	}
	if _, err := (&Set{Root: "pets", Classes: []string{"cat", "dog"}}).ForTask("age"); err == nil || !strings.Contains(err.Error(), "needs the mask layout") {
		t.Errorf("pets by age: %v", err)
	}
}
