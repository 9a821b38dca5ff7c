package main

import (
	"fmt"
	"io"
	"sync"

	"github.com/maskdash/maskdash/dataset"
)

// imageWarner tells a command's user of each image it could not read,
// one line on stderr each, and counts them: eval says how many it left
// out of its figures, predict how many rows are guesses. The loaders call
// warn from their goroutines.
type imageWarner struct {
	mu  sync.Mutex
	out io.Writer
	n   int
}

func (a *app) imageWarner() *imageWarner { return &imageWarner{out: a.errOut} }

func (u *imageWarner) warn(s dataset.Skip) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.n++
	fmt.Fprintf(u.out, "warning: skipped %s %s: %s\n", s.Kind, s.Path, s.Reason)
}

// count is how many images were skipped so far.
func (u *imageWarner) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.n
}
