package main

import (
	"fmt"
	"io"
	"sync"

	"github.com/maskdash/maskdash/dataset"
)

// imageWarner tells a command's user of each image it could not read,
// one line on stderr each, and counts them: eval says how many it left
// out of its figures. An image is named once, however many runs (a vote)
// or passes tried it. The loaders call warn from their goroutines.
type imageWarner struct {
	mu   sync.Mutex
	out  io.Writer
	told map[string]bool
}

func (a *app) imageWarner() *imageWarner {
	return &imageWarner{out: a.errOut, told: map[string]bool{}}
}

func (u *imageWarner) warn(s dataset.Skip) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.told[s.Path] {
		return
	}
	u.told[s.Path] = true
	fmt.Fprintf(u.out, "warning: skipped %s %s: %s\n", s.Kind, s.Path, s.Reason)
}

// count is how many images were skipped so far.
func (u *imageWarner) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.told)
}
