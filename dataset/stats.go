package dataset

// Stats summarises a Set: images per class and per task, profiles and
// skipped inputs. Its JSON form is what `maskdash stats --json` prints.
type Stats struct {
	Format   string                  `json:"format"`
	Root     string                  `json:"root"`
	Images   int                     `json:"images"`
	Profiles int                     `json:"profiles"`
	Classes  []ClassCount            `json:"classes"`
	Tasks    map[string][]ClassCount `json:"tasks,omitempty"`
	Skipped  int                     `json:"skipped"`
	Skips    []Skip                  `json:"skips,omitempty"`
	Test     *Stats                  `json:"test,omitempty"`
}

// ClassCount is the number of images of one class.
type ClassCount struct {
	Class int    `json:"class"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// ComputeStats counts a Set.
func ComputeStats(s *Set) Stats {
	st := Stats{Format: s.Format, Root: s.Root, Images: s.Len(), Profiles: s.Profiles(), Skipped: len(s.Skipped), Skips: s.Skipped}
	counts := make([]int, len(s.Classes))
	var task [3][]int
	if s.Masked {
		for t := range task {
			task[t] = make([]int, TaskSizes[t])
		}
	}
	for _, sm := range s.Samples {
		if sm.Label < 0 || sm.Label >= len(counts) {
			continue
		}
		counts[sm.Label]++
		if s.Masked {
			for t := range task {
				task[t][TaskLabel(sm.Label, t)]++
			}
		}
	}
	for c, n := range counts {
		st.Classes = append(st.Classes, ClassCount{c, s.Classes[c], n})
	}
	if s.Masked {
		names := TaskClassNames(s.Bins)
		st.Tasks = map[string][]ClassCount{}
		for t := range task {
			for c, n := range task[t] {
				st.Tasks[TaskNames[t]] = append(st.Tasks[TaskNames[t]], ClassCount{c, names[t][c], n})
			}
		}
	}
	return st
}
