package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // decoders registered for image.Decode
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/webp"
)

// ErrNoData is returned when a data folder holds nothing readable.
var ErrNoData = errors.New("no images found")

// Sample is one image of a Set.
type Sample struct {
	Path    string // file path; empty for in-memory images (IDX)
	Mem     int    // index of the in-memory image, when Path is empty
	Label   int    // class, or -1 when unlabelled
	Profile string // person id in the mask layout, "" elsewhere
	Age     int    // age in years in the mask layout, -1 elsewhere
	Name    string // ImageID of eval images, file name elsewhere
}

// SkipKind says what kind of input was skipped.
type SkipKind string

// Kinds of skipped input.
const (
	SkipImage  SkipKind = "image"  // an image that cannot be read or decoded
	SkipFile   SkipKind = "file"   // a file that is not an image, or not named as the layout wants
	SkipRow    SkipKind = "row"    // a CSV row that does not parse
	SkipFolder SkipKind = "folder" // a folder whose name does not parse, or that is missing or unreadable
)

// SkipKinds lists the kinds in the order they are reported.
var SkipKinds = []SkipKind{SkipImage, SkipFile, SkipRow, SkipFolder}

// Skip records one input that was skipped, and why.
type Skip struct {
	Kind   SkipKind `json:"kind"`
	Path   string   `json:"path"`
	Reason string   `json:"reason"`
}

// Set is a list of labelled (or unlabelled) images.
type Set struct {
	Format  string   // "mask", "folder", "idx" or "eval"
	Root    string   // folder it was read from
	Classes []string // class names, indexed by label
	Masked  bool     // classes are the 18 mask × gender × age classes
	Task    string   // one task of the mask layout (ForTask: mask, gender or age); "" none
	Bins    AgeBins  // age bins used for the labels (mask layout only)
	Samples []Sample
	Skipped []Skip
	// Corrected counts the images whose label a corrections file changed
	// (ApplyCorrections).
	Corrected int

	mem     [][]byte // in-memory grey images (IDX)
	memW    int
	memH    int
	decoder func(path string) (image.Image, error)
}

// Len returns the number of samples.
func (s *Set) Len() int { return len(s.Samples) }

// Labels returns every sample's label.
func (s *Set) Labels() []int {
	out := make([]int, len(s.Samples))
	for i, sm := range s.Samples {
		out[i] = sm.Label
	}
	return out
}

// Profiles returns the number of distinct profiles (0 outside the mask layout).
func (s *Set) Profiles() int {
	seen := map[string]bool{}
	for _, sm := range s.Samples {
		if sm.Profile != "" {
			seen[sm.Profile] = true
		}
	}
	return len(seen)
}

// Image decodes sample i.
func (s *Set) Image(i int) (image.Image, error) {
	sm := s.Samples[i]
	if sm.Path == "" {
		if sm.Mem < 0 || sm.Mem >= len(s.mem) {
			return nil, fmt.Errorf("sample %d: no in-memory image %d", i, sm.Mem)
		}
		return &image.Gray{Pix: s.mem[sm.Mem], Stride: s.memW, Rect: image.Rect(0, 0, s.memW, s.memH)}, nil
	}
	if s.decoder != nil {
		return s.decoder(sm.Path)
	}
	return DecodeFile(sm.Path)
}

