//go:build unix

package dataset

import (
	"fmt"
	"os"
	"sync"
	"syscall"
)

// mapPack maps a pack file into memory read-only. The cache's images are
// views into it: the file's pages, which the kernel may drop and read
// again, not 300 MB more of Go heap (reading the pack into the heap made
// the run's peak 1.28 GB instead of 0.88 GB, the collector letting the
// heap grow in proportion to it). A pack is only ever replaced by a
// rename, never cut in place, so the mapping stays whole.
//
// A mapping is never unmapped (the images are the caches' until the
// process ends, and a view handed on from a cache has no owner to count),
// so a file is mapped once per process: a run's splits, its eval images,
// a dashboard's child runs and a long serve's runs on the same data
// share one mapping, not one each. A pack rewritten since (a rename: a
// new file) is mapped anew; the old mapping keeps the old file's pages
// alive, and its inode, so its number is not given to another file
// while it is in the table.
func mapPack(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // read-only; the mapping outlives it
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() == 0 {
		return nil, nil
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, fmt.Errorf("%s: no file identity to map it by", path)
	}
	// Not the modification time: Load touches the pack (its last use,
	// for the store's trim) each time it reads it.
	id := mappedFile{dev: uint64(sys.Dev), ino: uint64(sys.Ino), size: st.Size()} // Dev and Ino differ in type between systems
	mappings.Lock()
	defer mappings.Unlock()
	if b, ok := mappings.of[id]; ok {
		return b, nil
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	if mappings.of == nil {
		mappings.of = map[mappedFile][]byte{}
	}
	mappings.of[id] = b
	return b, nil
}

// mappedFile is what names a pack file's content for as long as it is
// mapped: its device and inode (a rewrite is a new file), and its size.
type mappedFile struct {
	dev, ino uint64
	size     int64
}

// mappings holds this process's mapped packs.
var mappings struct {
	sync.Mutex
	of map[mappedFile][]byte
}
