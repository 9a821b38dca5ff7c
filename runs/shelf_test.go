package runs

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestShelves: a run archived or deleted leaves the list and lists on
// its shelf (a sweep's trial by its sweep/trial id); restore brings it
// back from either; a run that trains is refused; emptying the trash
// deletes its runs for good, says how many and how many bytes, and
// leaves the archive alone.
func TestShelves(t *testing.T) {
	s := NewStore(t.TempDir())
	at := time.Date(2026, 12, 5, 21, 0, 0, 0, time.UTC)
	var ids []string
	for i, name := range []string{"a", "b", "c"} {
		r, err := s.Create(Info{Model: "cnn-s", Loss: "ce", Name: name, Start: at.Add(time.Duration(i) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID())
		if name == "c" {
			if err := s.Shelve(r.ID(), ShelfTrash); err == nil || !strings.Contains(err.Error(), "is training") {
				t.Errorf("a run that trains went to the trash: %v", err)
			}
		}
		if err := r.Close(StatusDone, nil); err != nil {
			t.Fatal(err)
		}
	}
	// A sweep's trial: a run in a folder of the sweep's.
	sweepStore := NewStore(filepath.Join(s.Dir, "sweep-1"))
	tr, err := sweepStore.Create(Info{ID: "t000", Model: "cnn-s", Loss: "ce"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(StatusDone, nil); err != nil {
		t.Fatal(err)
	}
	for id, sh := range map[string]Shelf{ids[0]: ShelfArchive, ids[1]: ShelfTrash, "sweep-1/t000": ShelfTrash} {
		if err := s.Shelve(id, sh); err != nil {
			t.Fatal(err)
		}
	}
	if l, _ := s.List(); len(l) != 1 || l[0].Info.ID != ids[2] {
		t.Errorf("the list after shelving: %+v", l)
	}
	shelved := func(sh Shelf) []string {
		l, err := s.Shelved(sh)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range l {
			out = append(out, r.Info.ID)
		}
		return out
	}
	if got := shelved(ShelfTrash); !slices.Equal(got, []string{"sweep-1/t000", ids[1]}) {
		t.Errorf("the trash lists %v", got)
	}
	if got := shelved(ShelfArchive); !slices.Equal(got, []string{ids[0]}) {
		t.Errorf("the archive lists %v", got)
	}
	if sh, err := s.Restore("sweep-1/t000"); err != nil || sh != ShelfTrash {
		t.Fatalf("restore the trial: %s %v", sh, err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "sweep-1", "t000", "run.json")); err != nil {
		t.Errorf("the trial is not back in its sweep: %v", err)
	}
	if _, err := s.Restore("nope"); err == nil || !strings.Contains(err.Error(), `no archived or deleted run "nope"`) {
		t.Errorf("restore of a run on no shelf: %v", err)
	}
	var size int64
	_ = filepath.Walk(filepath.Join(s.Dir, string(ShelfTrash)), func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			size += fi.Size()
		}
		return nil
	})
	n, freed, err := s.EmptyTrash()
	if err != nil || n != 1 || freed != size || size == 0 {
		t.Errorf("emptied %d runs, %d bytes (%v); want 1 and %d", n, freed, err, size)
	}
	if got := shelved(ShelfTrash); len(got) != 0 {
		t.Errorf("the trash after emptying: %v", got)
	}
	if got := shelved(ShelfArchive); len(got) != 1 {
		t.Errorf("emptying the trash touched the archive: %v", got)
	}
	if n, freed, err := s.EmptyTrash(); n != 0 || freed != 0 || err != nil {
		t.Errorf("an empty trash emptied: %d %d %v", n, freed, err)
	}
}
