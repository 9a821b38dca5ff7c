package dataset

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ErrIDX is wrapped by every IDX parsing error.
var ErrIDX = errors.New("dataset: bad IDX file")

// maxIDXItems bounds the item count an IDX header may claim, so a corrupt
// header cannot make us allocate gigabytes.
const maxIDXItems = 10_000_000

// IDXImages is the content of an images IDX file (magic 0x00000803).
type IDXImages struct {
	N, H, W int
	Pix     [][]byte // N images, each H*W grey bytes
}

// ParseIDXImages reads an IDX image file (unsigned bytes, three dimensions).
func ParseIDXImages(r io.Reader) (*IDXImages, error) {
	var hdr [16]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("%w: short header: %v", ErrIDX, err)
	}
	if m := binary.BigEndian.Uint32(hdr[0:]); m != 0x00000803 {
		return nil, fmt.Errorf("%w: magic %#08x is not an image file (0x00000803)", ErrIDX, m)
	}
	n := int(binary.BigEndian.Uint32(hdr[4:]))
	h := int(binary.BigEndian.Uint32(hdr[8:]))
	w := int(binary.BigEndian.Uint32(hdr[12:]))
	if n <= 0 || n > maxIDXItems || h <= 0 || w <= 0 || h > 4096 || w > 4096 {
		return nil, fmt.Errorf("%w: implausible size %d×%d×%d", ErrIDX, n, h, w)
	}
	out := &IDXImages{N: n, H: h, W: w}
	br := bufio.NewReader(r)
	for i := 0; i < n; i++ {
		p := make([]byte, h*w)
		if _, err := io.ReadFull(br, p); err != nil {
			return nil, fmt.Errorf("%w: image %d of %d: %v", ErrIDX, i, n, err)
		}
		out.Pix = append(out.Pix, p)
	}
	return out, nil
}

// ParseIDXLabels reads an IDX label file (magic 0x00000801).
func ParseIDXLabels(r io.Reader) ([]int, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("%w: short header: %v", ErrIDX, err)
	}
	if m := binary.BigEndian.Uint32(hdr[0:]); m != 0x00000801 {
		return nil, fmt.Errorf("%w: magic %#08x is not a label file (0x00000801)", ErrIDX, m)
	}
	n := int(binary.BigEndian.Uint32(hdr[4:]))
	if n <= 0 || n > maxIDXItems {
		return nil, fmt.Errorf("%w: implausible label count %d", ErrIDX, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(bufio.NewReader(r), b); err != nil {
		return nil, fmt.Errorf("%w: labels: %v", ErrIDX, err)
	}
	out := make([]int, n)
	for i, v := range b {
		out[i] = int(v)
	}
	return out, nil
}

// openMaybeGzip opens a file, transparently gunzipping it when it starts with
// the gzip magic.
func openMaybeGzip(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReader(f)
	if b, _ := br.Peek(2); len(b) == 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			_ = f.Close() // the gzip error is the one to report
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return struct {
			io.Reader
			io.Closer
		}{zr, f}, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{br, f}, nil
}

// fashionNames are Fashion-MNIST's class names.
var fashionNames = []string{"T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"}

// findIDX returns the images and labels files of a split ("train" or "t10k")
// in dir, gzipped or not.
func findIDX(dir, split string) (imgs, labels string, ok bool) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", "", false
	}
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, split) {
			continue
		}
		switch {
		case strings.Contains(n, "images") && strings.Contains(n, "idx3"):
			imgs = filepath.Join(dir, n)
		case strings.Contains(n, "labels") && strings.Contains(n, "idx1"):
			labels = filepath.Join(dir, n)
		}
	}
	return imgs, labels, imgs != "" && labels != ""
}

// ReadIDX reads one split ("train" or "t10k") of an MNIST-style folder.
func ReadIDX(dir, split string) (*Set, error) {
	ip, lp, ok := findIDX(dir, split)
	if !ok {
		return nil, fmt.Errorf("IDX folder %s: no %s-images-idx3-ubyte and %s-labels-idx1-ubyte files", dir, split, split)
	}
	rc, err := openMaybeGzip(ip)
	if err != nil {
		return nil, fmt.Errorf("IDX images: %w", err)
	}
	imgs, err := ParseIDXImages(rc)
	_ = rc.Close() // read-only
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ip, err)
	}
	rc, err = openMaybeGzip(lp)
	if err != nil {
		return nil, fmt.Errorf("IDX labels: %w", err)
	}
	labels, err := ParseIDXLabels(rc)
	_ = rc.Close() // read-only
	if err != nil {
		return nil, fmt.Errorf("%s: %w", lp, err)
	}
	if len(labels) != imgs.N {
		return nil, fmt.Errorf("%s: %d labels for %d images", lp, len(labels), imgs.N)
	}
	maxL := 0
	for _, l := range labels {
		maxL = max(maxL, l)
	}
	names := make([]string, maxL+1)
	for i := range names {
		names[i] = fmt.Sprint(i)
	}
	if strings.Contains(strings.ToLower(dir), "fashion") && len(names) == len(fashionNames) {
		names = append([]string(nil), fashionNames...)
	}
	s := &Set{Format: "idx", Root: dir, Classes: names, mem: imgs.Pix, memW: imgs.W, memH: imgs.H}
	for i, l := range labels {
		s.Samples = append(s.Samples, Sample{Mem: i, Label: l, Age: -1, Name: fmt.Sprintf("%s:%d", split, i)})
	}
	return s, nil
}
