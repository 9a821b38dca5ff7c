package main

import (
	"fmt"

	"github.com/maskdash/maskdash/training"
)

// sayGuesses tells predict's and ensemble's user how many rows of the
// predictions they wrote are of images that could not be read: guesses
// from uniform probabilities (the images were named on stderr).
func (a *app) sayGuesses(n int) {
	switch {
	case n == 1:
		fmt.Fprintln(a.out, "1 of them is of an image that could not be read (warned above): its row is a guess from uniform probabilities")
	case n > 1:
		fmt.Fprintf(a.out, "%d of them are of images that could not be read (warned above): their rows are guesses from uniform probabilities\n", n)
	}
}

// sayTruth prints a score against the labels beside the predicted
// images (m: training.ScoreLogProbs's, nil when no image was read), and
// that the guessed rows of unreadable images are not in it.
func (a *app) sayTruth(what string, m *training.Metrics, unread int) {
	if m == nil {
		fmt.Fprintf(a.out, "%s: no score, as no image could be read\n", what)
		return
	}
	left := ""
	if unread > 0 {
		left = fmt.Sprintf(" (without the %s that could not be read)", plural(unread, "image"))
	}
	fmt.Fprintf(a.out, "%s: accuracy %.4f, macro F1 %.4f%s\n", what, m.Accuracy, m.MacroF1, left)
}
