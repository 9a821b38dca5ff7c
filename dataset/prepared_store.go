package dataset

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// PreparedStore keeps prepared images (decoded, cropped and resized to
// the cached size) on disk between runs, so that a run on data an
// earlier run prepared at the same size decodes none of it: its first
// epoch goes as fast as the later ones. One pack file holds a data
// folder's images prepared one way (PrepareKey, and the build's JPEG
// decoder); an image is taken from it only while its file has the size
// and modification time it had when it was prepared. Packs not used for
// longest are removed past Limit.
type PreparedStore struct {
	Dir   string // where the packs are; "" keeps nothing
	Limit int64  // bytes of packs kept at most; 0: 4 GiB
}

// DefaultPreparedDir is where runs keep prepared images unless told
// otherwise: maskdash/prepared in the user's cache folder ("" when there
// is none).
func DefaultPreparedDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "maskdash", "prepared")
}

// preparedVersion changes when what Prepare makes of an image changes, so
// that packs of the old images are not read.
const preparedVersion = 1

// packMagic starts every pack file.
const packMagic = "MDPREP2\n"

// packEntry is one image in a pack: its path under the data folder, and
// the size and modification time its file had.
type packEntry struct {
	path  string
	size  int64
	mtime int64 // Unix nanoseconds
}

// pack is a pack file's index, and where its pixels start.
type pack struct {
	w, h    int
	root    string // the data folder
	entries []packEntry
	at      map[string]int // path → entry
	pixels  int64          // offset of the first entry's pixels
}

// path is the pack file of set's images prepared as key says.
func (p PreparedStore) path(set *Set, key PrepareKey) string {
	root := absRoot(set)
	h := sha256.Sum256(fmt.Appendf(nil, "%d\x00%s\x00%s\x00%+v", preparedVersion, jpegDecoderName, root, key))
	return filepath.Join(p.Dir, hex.EncodeToString(h[:12])+".pack")
}

// absRoot is set's data folder, absolute.
func absRoot(set *Set) string {
	if root, err := filepath.Abs(set.Root); err == nil {
		return root
	}
	return set.Root
}

// rel is a sample's path as a pack names it: under the data folder.
func rel(set *Set, path string) string {
	if r, err := filepath.Rel(set.Root, path); err == nil && filepath.IsLocal(r) {
		return filepath.ToSlash(r)
	}
	return path
}

// stamp is a file's size and modification time now.
func stamp(path string) (size, mtime int64, ok bool) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, 0, false
	}
	return st.Size(), st.ModTime().UnixNano(), true
}

// Load puts into pt's cache each image of pt's set that the store holds
// prepared as key says and whose file has not changed since, and returns
// how many. A store without a pack for them loads none, and says nothing.
func (p PreparedStore) Load(key PrepareKey, pt Part) (int, error) {
	set, c := pt.Set, pt.Cache
	if p.Dir == "" || set.Root == "" {
		return 0, nil
	}
	file := p.path(set, key)
	b, err := mapPack(file)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("prepared images: %w", err)
	}
	pk, err := readPack(bytes.NewReader(b))
	if err != nil {
		return 0, fmt.Errorf("prepared images in %s: %w", file, err)
	}
	if pk.w != key.BaseW || pk.h != key.BaseH {
		return 0, fmt.Errorf("prepared images in %s are %dx%d, not %dx%d", file, pk.w, pk.h, key.BaseW, key.BaseH)
	}
	per := int64(3 * pk.w * pk.h)
	if int64(len(b)) < pk.pixels+int64(len(pk.entries))*per {
		return 0, fmt.Errorf("prepared images in %s: the pack is cut short", file)
	}
	n := 0
	for i, sm := range set.Samples {
		if sm.Path == "" {
			continue
		}
		k, ok := pk.at[rel(set, sm.Path)]
		if !ok {
			continue
		}
		size, mtime, ok := stamp(sm.Path)
		if !ok || size != pk.entries[k].size || mtime != pk.entries[k].mtime {
			continue
		}
		off := pk.pixels + int64(k)*per
		c.Put(i, RGB{W: pk.w, H: pk.h, Pix: b[off : off+per : off+per]})
		n++
	}
	now := time.Now()
	_ = os.Chtimes(file, now, now) // used: the last to be removed (a read-only store is read anyway)
	return n, nil
}