// SourceSize is sample i's width and height as stored, read from the
// file's header alone (a decoder of the Set's own decodes it whole).
func (s *Set) SourceSize(i int) (w, h int, err error) {
	sm := s.Samples[i]
	switch {
	case sm.Path == "":
		return s.memW, s.memH, nil
	case s.decoder != nil:
		img, err := s.decoder(sm.Path)
		if err != nil {
			return 0, 0, err
		}
		return img.Bounds().Dx(), img.Bounds().Dy(), nil
	}
	f, err := os.Open(sm.Path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close() //nolint:errcheck // read-only
	c, _, err := image.DecodeConfig(f)
	return c.Width, c.Height, err
}

// DecodeFile reads and decodes one image file (JPEG, PNG, GIF, BMP, WebP).
func DecodeFile(path string) (image.Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read image: %w", err)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	switch {
	case err == nil:
	case len(b) == 0: // a copy cut short, a download that failed
		return nil, fmt.Errorf("decode image %s: the file is empty", path)
	case errors.Is(err, image.ErrFormat): // "image: unknown format" said less
		return nil, fmt.Errorf("decode image %s: not a JPEG, PNG, GIF, BMP or WebP image (%w)", path, err)
	default:
		return nil, fmt.Errorf("decode image %s: %w", path, err)
	}
	return img, nil
}

// Subset returns a Set holding only the given samples (sharing images).
func (s *Set) Subset(idx []int) *Set {
	out := *s
	out.Samples = make([]Sample, len(idx))
	for i, j := range idx {
		out.Samples[i] = s.Samples[j]
	}
	out.Skipped = nil
	return &out
}

// Join returns a Set of s's samples followed by more's: two parts of one
// data set (Subsets of the same Set, which share its images), such as a
// training split and its validation split. Sample i of s is sample i of
// the result, so a cache by index serves both.
func (s *Set) Join(more *Set) *Set {
	out := *s
	out.Samples = append(append(make([]Sample, 0, len(s.Samples)+len(more.Samples)), s.Samples...), more.Samples...)
	out.Skipped = nil
	return &out
}

// Relabel recomputes mask-layout labels for new age bins.
func (s *Set) Relabel(b AgeBins) {
	if !s.Masked {
		return
	}
	for i := range s.Samples {
		sm := &s.Samples[i]
		if sm.Label < 0 || sm.Age < 0 {
			continue
		}
		m, g, _ := Decode(sm.Label)
		sm.Label = Encode(m, g, b.Bin(sm.Age))
	}
	s.Bins = b
	s.Classes = ClassNames(b)
}

// imageExts are the extensions the readers accept, lower-cased.
var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".ppm": false, ".bmp": true, ".gif": true, ".webp": true}

// IsImageName reports whether a file name looks like an image we can decode.
func IsImageName(name string) bool {
	return imageExts[strings.ToLower(filepath.Ext(name))]
}

// isJunk reports whether a directory entry is a hidden file, an AppleDouble
// `._*` file or a notebook checkpoint folder.
func isJunk(name string) bool {
	return strings.HasPrefix(name, ".") || name == "__MACOSX"
}

// Images finds the pixels of images named by path, or by their index in
// an in-memory set (IDX) read from a data folder, which it opens the
// first time such an image is asked for.
type Images struct {
	Dir  string
	Bins AgeBins
	mem  *Set
}

// Image decodes the image at path or, when path is empty, the in-memory
// image mem of the data folder.
func (im *Images) Image(path string, mem int) (image.Image, error) {
	if path != "" {
		return DecodeFile(path)
	}
	if im.mem == nil {
		if im.Dir == "" {
			return nil, fmt.Errorf("in-memory image %d: the run does not say which data folder it read", mem)
		}
		d, err := Open(im.Dir, Options{Bins: im.Bins})
		if err != nil {
			return nil, err
		}
		im.mem = d.Train
	}
	s := im.mem
	if mem < 0 || mem >= len(s.mem) {
		return nil, fmt.Errorf("%s has no in-memory image %d", im.Dir, mem)
	}
	return &image.Gray{Pix: s.mem[mem], Stride: s.memW, Rect: image.Rect(0, 0, s.memW, s.memH)}, nil
}

// imageExtList is the extensions the readers accept, for a message.
func imageExtList() string {
	var exts []string
	for e, ok := range imageExts {
		if ok {
			exts = append(exts, e)
		}
	}
	sort.Strings(exts)
	return strings.Join(exts, " ")
}
