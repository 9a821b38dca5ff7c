package dataset

import (
	"context"
	"os"
	"sort"
	"sync"
)

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
	// SkippedBy counts the skipped inputs by kind (image, file, row,
	// folder).
	SkippedBy map[SkipKind]int `json:"skipped_by_kind"`
	Skips     []Skip           `json:"skips,omitempty"`
	// Corrected counts the images a label corrections file relabelled.
	Corrected int    `json:"corrected,omitempty"`
	Test      *Stats `json:"test,omitempty"`
}

// ClassCount is the number of images of one class.
type ClassCount struct {
	Class int    `json:"class"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// ComputeStats counts a Set. Images that CheckImages found unreadable are
// passed as bad: they are counted as skipped, not as images.
func ComputeStats(s *Set, bad []Skip) Stats {
	skips := append(append([]Skip(nil), s.Skipped...), bad...)
	st := Stats{Format: s.Format, Root: s.Root, Images: s.Len() - len(bad), Profiles: s.Profiles(), Skipped: len(skips),
		Skips: skips, SkippedBy: CountSkips(skips), Corrected: s.Corrected}
	isBad := map[string]bool{}
	for _, b := range bad {
		isBad[b.Path] = true
	}
	counts := make([]int, len(s.Classes))
	var task [3][]int
	if s.Masked {
		for t := range task {
			task[t] = make([]int, TaskSizes[t])
		}
	}
	for _, sm := range s.Samples {
		if sm.Label < 0 || sm.Label >= len(counts) || sm.Path != "" && isBad[sm.Path] {
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

// CountSkips counts skipped inputs by kind (every kind present, zero or
// not).
func CountSkips(skips []Skip) map[SkipKind]int {
	out := map[SkipKind]int{}
	for _, k := range SkipKinds {
		out[k] = 0
	}
	for _, s := range skips {
		out[s.Kind]++
	}
	return out
}

// CheckImages decodes every image of s with workers goroutines and returns
// a Skip for each that cannot be read (a corrupt or truncated file).
func CheckImages(ctx context.Context, s *Set, workers int) []Skip {
	workers = max(workers, 1)
	var mu sync.Mutex
	var bad []Skip
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := s.check(i); err != nil {
					mu.Lock()
					bad = append(bad, Skip{SkipImage, s.Samples[i].Path, err.Error()})
					mu.Unlock()
				}
			}
		}()
	}
	for i := range s.Samples {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	sort.Slice(bad, func(i, j int) bool { return bad[i].Path < bad[j].Path })
	return bad
}

// check reads sample i as the loader does: a JPEG that the scaled decoder
// reads (at its smallest scale: every block is still decoded) is sound,
// anything else is decoded in full. So stats names the images training
// skips, no more and no fewer, in a third of the time a full decode of
// every photo took.
func (s *Set) check(i int) error {
	if p := s.Samples[i].Path; fastJPEG != nil && s.decoder == nil && p != "" && isJPEGName(p) {
		if b, err := os.ReadFile(p); err == nil {
			if _, _, _, ok := fastJPEG(b, func(int, int) (int, int) { return 1, 1 }); ok {
				return nil
			}
		}
	}
	_, err := s.Image(i)
	return err
}
