package runs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// NoteFile is the file in a run's folder that holds its note: free text
// its owner wrote about it (what it tried, why it stopped). It is a file
// of its own rather than a field of run.json, so that writing it never
// races with the trainer, which rewrites run.json while it trains.
const NoteFile = "note.txt"

// MaxNote is the longest note kept, in bytes.
const MaxNote = 4096

// ReadNote reads a run's note ("" when it has none).
func ReadNote(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, NoteFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("run %s's note: %w", filepath.Base(dir), err)
	}
	return strings.TrimSpace(string(b)), nil
}

// WriteNote sets a run's note; an empty (or blank) one removes it.
func WriteNote(dir, note string) error {
	note = strings.TrimSpace(note)
	p := filepath.Join(dir, NoteFile)
	if _, err := os.Stat(filepath.Join(dir, "run.json")); err != nil {
		return fmt.Errorf("%s is not a run's folder: %w", dir, err)
	}
	if len(note) > MaxNote {
		return fmt.Errorf("the note has %d bytes; a note holds at most %d", len(note), MaxNote)
	}
	if note == "" {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	return WriteFileAtomic(p, []byte(note+"\n"))
}

// NoteLine is a note's first line, for a table's cell.
func NoteLine(note string) string {
	line, _, _ := strings.Cut(note, "\n")
	return strings.TrimSpace(line)
}
