package dataset

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// prepareAll runs the loader over every sample of set, so that its cache
// holds each image, and returns the loader.
func prepareAll(t *testing.T, set *Set, aug Augment) *Loader {
	t.Helper()
	l := NewLoader(set, LoaderConfig{Batch: 8, Aug: aug}, nil, nil)
	order := make([]int, set.Len())
	for i := range order {
		order[i] = i
	}
	for range l.Epoch(context.Background(), 0, order) {
	}
	if l.Cache().Len() != set.Len() {
		t.Fatalf("the loader prepared %d of %d images", l.Cache().Len(), set.Len())
	}
	return l
}

// halvedSet draws a synthetic mask set of profiles people (seed) and
// returns it with its two halves, the even and the odd samples: two
// splits of one folder.
func halvedSet(t *testing.T, profiles int, seed uint64) (set, even, odd *Set) {
	t.Helper()
	data := t.TempDir()
	if err := Synthesize(context.Background(), SynthConfig{Out: data, Profiles: profiles, W: 96, H: 128, Eval: -1, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	set, err := ReadMask(data, DefaultAgeBins)
	if err != nil {
		t.Fatal(err)
	}
	half := make([][]int, 2)
	for i := range set.Samples {
		half[i%2] = append(half[i%2], i)
	}
	return set, set.Subset(half[0]), set.Subset(half[1])
}

// TestPreparedStoreKeepsImagesBetweenRuns: the images one run prepared
// are read back by the next, byte for byte, for any split of the same
// folder (the pack keeps both splits' images); an image whose file
// changed is prepared anew; another size or crop has its own pack; a
// damaged pack is an error, not a crash; the packs used longest ago go
// past the limit, and the packs of folders that are gone at the next
// save.
func TestPreparedStoreKeepsImagesBetweenRuns(t *testing.T) {
	set, a, b := halvedSet(t, 6, 3)
	aug := DefaultAugment(32, 32)
	key := aug.PrepareKey()
	store := PreparedStore{Dir: t.TempDir()}

	la := prepareAll(t, a, aug)
	if err := store.Save(key, Part{a, la.Cache()}); err != nil {
		t.Fatal(err)
	}
	c := NewCache(0)
	if n, err := store.Load(key, Part{a, c}); err != nil || n != a.Len() {
		t.Fatalf("Load of the saved split: %d of %d, %v", n, a.Len(), err)
	}
	for i := range a.Samples {
		got, _, _ := c.Get(i)
		want, _, _ := la.Cache().Get(i)
		if !bytes.Equal(got.Pix, want.Pix) || got.W != want.W || got.H != want.H {
			t.Fatalf("image %d differs from the one prepared", i)
		}
	}
	if n, _ := store.Load(key, Part{b, NewCache(0)}); n != 0 {
		t.Errorf("the other split loaded %d images before any was saved", n)
	}
	// The other split joins the pack; the first split's images stay.
	lb := prepareAll(t, b, aug)
	if err := store.Save(key, Part{b, lb.Cache()}); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*Set{"first": a, "second": b, "whole": set} {
		if n, err := store.Load(key, Part{s, NewCache(0)}); err != nil || n != s.Len() {
			t.Errorf("Load of the %s split after both were saved: %d of %d, %v", name, n, s.Len(), err)
		}
	}
	// A file written since is not taken from the pack.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(a.Samples[0].Path, later, later); err != nil {
		t.Fatal(err)
	}
	if n, _ := store.Load(key, Part{a, NewCache(0)}); n != a.Len()-1 {
		t.Errorf("with one file changed, %d of %d loaded; want all but it", n, a.Len())
	}
	// Another cached size, or crop, is another pack.
	for _, other := range []Augment{DefaultAugment(48, 48), {W: 32, H: 32, Pad: 0.125, CropW: 80, CropH: 100}} {
		if n, _ := store.Load(other.PrepareKey(), Part{a, NewCache(0)}); n != 0 {
			t.Errorf("%+v loaded %d images prepared otherwise", other.PrepareKey(), n)
		}
	}
	// A damaged pack is an error that names it.
	packs, _ := filepath.Glob(filepath.Join(store.Dir, "*.pack"))
	if len(packs) != 1 {
		t.Fatalf("%d packs for one folder prepared one way", len(packs))
	}
	whole, _ := os.ReadFile(packs[0])
	if err := os.WriteFile(packs[0], whole[:len(whole)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(key, Part{a, NewCache(0)}); err == nil || !strings.Contains(err.Error(), packs[0]) {
		t.Errorf("a pack cut in half: %v", err)
	}
	// Past the limit the oldest pack goes; the one just written stays.
	os.WriteFile(packs[0], whole, 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(packs[0], old, old)
	small := PreparedStore{Dir: store.Dir, Limit: 1}
	other := DefaultAugment(24, 24)
	if err := small.Save(other.PrepareKey(), Part{a, prepareAll(t, a, other).Cache()}); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(store.Dir, "*.pack"))
	if len(left) != 1 || left[0] == packs[0] {
		t.Errorf("packs left past the limit: %v (the old one was %s)", left, packs[0])
	}
	// The pack of a data folder that is gone goes at the next save, and
	// what a writer killed an hour ago left.
	stale := filepath.Join(store.Dir, ".pack-12345")
	os.WriteFile(stale, []byte("half"), 0o644)
	os.Chtimes(stale, old.Add(-time.Hour), old.Add(-time.Hour))
	gone := filepath.Join(t.TempDir(), "gone")
	if err := os.CopyFS(gone, os.DirFS(set.Root)); err != nil {
		t.Fatal(err)
	}
	g, err := ReadMask(gone, DefaultAgeBins)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Save(key, Part{g, prepareAll(t, g, aug).Cache()}); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(gone)
	if err := store.Save(key, Part{a, la.Cache()}); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(store.Dir, "*.pack")); len(left) != 2 {
		t.Errorf("after the folder went, packs %v; want the two of the folder that is still there", left)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("a killed writer's half pack is still there: %v", err)
	}
}
