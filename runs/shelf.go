package runs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Shelf is where a run goes when it leaves the list without being lost:
// a folder in the runs folder that List skips (its name starts with a
// dot), holding the run under its own id ("sweep-…/t003" for a trial).
type Shelf string

// Shelves.
const (
	ShelfArchive Shelf = ".archive" // kept for good, out of the way
	ShelfTrash   Shelf = ".trash"   // deleted; EmptyTrash frees the space
)

// Shelves lists every shelf, in the order restore looks.
var Shelves = []Shelf{ShelfTrash, ShelfArchive}

// Word is what being on the shelf is called: "archived", "deleted".
func (sh Shelf) Word() string {
	if sh == ShelfTrash {
		return "deleted"
	}
	return "archived"
}

// MoveDir moves a run's folder from one path to another, making the
// destination's parent; it refuses to move onto a folder that exists.
func MoveDir(from, to string) error {
	if _, err := os.Stat(to); err == nil {
		return fmt.Errorf("%s exists already", to)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("move %s: %w", filepath.Base(from), err)
	}
	return nil
}

// Shelve moves run id onto the shelf. A run that trains is refused.
func (s *Store) Shelve(id string, sh Shelf) error {
	from := filepath.Join(s.Dir, filepath.FromSlash(id))
	if locked(from) {
		return fmt.Errorf("%s is training: stop it first", id)
	}
	return MoveDir(from, filepath.Join(s.Dir, string(sh), filepath.FromSlash(id)))
}

// Restore moves run id back from whichever shelf holds it and says which.
func (s *Store) Restore(id string) (Shelf, error) {
	to := filepath.Join(s.Dir, filepath.FromSlash(id))
	for _, sh := range Shelves {
		from := filepath.Join(s.Dir, string(sh), filepath.FromSlash(id))
		if _, err := os.Stat(filepath.Join(from, "run.json")); err != nil {
			continue
		}
		return sh, MoveDir(from, to)
	}
	return "", fmt.Errorf("no archived or deleted run %q in %s ('maskdash runs --archived' and '--deleted' list them)", id, s.Dir)
}

// Shelved lists the runs on a shelf, newest first: its run folders and
// the trials in its sweep folders ("sweep-…/t003").
func (s *Store) Shelved(sh Shelf) ([]Listed, error) {
	shelf := &Store{Dir: filepath.Join(s.Dir, string(sh))}
	out, err := shelf.List()
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(shelf.Dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || isRunDir(filepath.Join(shelf.Dir, e.Name())) {
			continue
		}
		// A folder that is not a run: a sweep whose trials were deleted.
		inner, err := (&Store{Dir: filepath.Join(shelf.Dir, e.Name())}).List()
		if err != nil {
			return nil, err
		}
		for _, l := range inner {
			l.Info.ID = e.Name() + "/" + l.Info.ID
			out = append(out, l)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Info.ID > out[j].Info.ID })
	return out, nil
}

// isRunDir reports whether dir holds a run.
func isRunDir(dir string) bool {
	for _, f := range []string{"run.json", "metrics.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

// ShelfSize is how many bytes the files on a shelf take (0 for a shelf
// that was never used).
func (s *Store) ShelfSize(sh Shelf) (int64, error) {
	dir := filepath.Join(s.Dir, string(sh))
	var size int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if fi, ierr := d.Info(); ierr == nil && fi.Mode().IsRegular() {
			size += fi.Size()
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", dir, err)
	}
	return size, nil
}

// EmptyTrash deletes every run on the trash shelf for good and says how
// many runs went and how many bytes they held.
func (s *Store) EmptyTrash() (int, int64, error) {
	list, err := s.Shelved(ShelfTrash)
	if err != nil {
		return 0, 0, err
	}
	size, err := s.ShelfSize(ShelfTrash)
	if err != nil {
		return 0, 0, err
	}
	trash := filepath.Join(s.Dir, string(ShelfTrash))
	if err := os.RemoveAll(trash); err != nil {
		return 0, 0, fmt.Errorf("empty %s: %w", trash, err)
	}
	return len(list), size, nil
}