// readPack reads a pack's index; its pixels follow.
func readPack(r io.Reader) (*pack, error) {
	br := bufio.NewReader(r)
	magic := make([]byte, len(packMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != packMagic {
		return nil, errors.New("not a pack of prepared images")
	}
	var hdr [3]uint32
	if err := binary.Read(br, binary.LittleEndian, &hdr); err != nil {
		return nil, errors.New("cut short")
	}
	pk := &pack{w: int(hdr[0]), h: int(hdr[1]), at: map[string]int{}}
	root, err := readString(br)
	if err != nil {
		return nil, err
	}
	pk.root = root
	pos := int64(len(packMagic)+12+2) + int64(len(root))
	for range hdr[2] {
		name, err := readString(br)
		if err != nil {
			return nil, err
		}
		var st [2]int64
		if err := binary.Read(br, binary.LittleEndian, &st); err != nil {
			return nil, errors.New("cut short")
		}
		pk.at[name] = len(pk.entries)
		pk.entries = append(pk.entries, packEntry{name, st[0], st[1]})
		pos += 2 + int64(len(name)) + 16
	}
	pk.pixels = pos
	return pk, nil
}

// readString reads a string written as its length (2 bytes) and bytes.
func readString(r io.Reader) (string, error) {
	var n uint16
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return "", errors.New("cut short")
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", errors.New("cut short")
	}
	return string(b), nil
}

// Part is a set of one data folder and the cache of its prepared images.
type Part struct {
	Set   *Set
	Cache *Cache
}

// Save adds to the store the images of each part's set that its cache
// holds (prepared as key says; every part of one data folder, such as a
// run's training and validation splits), kept with those the pack
// already holds for other samples (another split's). It writes nothing
// when the pack has every one of them already. The pack is written whole
// beside the old one and renamed over it, so a reader never sees half a
// pack and two runs saving at once leave one of theirs.
func (p PreparedStore) Save(key PrepareKey, parts ...Part) error {
	if p.Dir == "" || len(parts) == 0 || parts[0].Set.Root == "" {
		return nil
	}
	file := p.path(parts[0].Set, key)
	var old *pack
	var oldF *os.File
	if f, err := os.Open(file); err == nil {
		defer f.Close() //nolint:errcheck // read-only
		if pk, err := readPack(f); err == nil && pk.w == key.BaseW && pk.h == key.BaseH {
			old, oldF = pk, f
		}
	}
	per := 3 * key.BaseW * key.BaseH
	type fresh struct {
		e   packEntry
		pix []uint8
	}
	var add []fresh
	news := map[string]bool{}
	for _, pt := range parts {
		set := pt.Set
		for i, sm := range set.Samples {
			img, ok, hit := pt.Cache.Get(i)
			if sm.Path == "" || !hit || !ok || len(img.Pix) != per || set.Root != parts[0].Set.Root {
				continue
			}
			size, mtime, ok := stamp(sm.Path)
			if !ok {
				continue
			}
			e := packEntry{rel(set, sm.Path), size, mtime}
			if news[e.path] {
				continue
			}
			if old != nil {
				if k, ok := old.at[e.path]; ok && old.entries[k] == e {
					continue // the pack has it as it is
				}
			}
			news[e.path] = true
			add = append(add, fresh{e, img.Pix})
		}
	}
	if len(add) == 0 {
		return nil
	}
	if err := os.MkdirAll(p.Dir, 0o755); err != nil {
		return fmt.Errorf("prepared images: %w", err)
	}
	tmp, err := os.CreateTemp(p.Dir, ".pack-*")
	if err != nil {
		return fmt.Errorf("prepared images: %w", err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	var keep []int              // the old pack's entries kept
	if old != nil {
		for k, e := range old.entries {
			if !news[e.path] {
				keep = append(keep, k)
			}
		}
	}
	w := bufio.NewWriterSize(tmp, 1<<20)
	var werr error // the first write's error; the others are skipped
	put := func(b []byte) {
		if werr == nil {
			_, werr = w.Write(b)
		}
	}
	le := binary.LittleEndian
	text := func(s string) { put(le.AppendUint16(nil, uint16(len(s)))); put([]byte(s)) }
	put([]byte(packMagic))
	put(le.AppendUint32(le.AppendUint32(le.AppendUint32(nil, uint32(key.BaseW)), uint32(key.BaseH)), uint32(len(keep)+len(add))))
	text(absRoot(parts[0].Set))
	index := func(e packEntry) {
		text(e.path)
		put(le.AppendUint64(le.AppendUint64(nil, uint64(e.size)), uint64(e.mtime)))
	}
	for _, k := range keep {
		index(old.entries[k])
	}
	for _, f := range add {
		index(f.e)
	}
	buf := make([]byte, per)
	for _, k := range keep {
		if _, err := oldF.ReadAt(buf, old.pixels+int64(k)*int64(per)); err != nil {
			return fmt.Errorf("prepared images in %s: %w", file, err)
		}
		put(buf)
	}
	for _, f := range add {
		put(f.pix)
	}
	if err := errors.Join(werr, w.Flush(), tmp.Close()); err != nil {
		return fmt.Errorf("prepared images: %w", err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("prepared images: %w", err)
	}
	return p.trim(file)
}

// trim removes what a killed writer left, the packs of data folders that
// are gone (a test's, a folder deleted or moved), then those used longest
// ago until the packs left fit in the limit; the one just written (keep)
// stays whatever its size.
func (p PreparedStore) trim(keep string) error {
	limit := p.Limit
	if limit == 0 {
		limit = 4 << 30
	}
	// A pack being written is .pack-*, renamed when whole: one an hour
	// old was left by a process killed while it wrote.
	if tmps, err := filepath.Glob(filepath.Join(p.Dir, ".pack-*")); err == nil {
		for _, f := range tmps {
			if st, err := os.Stat(f); err == nil && time.Since(st.ModTime()) > time.Hour {
				_ = os.Remove(f) // another may have removed it; nothing is lost either way
			}
		}
	}
	packs, err := filepath.Glob(filepath.Join(p.Dir, "*.pack"))
	if err != nil {
		return err
	}
	type held struct {
		path string
		size int64
		used time.Time
	}
	var all []held
	total := int64(0)
	for _, f := range packs {
		if f != keep && folderGone(f) {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("prepared images: %w", err)
			}
			continue
		}
		if st, err := os.Stat(f); err == nil {
			all = append(all, held{f, st.Size(), st.ModTime()})
			total += st.Size()
		}
	}
	slices.SortFunc(all, func(a, b held) int { return a.used.Compare(b.used) })
	for _, h := range all {
		if total <= limit {
			break
		}
		if h.path == keep {
			continue
		}
		if err := os.Remove(h.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("prepared images: %w", err)
		}
		total -= h.size
	}
	return nil
}

// folderGone says whether the data folder of the pack in file is gone. A
// pack that cannot be read says nothing of it: false.
func folderGone(file string) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close() //nolint:errcheck // read-only
	br := bufio.NewReaderSize(f, 4096)
	var hdr [len(packMagic) + 12]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil || string(hdr[:len(packMagic)]) != packMagic {
		return false
	}
	root, err := readString(br)
	if err != nil {
		return false
	}
	_, err = os.Stat(root)
	return errors.Is(err, os.ErrNotExist)
}
