package dataset

import (
	"context"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// LoaderConfig configures a Loader. Zero values take the documented
// defaults.
type LoaderConfig struct {
	Batch      int     // images per batch; default 32
	Workers    int     // decoding goroutines; default GOMAXPROCS
	Prefetch   int     // batches prepared ahead; default 2×Workers
	CacheBytes int64   // bound on cached prepared images; default 1 GiB, <0 disables
	Aug        Augment // the transform
	Seed       uint64  // augmentation seed
	Train      bool    // random augmentation (otherwise the evaluation transform)
	Flip       bool    // mirror every image (test-time augmentation)
}

// Batch is a batch of images as float32 NCHW plus their labels.
type Batch struct {
	X      []float32 // N·3·H·W values
	Labels []int     // N labels (-1 when unlabelled)
	Index  []int     // N sample indices into the Set
	N      int       // images in this batch (a failed image is left out)
}

// Warn reports a skipped sample.
type Warn func(s Skip)

// Loader turns sample indices into batches, decoding and augmenting in
// worker goroutines and caching prepared (resized) images so that later
// epochs do not decode again.
type Loader struct {
	set   *Set
	cfg   LoaderConfig
	cache *Cache
	warn  Warn
	ready atomic.Pointer[atomic.Int64] // the current epoch's built batches not yet handed on
}

// NewLoader builds a Loader over a Set. warn may be nil.
func NewLoader(s *Set, cfg LoaderConfig, cache *Cache, warn Warn) *Loader {
	if cfg.Batch <= 0 {
		cfg.Batch = 32
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Prefetch <= 0 {
		cfg.Prefetch = 2 * cfg.Workers
	}
	if cache == nil {
		cache = NewCache(cfg.CacheBytes)
	}
	return &Loader{set: s, cfg: cfg, cache: cache, warn: warn}
}

// Config returns the loader's configuration with defaults filled in.
func (l *Loader) Config() LoaderConfig { return l.cfg }

// Set returns the set the loader reads.
func (l *Loader) Set() *Set { return l.set }

// Cache returns the loader's cache of prepared images.
func (l *Loader) Cache() *Cache { return l.cache }

// Warn returns what the loader tells of an image it skips (nil: nothing).
func (l *Loader) Warn() Warn { return l.warn }

// Prepared returns the cached prepared image of sample i, decoding it if
// needed. ok is false when the image cannot be read (warned once).
func (l *Loader) Prepared(i int) (RGB, bool) {
	if im, ok, hit := l.cache.Get(i); hit {
		return im, ok
	}
	if p, ok := l.fastPrepare(i); ok {
		l.cache.Put(i, p)
		return p, true
	}
	img, err := l.set.Image(i)
	if err != nil {
		if l.cache.Fail(i) && l.warn != nil {
			l.warn(Skip{Kind: SkipImage, Path: l.set.Samples[i].Path, Reason: err.Error()})
		}
		return RGB{}, false
	}
	p := l.cfg.Aug.Prepare(img)
	l.cache.Put(i, p)
	return p, true
}

// fastPrepare decodes a JPEG file with the scaled decoder when the build
// has one (tag turbojpeg).
func (l *Loader) fastPrepare(i int) (RGB, bool) {
	path := l.set.Samples[i].Path
	if fastJPEG == nil || path == "" || !isJPEGName(path) {
		return RGB{}, false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return RGB{}, false
	}
	a := l.cfg.Aug
	bw, bh := a.BaseSize()
	img, fw, fh, ok := fastJPEG(b, func(w, h int) (int, int) {
		_, _, cw, ch := a.CropRect(w, h)
		return (w*bw + cw - 1) / cw, (h*bh + ch - 1) / ch
	})
	if !ok {
		return RGB{}, false
	}
	return a.prepareScaled(img, fw, fh), true
}

// Queue says how many batches are built and waiting to be taken, of the
// most the loader builds ahead (LoaderConfig.Prefetch): a queue that is
// mostly empty means training waits for data.
func (l *Loader) Queue() (ready, capacity int) {
	n := int64(0)
	if r := l.ready.Load(); r != nil {
		n = r.Load()
	}
	c := max(1, l.cfg.Prefetch)
	return min(int(max(0, n)), c), c
}

// Epoch streams the batches of the given sample order. The channel closes
// after the last batch or when ctx is done. Batches arrive in order.
func (l *Loader) Epoch(ctx context.Context, epoch int, order []int) <-chan Batch {
	bs := l.cfg.Batch
	nb := (len(order) + bs - 1) / bs
	out := make(chan Batch, 1)
	slots := make([]chan Batch, nb)
	for i := range slots {
		slots[i] = make(chan Batch, 1)
	}
	jobs := make(chan int)
	sem := make(chan struct{}, l.cfg.Prefetch)
	ready := new(atomic.Int64)
	l.ready.Store(ready)
	for range l.cfg.Workers {
		go func() {
			for b := range jobs {
				lo, hi := b*bs, min((b+1)*bs, len(order))
				slots[b] <- l.build(epoch, order[lo:hi])
				ready.Add(1)
			}
		}()
	}
	go func() {
		defer close(jobs)
		for b := range nb {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		defer close(out)
		for b := range nb {
			var bt Batch
			select {
			case bt = <-slots[b]:
			case <-ctx.Done():
				return
			}
			<-sem
			select {
			case out <- bt:
				ready.Add(-1)
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

func (l *Loader) build(epoch int, idx []int) Batch {
	w, h := l.cfg.Aug.size()
	per := 3 * w * h
	b := Batch{X: make([]float32, len(idx)*per), Labels: make([]int, 0, len(idx)), Index: make([]int, 0, len(idx))}
	for _, i := range idx {
		base, ok := l.Prepared(i)
		if !ok {
			continue
		}
		dst := b.X[b.N*per : (b.N+1)*per]
		if l.cfg.Train {
			l.cfg.Aug.Apply(base, dst, SampleRand(l.cfg.Seed, epoch, i), false)
		} else {
			l.cfg.Aug.Apply(base, dst, nil, l.cfg.Flip)
		}
		b.Labels = append(b.Labels, l.set.Samples[i].Label)
		b.Index = append(b.Index, i)
		b.N++
	}
	b.X = b.X[:b.N*per]
	return b
}

// Cache holds prepared images up to a byte bound. It never evicts: once
// full, further images are decoded each time (the first images stay hot).
type Cache struct {
	mu    sync.RWMutex
	m     map[int]RGB
	fail  map[int]bool
	limit int64
	used  atomic.Int64
}

// NewCache returns a cache bounded to limit bytes (0: 1 GiB, <0: off).
func NewCache(limit int64) *Cache {
	if limit == 0 {
		limit = 1 << 30
	}
	return &Cache{m: map[int]RGB{}, fail: map[int]bool{}, limit: limit}
}

// Get returns a cached image; hit is false when i was never seen, ok is
// false when i is known to be unreadable.
func (c *Cache) Get(i int) (img RGB, ok, hit bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.fail[i] {
		return RGB{}, false, true
	}
	img, hit = c.m[i]
	return img, hit, hit
}

// Put stores an image if the bound allows.
func (c *Cache) Put(i int, img RGB) {
	if c.limit < 0 || c.used.Load()+int64(len(img.Pix)) > c.limit {
		return
	}
	c.mu.Lock()
	if _, ok := c.m[i]; !ok {
		c.m[i] = img
		c.used.Add(int64(len(img.Pix)))
	}
	c.mu.Unlock()
}

// Fail marks i unreadable; it reports whether this is the first time.
func (c *Cache) Fail(i int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	first := !c.fail[i]
	c.fail[i] = true
	return first
}

// Bytes returns the bytes held.
func (c *Cache) Bytes() int64 { return c.used.Load() }

// Len returns the number of cached images.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// Failed returns how many samples were found unreadable.
func (c *Cache) Failed() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.fail)
}
