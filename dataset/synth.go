package dataset

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
)

// SynthConfig configures the synthetic mask data set. Zero values take the
// documented defaults.
type SynthConfig struct {
	Out      string // output folder (required)
	Profiles int    // training people; default 2700 (as the competition)
	W, H     int    // image size; default 384×512
	Eval     int    // eval images; default 2/3 of the training images, as 12600:18900
	Seed     uint64 // same seed, same bytes
	Quality  int    // JPEG quality; default 85
	Workers  int    // default GOMAXPROCS
}

func (c *SynthConfig) defaults() {
	if c.Profiles <= 0 {
		c.Profiles = 2700
	}
	if c.W <= 0 || c.H <= 0 {
		c.W, c.H = 384, 512
	}
	if c.Eval < 0 {
		c.Eval = 0
	} else if c.Eval == 0 {
		c.Eval = c.Profiles * 7 * 2 / 3
	}
	if c.Quality <= 0 {
		c.Quality = 85
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
}

// synthProfile draws gender and age as in the competition's train.csv:
// 61% women; ages 18–29 (47%), 30–59 (46%, most in the fifties) and exactly
// 60 (7%).
func synthProfile(r *rand.Rand) (gender, age int) {
	gender = GenderMale
	if r.Float64() < 1658.0/2700 {
		gender = GenderFemale
	}
	u := r.Float64()
	switch {
	case u < 1281.0/2700:
		age = 18 + min(int(r.ExpFloat64()*4), 11)
	case u < (1281.0+1227)/2700:
		age = 59 - min(int(r.ExpFloat64()*9), 29)
	default:
		age = 60
	}
	return gender, age
}

// synthID returns the id of training profile i; about 1.5% carry a "-1"
// suffix as in the real data.
func synthID(r *rand.Rand, i int) string {
	id := fmt.Sprintf("%06d", i*2+1)
	if r.Float64() < 0.015 {
		id += "-1"
	}
	return id
}

// Synthesize writes the competition layout with procedurally drawn faces:
// train/train.csv, train/images/<profile>/{mask1..5,incorrect_mask,normal}.jpg
// with some `._*` junk files, eval/info.csv (ans 0), eval/images/<hash>.jpg
// and eval/truth.csv with the real answers.
func Synthesize(ctx context.Context, c SynthConfig) error {
	c.defaults()
	if c.Out == "" {
		return fmt.Errorf("synth: no output folder")
	}
	trainDir := filepath.Join(c.Out, "train", "images")
	evalDir := filepath.Join(c.Out, "eval", "images")
	for _, d := range []string{trainDir, evalDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("synth: %w", err)
		}
	}
	type job struct {
		i    int
		eval bool
	}
	profiles := make([]Profile, c.Profiles)
	for i := range profiles {
		r := rand.New(rand.NewPCG(c.Seed, uint64(i)*2+1))
		g, a := synthProfile(r)
		profiles[i] = Profile{ID: synthID(r, i), Gender: g, Race: "Asian", Age: a}
	}
	evalN := c.Eval
	evalRows := make([]EvalRow, evalN)
	jobs := make(chan job)
	errc := make(chan error, c.Workers)
	var wg sync.WaitGroup
	for range c.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			img := image.NewRGBA(image.Rect(0, 0, c.W, c.H))
			var buf bytes.Buffer
			for j := range jobs {
				var err error
				if j.eval {
					evalRows[j.i], err = c.evalImage(img, &buf, evalDir, j.i)
				} else {
					err = c.profileImages(img, &buf, trainDir, profiles[j.i], j.i)
				}
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	var sendErr error
feed:
	for i := range c.Profiles + evalN {
		j := job{i: i}
		if i >= c.Profiles {
			j = job{i: i - c.Profiles, eval: true}
		}
		select {
		case jobs <- j:
		case sendErr = <-errc:
			break feed
		case <-ctx.Done():
			sendErr = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if sendErr == nil {
		select {
		case sendErr = <-errc:
		default:
		}
	}
	if sendErr != nil {
		return fmt.Errorf("synth: %w", sendErr)
	}
	return c.writeCSVs(profiles, evalRows)
}

func (c *SynthConfig) profileImages(img *image.RGBA, buf *bytes.Buffer, dir string, p Profile, i int) error {
	r := rand.New(rand.NewPCG(c.Seed^0xface, uint64(i)*2+1))
	pd := filepath.Join(dir, p.FolderName())
	if err := os.MkdirAll(pd, 0o755); err != nil {
		return err
	}
	look := newPerson(r, p.Gender, p.Age)
	for _, stem := range MaskStems() {
		m, _ := MaskStem(stem)
		drawFace(img, r, look, m)
		if err := c.writeJPEG(img, buf, filepath.Join(pd, stem+".jpg")); err != nil {
			return err
		}
		// AppleDouble junk beside some images, as in the real data.
		if i%3 == 0 {
			if err := writeFileAtomic(filepath.Join(pd, "._"+stem+".jpg"), []byte{0, 5, 22, 7, 0, 2, 0, 0}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *SynthConfig) evalImage(img *image.RGBA, buf *bytes.Buffer, dir string, i int) (EvalRow, error) {
	r := rand.New(rand.NewPCG(c.Seed^0xe7a1, uint64(i)*2+1))
	g, a := synthProfile(r)
	look := newPerson(r, g, a)
	// Seven photos a person, as in the real eval set: 5 worn, 1 incorrect, 1 none.
	m := [7]int{0, 0, 0, 0, 0, 1, 2}[r.IntN(7)]
	drawFace(img, r, look, m)
	sum := sha1.Sum(fmt.Appendf(nil, "maskdash-eval-%d-%d", c.Seed, i))
	name := hex.EncodeToString(sum[:]) + ".jpg"
	if err := c.writeJPEG(img, buf, filepath.Join(dir, name)); err != nil {
		return EvalRow{}, err
	}
	return EvalRow{ImageID: name, Ans: Encode(m, g, DefaultAgeBins.Bin(a))}, nil
}

func (c *SynthConfig) writeJPEG(img *image.RGBA, buf *bytes.Buffer, path string) error {
	buf.Reset()
	if err := jpeg.Encode(buf, img, &jpeg.Options{Quality: c.Quality}); err != nil {
		return err
	}
	return writeFileAtomic(path, buf.Bytes())
}

func (c *SynthConfig) writeCSVs(profiles []Profile, eval []EvalRow) error {
	var b bytes.Buffer
	b.WriteString("id,gender,race,age,path\n")
	sorted := append([]Profile(nil), profiles...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	for _, p := range sorted {
		g := "male"
		if p.Gender == GenderFemale {
			g = "female"
		}
		fmt.Fprintf(&b, "%s,%s,%s,%d,%s\n", p.ID, g, p.Race, p.Age, p.FolderName())
	}
	if err := writeFileAtomic(filepath.Join(c.Out, "train", "train.csv"), b.Bytes()); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	var info, truth bytes.Buffer
	info.WriteString("ImageID,ans\n")
	truth.WriteString("ImageID,ans\n")
	for _, r := range eval {
		fmt.Fprintf(&info, "%s,0\n", r.ImageID)
		fmt.Fprintf(&truth, "%s,%d\n", r.ImageID, r.Ans)
	}
	if err := writeFileAtomic(filepath.Join(c.Out, "eval", "info.csv"), info.Bytes()); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(c.Out, "eval", "truth.csv"), truth.Bytes()); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}

// writeFileAtomic writes to a temporary name in the same folder and renames
// it, so readers never see a half-written file.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if _, err := w.Write(data); err != nil {
		_ = f.Close() // the write error is the one to report
		return err
	}
	if err := w.Flush(); err != nil {
		_ = f.Close() // the flush error is the one to report
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
