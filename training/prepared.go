package training

import (
	"fmt"
	"time"

	"github.com/maskdash/maskdash/dataset"
)

// PreparedOff is the Config.Prepared that keeps no prepared images.
const PreparedOff = "off"

// PreparedStoreAt is the store of prepared images that a folder setting
// such as Config.Prepared names: "" the default folder, PreparedOff none.
func PreparedStoreAt(dir string) dataset.PreparedStore {
	switch dir {
	case PreparedOff:
		return dataset.PreparedStore{}
	case "":
		return dataset.PreparedStore{Dir: dataset.DefaultPreparedDir()}
	}
	return dataset.PreparedStore{Dir: dir}
}

// loadPrepared fills the loaders' caches with the images an earlier run
// prepared the same way (dataset.PreparedStore), and says how many: only
// the others are decoded (an epoch that drops its last partial batch
// leaves a few undrawn, so unprepared). A store it cannot read is said
// and passed over: the images are decoded as if it were not there.
func (t *Trainer) loadPrepared(dir string) {
	t.prepared = PreparedStoreAt(dir)
	if t.prepared.Dir == "" {
		return
	}
	key := t.aug.PrepareKey()
	n, total := 0, t.train.Len()+t.val.Len()
	for _, l := range []*dataset.Loader{t.trainL, t.valL} {
		k, err := t.prepared.Load(key, dataset.Part{Set: l.Set(), Cache: l.Cache()})
		if err != nil {
			t.startNotices = append(t.startNotices, err.Error()+": the images are decoded anew")
			return
		}
		n += k
	}
	switch {
	case n == total:
		t.startNotices = append(t.startNotices, fmt.Sprintf("all %d images read as an earlier run prepared them (%s): no decoding", n, t.prepared.Dir))
	case n > 0:
		t.startNotices = append(t.startNotices, fmt.Sprintf("%d of the %d images read as an earlier run prepared them (%s); the other %d are decoded when first drawn",
			n, total, t.prepared.Dir, total-n))
	}
}

// savePrepared keeps the images this run prepared for later runs, once:
// after the first epoch, when every image of both splits is in the
// loaders' caches. A failure (a full disk) is said; the run goes on.
func (t *Trainer) savePrepared() {
	if t.preparedSaved || t.prepared.Dir == "" {
		return
	}
	t.preparedSaved = true
	err := t.prepared.Save(t.aug.PrepareKey(), dataset.Part{Set: t.trainL.Set(), Cache: t.trainL.Cache()}, dataset.Part{Set: t.valL.Set(), Cache: t.valL.Cache()})
	if err != nil {
		t.hub.Publish(Event{Kind: KindNotice, Time: time.Now(), Msg: err.Error() + " (they are not kept for later runs)"})
	}
}

// evalImages is the cache the dashboard's x predicts the eval set
// through: the one the last x filled, or one filled from the store (an
// earlier run's, or predict's). Decoding the competition's 12,600 eval
// photos took most of an x's time.
func (t *Trainer) evalImages(set *dataset.Set) *dataset.Cache {
	if t.evalCache != nil && t.evalLen == set.Len() {
		return t.evalCache
	}
	c := dataset.NewCache(0)
	if _, err := t.prepared.Load(t.aug.PrepareKey(), dataset.Part{Set: set, Cache: c}); err != nil {
		t.hub.Publish(Event{Kind: KindNotice, Time: time.Now(), Msg: err.Error() + ": the eval images are decoded"})
	}
	t.evalCache, t.evalLen, t.evalKept = c, set.Len(), false
	return c
}

// keepEvalImages writes the eval images x prepared to the store, after
// the first x that uses the cache, and from then on keeps the store's
// copy for the next x: the pack's pages, mapped, which the kernel may
// drop, not 200 MB of heap (the competition's 12,600 eval images at
// 72×72) held for the rest of the run.
func (t *Trainer) keepEvalImages(set *dataset.Set, c *dataset.Cache) {
	if t.evalKept {
		return
	}
	t.evalKept = true
	key := t.aug.PrepareKey()
	if err := t.prepared.Save(key, dataset.Part{Set: set, Cache: c}); err != nil {
		t.hub.Publish(Event{Kind: KindNotice, Time: time.Now(), Msg: err.Error() + " (the eval images are not kept for later)"})
		return
	}
	mapped := dataset.NewCache(0)
	if n, err := t.prepared.Load(key, dataset.Part{Set: set, Cache: mapped}); err == nil && n == c.Len() {
		t.evalCache = mapped
	}
}
