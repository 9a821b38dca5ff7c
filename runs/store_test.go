package runs

import (
	"testing"
	"time"
)

// TestNewIDSaysEachWordOnce: a run's name (or task) that repeats the
// model, loss or task is not added again; any other name is.
func TestNewIDSaysEachWordOnce(t *testing.T) {
	at := time.Date(2026, 12, 7, 5, 38, 48, 0, time.UTC)
	for _, c := range []struct{ model, loss, task, name, want string }{
		{"cnn-s", "ce", "", "", "20261207-053848-cnn-s-ce"},
		{"cnn-s", "ce", "", "ce", "20261207-053848-cnn-s-ce"},
		{"cnn-s", "focal", "", "focal", "20261207-053848-cnn-s-focal"},
		{"cnn-s", "focal", "age", "age", "20261207-053848-cnn-s-focal-age"},
		{"vgg-s", "ce", "", "vgg-s", "20261207-053848-vgg-s-ce"},
		{"cnn-s", "ce", "age", "long", "20261207-053848-cnn-s-ce-age-long"},
		{"cnn-s", "ce", "", "focal-ish run", "20261207-053848-cnn-s-ce-focal-ish_run"},
	} {
		if got := NewID(at, c.model, c.loss, c.task, c.name); got != c.want {
			t.Errorf("NewID(%q, %q, %q, %q) = %s; want %s", c.model, c.loss, c.task, c.name, got, c.want)
		}
	}
}
