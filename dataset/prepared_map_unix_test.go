//go:build unix

package dataset

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"
)

// TestPackMappedOncePerProcess: loading the same pack again (another
// split, another run in the same process) reuses its mapping, so a long
// process holds one mapping per pack, not one per load; a pack rewritten
// by a save is a new file, mapped anew, and read as it is now.
func TestPackMappedOncePerProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/maps"); err != nil {
		t.Skip("no /proc/self/maps to count mappings in:", err)
	}
	_, a, b := halvedSet(t, 4, 5)
	aug := DefaultAugment(32, 32)
	key := aug.PrepareKey()
	store := PreparedStore{Dir: t.TempDir()}
	if err := store.Save(key, Part{a, prepareAll(t, a, aug).Cache()}); err != nil {
		t.Fatal(err)
	}
	pack := store.path(a, key)
	mapped := func() int {
		t.Helper()
		b, err := os.ReadFile("/proc/self/maps")
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(string(b), filepath.Base(pack))
	}
	var first *byte
	for k := range 4 {
		c := NewCache(0)
		if n, err := store.Load(key, Part{a, c}); err != nil || n != a.Len() {
			t.Fatalf("load %d: %d of %d images, %v", k, n, a.Len(), err)
		}
		img, _, _ := c.Get(0)
		if k == 0 {
			first = unsafe.SliceData(img.Pix)
		} else if unsafe.SliceData(img.Pix) != first {
			t.Errorf("load %d's images are in another mapping than the first load's", k)
		}
	}
	if n := mapped(); n != 1 {
		t.Errorf("the pack is mapped %d times after four loads, want 1", n)
	}
	// The other split joins the pack: a new file, mapped once more, and
	// every image read from it is the one prepared.
	lb := prepareAll(t, b, aug)
	if err := store.Save(key, Part{b, lb.Cache()}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		c := NewCache(0)
		if n, err := store.Load(key, Part{b, c}); err != nil || n != b.Len() {
			t.Fatalf("load after the rewrite: %d of %d images, %v", n, b.Len(), err)
		}
		for i := range b.Samples {
			got, _, _ := c.Get(i)
			want, _, _ := lb.Cache().Get(i)
			if !bytes.Equal(got.Pix, want.Pix) {
				t.Fatalf("image %d of the rewritten pack differs from the one prepared", i)
			}
		}
	}
	if n := mapped(); n != 2 {
		t.Errorf("after a rewrite and two loads of it the pack's files are mapped %d times, want 2 (the old and the new)", n)
	}
}
