package runs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNotes: a note is written, read back by ReadInfo (never into
// run.json, which the trainer rewrites), its first line is the table's
// cell, a blank one removes the file, and a note too long or a folder
// that is not a run's is refused; an unreadable note keeps the run
// readable and says why it is missing.
func TestNotes(t *testing.T) {
	s := NewStore(t.TempDir())
	r, err := s.Create(Info{Model: "cnn-s", Loss: "ce", Start: time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteNote(r.Dir, "  focal next\nce plateaued at epoch 4  \n"); err != nil {
		t.Fatal(err)
	}
	if err := r.SaveInfo(); err != nil {
		t.Fatal(err)
	}
	info, err := ReadInfo(r.Dir)
	if err != nil || info.Note != "focal next\nce plateaued at epoch 4" || NoteLine(info.Note) != "focal next" {
		t.Errorf("ReadInfo: %q, %v", info.Note, err)
	}
	if b, _ := os.ReadFile(filepath.Join(r.Dir, "run.json")); strings.Contains(string(b), "focal next") {
		t.Errorf("the note went into run.json: %s", b)
	}
	if err := WriteNote(r.Dir, " \n"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(r.Dir, NoteFile)); !os.IsNotExist(err) {
		t.Errorf("a blank note left %s: %v", NoteFile, err)
	}
	if err := WriteNote(r.Dir, strings.Repeat("x", MaxNote+1)); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("a note too long: %v", err)
	}
	if err := WriteNote(t.TempDir(), "x"); err == nil || !strings.Contains(err.Error(), "not a run's folder") {
		t.Errorf("a note in a folder that is no run's: %v", err)
	}
	if err := os.Mkdir(filepath.Join(r.Dir, NoteFile), 0o755); err != nil { // unreadable as a file
		t.Fatal(err)
	}
	info, err = ReadInfo(r.Dir)
	if err != nil || !strings.HasPrefix(info.Note, "(run ") {
		t.Errorf("an unreadable note: %q, %v", info.Note, err)
	}
	r.Abandon()
}
