package dataset

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestEncodeDecodeTable(t *testing.T) {
	// The baseline's table: class = mask*6 + gender*3 + age.
	cases := []struct{ m, g, a, c int }{
		{0, 0, 0, 0}, {0, 0, 2, 2}, {0, 1, 0, 3}, {0, 1, 1, 4}, {1, 0, 2, 8},
		{1, 1, 2, 11}, {2, 0, 0, 12}, {2, 0, 2, 14}, {2, 1, 2, 17},
	}
	for _, c := range cases {
		if got := Encode(c.m, c.g, c.a); got != c.c {
			t.Errorf("Encode(%d,%d,%d) = %d, want %d", c.m, c.g, c.a, got, c.c)
		}
		m, g, a := Decode(c.c)
		if m != c.m || g != c.g || a != c.a {
			t.Errorf("Decode(%d) = %d,%d,%d", c.c, m, g, a)
		}
	}
	if n := ClassNames(DefaultAgeBins); n[0] != "wear·M·<30" || n[14] != "none·M·60+" {
		t.Errorf("class names %q %q", n[0], n[14])
	}
}

func TestAgeBins(t *testing.T) {
	b := DefaultAgeBins
	for age, want := range map[int]int{18: 0, 29: 0, 30: 1, 59: 1, 60: 2} {
		if got := b.Bin(age); got != want {
			t.Errorf("Bin(%d) = %d, want %d", age, got, want)
		}
	}
	b58, err := ParseAgeBins("30,58")
	if err != nil || b58.Bin(58) != 2 || b58.Bin(57) != 1 {
		t.Fatalf("30,58: %v %v", b58, err)
	}
	if b, err := ParseAgeBins("30:58"); err != nil || b != b58 {
		t.Errorf("30:58 (a sweep grid's form): %v %v", b, err)
	}
	for _, bad := range []string{"", "30", "60,30", "a,b", "30,60,90", "30:60:90"} {
		if _, err := ParseAgeBins(bad); err == nil {
			t.Errorf("ParseAgeBins(%q) accepted", bad)
		}
	}
}

func TestParseProfile(t *testing.T) {
	p, err := ParseProfile("001498-1_female_Asian_45")
	if err != nil || p.ID != "001498-1" || p.Gender != GenderFemale || p.Age != 45 {
		t.Fatalf("got %+v, %v", p, err)
	}
	for _, bad := range []string{"000001_female_Asian", "000001_robot_Asian_20", "000001_male_Asian_x", "_male_Asian_20"} {
		if _, err := ParseProfile(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func writePNG(t testing.TB, path string, v uint8) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 12, 16))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// maskFixture writes a tiny competition layout with the real data's quirks.
func maskFixture(t *testing.T) string {
	dir := t.TempDir()
	img := filepath.Join(dir, "train", "images")
	profiles := []string{"000001_female_Asian_45", "000002_male_Asian_20", "001498-1_female_Asian_60", "000004_male_Asian_33"}
	for i, p := range profiles {
		for _, s := range MaskStems() {
			ext := ".jpg"
			if i == 1 {
				ext = ".png" // any image extension is accepted
			}
			writePNG(t, filepath.Join(img, p, s+ext), uint8(40*i))
			os.WriteFile(filepath.Join(img, p, "._"+s+ext), []byte{0, 5}, 0o644)
		}
	}
	os.MkdirAll(filepath.Join(img, ".ipynb_checkpoints"), 0o755)
	os.MkdirAll(filepath.Join(img, "not_a_profile"), 0o755)
	os.WriteFile(filepath.Join(img, profiles[0], "selfie.jpg"), []byte("x"), 0o644)
	// A corrupt image: listed, but decoding fails at load time.
	os.WriteFile(filepath.Join(img, profiles[3], "mask1.jpg"), []byte("not a jpeg"), 0o644)
	csv := "id,gender,race,age,path\n000001,female,Asian,45,000001_female_Asian_45\nbroken,row\n000009,male,Asian,22,000009_male_Asian_22\n"
	os.WriteFile(filepath.Join(dir, "train", "train.csv"), []byte(csv), 0o644)
	return dir
}

func TestReadMask(t *testing.T) {
	dir := maskFixture(t)
	if f, err := Detect(dir); err != nil || f != "mask" {
		t.Fatalf("Detect = %q, %v", f, err)
	}
	d, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := d.Train
	if s.Len() != 28 || s.Profiles() != 4 {
		t.Fatalf("%d images, %d profiles; want 28, 4", s.Len(), s.Profiles())
	}
	st := ComputeStats(s, nil)
	// not_a_profile, selfie.jpg, the broken csv row, the missing 000009 folder.
	if st.Skipped != 4 {
		t.Errorf("skipped %d: %+v", st.Skipped, st.Skips)
	}
	// 001498-1 is 60: old; 5 worn masks of a woman of 60 = class 5.
	if st.Classes[5].Count != 5 || st.Classes[Encode(MaskNotWear, GenderMale, 1)].Count != 1 {
		t.Errorf("class counts %+v", st.Classes)
	}
	if st.Tasks["gender"][GenderFemale].Count != 14 {
		t.Errorf("gender counts %+v", st.Tasks["gender"])
	}
	s.Relabel(AgeBins{30, 45})
	if ComputeStats(s, nil).Tasks["age"][2].Count != 14 {
		t.Errorf("relabel with 30,45: %+v", ComputeStats(s, nil).Tasks["age"])
	}
	// The corrupt image is skipped with one warning, and the batch still comes.
	var warns []Skip
	l := NewLoader(s, LoaderConfig{Batch: 7, Aug: Augment{W: 8, H: 8}}, nil, func(k Skip) { warns = append(warns, k) })
	total := 0
	for b := range l.Epoch(context.Background(), 0, seq(s.Len())) {
		total += b.N
	}
	if total != 27 || len(warns) != 1 || !strings.Contains(warns[0].Path, "000004") {
		t.Errorf("loaded %d, warnings %+v", total, warns)
	}
}

func seq(n int) []int {
	o := make([]int, n)
	for i := range o {
		o[i] = i
	}
	return o
}

func TestReadFolderAndDetect(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "cat", "a.png"), 10)
	writePNG(t, filepath.Join(dir, "cat", "b.png"), 20)
	writePNG(t, filepath.Join(dir, "dog", "c.png"), 30)
	os.WriteFile(filepath.Join(dir, "dog", "notes.txt"), []byte("x"), 0o644)
	d, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Format != "folder" || d.Train.Len() != 3 || d.Train.Classes[1] != "dog" || len(d.Train.Skipped) != 1 {
		t.Fatalf("%+v", d.Train)
	}
	if _, err := Open(filepath.Join(dir, "missing"), Options{}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing folder: %v", err)
	}
	if _, err := Open(dir, Options{Format: "tfrecord"}); err == nil || !strings.Contains(err.Error(), "unknown") {
		t.Errorf("unknown format: %v", err)
	}
}

func idxBytes(n, h, w int, gz bool) (imgs, labels []byte) {
	var a, b bytes.Buffer
	binary.Write(&a, binary.BigEndian, []uint32{0x803, uint32(n), uint32(h), uint32(w)})
	binary.Write(&b, binary.BigEndian, []uint32{0x801, uint32(n)})
	for i := range n {
		a.Write(bytes.Repeat([]byte{byte(i)}, h*w))
		b.WriteByte(byte(i % 3))
	}
	if !gz {
		return a.Bytes(), b.Bytes()
	}
	z := func(p []byte) []byte {
		var o bytes.Buffer
		w := gzip.NewWriter(&o)
		w.Write(p)
		w.Close()
		return o.Bytes()
	}
	return z(a.Bytes()), z(b.Bytes())
}

func TestReadIDX(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := t.TempDir()
		im, lb := idxBytes(5, 4, 3, gz)
		suf := ""
		if gz {
			suf = ".gz"
		}
		os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte"+suf), im, 0o644)
		os.WriteFile(filepath.Join(dir, "train-labels-idx1-ubyte"+suf), lb, 0o644)
		d, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Format != "idx" || d.Train.Len() != 5 || d.Train.Samples[4].Label != 1 {
			t.Fatalf("gz=%v: %+v", gz, d.Train)
		}
		img, err := d.Train.Image(2)
		if err != nil || img.Bounds().Dx() != 3 || img.At(1, 1).(color.Gray).Y != 2 {
			t.Fatalf("image: %v %v", img, err)
		}
	}
}

func TestFashionMNIST(t *testing.T) {
	dir := "/usr/share/datasets/fashion-mnist"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("Debian's dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)")
	}
	d, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.Len() != 60000 || d.Test == nil || d.Test.Len() != 10000 || d.Train.Classes[9] != "Boot" {
		t.Fatalf("train %d, test %v, classes %v", d.Train.Len(), d.Test, d.Train.Classes)
	}
	st := ComputeStats(d.Train, nil)
	for _, c := range st.Classes {
		if c.Count != 6000 {
			t.Errorf("class %s has %d images, want 6000", c.Name, c.Count)
		}
	}
}

func TestSplitByProfile(t *testing.T) {
	s := &Set{Masked: true}
	for p := range 101 {
		for k := range 7 {
			s.Samples = append(s.Samples, Sample{Profile: string(rune('A'+p%26)) + strings.Repeat("x", p/26), Label: k % 18})
		}
	}
	sp, err := SplitByProfile(s, 0.2, 42)
	if err != nil {
		t.Fatal(err)
	}
	val := map[string]bool{}
	for _, i := range sp.Val {
		val[s.Samples[i].Profile] = true
	}
	if len(val) != 20 { // round(0.2 × 101) = 20, without replacement
		t.Errorf("%d validation profiles, want 20", len(val))
	}
	for _, i := range sp.Train {
		if val[s.Samples[i].Profile] {
			t.Fatalf("profile %s is on both sides", s.Samples[i].Profile)
		}
	}
	if len(sp.Train)+len(sp.Val) != s.Len() {
		t.Errorf("split loses images")
	}
	sp2, _ := SplitByProfile(s, 0.2, 42)
	sp3, _ := SplitByProfile(s, 0.2, 43)
	if !equalInts(sp.Val, sp2.Val) || equalInts(sp.Val, sp3.Val) {
		t.Errorf("split is not a function of the seed")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// competitionLabels builds labels with the real per-class counts (facts §2).
func competitionLabels() []int {
	counts := []int{2745, 2050, 415, 3660, 4085, 545, 549, 410, 83, 732, 817, 109, 549, 410, 83, 732, 817, 109}
	var l []int
	for c, n := range counts {
		for range n {
			l = append(l, c)
		}
	}
	return l
}

func TestDynamicBalanceMatchesCatalyst(t *testing.T) {
	// The worked example in facts §8 (λ = 0.9, n_min = 83).
	labels := competitionLabels()
	s := NewDynamicBalanceSampler(labels, 0.9, 1)
	for _, c := range []struct{ epoch, length, c4, c8 int }{
		{0, 18898, 4085, 83}, {1, 13955, 2766, 83}, {2, 10710, 1948, 83}, {5, 5808, 828, 83}, {10, 3148, 322, 83}, {50, 1498, 84, 83},
	} {
		got := s.Epoch(c.epoch)
		cnt := map[int]int{}
		for _, i := range got {
			cnt[labels[i]]++
		}
		if len(got) != c.length || cnt[4] != c.c4 || cnt[8] != c.c8 {
			t.Errorf("epoch %d: length %d class4 %d class8 %d; want %d %d %d", c.epoch, len(got), cnt[4], cnt[8], c.length, c.c4, c.c8)
		}
	}
}

func TestWeightedSamplerBalances(t *testing.T) {
	labels := competitionLabels()
	s := NewWeightedSampler(labels, 3)
	cnt := make([]int, 18)
	for _, i := range s.Epoch(0) {
		cnt[labels[i]]++
	}
	want := len(labels) / 18
	for c, n := range cnt {
		if n < want*8/10 || n > want*12/10 {
			t.Errorf("class %d drawn %d times, want about %d", c, n, want)
		}
	}
}

func TestAugmentDeterministic(t *testing.T) {
	a := DefaultAugment(16, 16)
	img := image.NewRGBA(image.Rect(0, 0, 40, 50))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	base := a.Prepare(img)
	if bw, bh := a.BaseSize(); base.W != bw || base.H != bh || bw != 18 {
		t.Fatalf("base %dx%d", base.W, base.H)
	}
	x1 := make([]float32, 3*16*16)
	x2 := make([]float32, 3*16*16)
	x3 := make([]float32, 3*16*16)
	a.Apply(base, x1, SampleRand(7, 2, 5), false)
	a.Apply(base, x2, SampleRand(7, 2, 5), false)
	a.Apply(base, x3, SampleRand(7, 3, 5), false)
	if !equalF(x1, x2) || equalF(x1, x3) {
		t.Error("augmentation is not a function of (seed, epoch, index)")
	}
	// Flip with the evaluation transform mirrors exactly.
	e1 := make([]float32, 3*16*16)
	e2 := make([]float32, 3*16*16)
	a.Apply(base, e1, nil, false)
	a.Apply(base, e2, nil, true)
	if e1[0] != e2[15] || e1[16*3+2] != e2[16*3+13] {
		t.Error("flip is not a mirror")
	}
}

func equalF(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMeanStdIsRealStd(t *testing.T) {
	// Half the pixels 0, half 255 (value 1): mean 0.5, std 0.5 (the baseline's formula gives 0.707).
	im := RGB{W: 2, H: 1, Pix: []uint8{0, 0, 0, 255, 255, 255}}
	m, s := MeanStd([]RGB{im})
	if m[0] != 0.5 || s[1] < 0.4999 || s[1] > 0.5001 {
		t.Errorf("mean %v std %v", m, s)
	}
}

func TestSynthesizeLayoutAndDeterminism(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	cfg := SynthConfig{Profiles: 12, W: 48, H: 64, Eval: 10, Seed: 9}
	cfg.Out = a
	if err := Synthesize(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Out = b
	Synthesize(context.Background(), cfg)
	d, err := Open(a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.Len() != 84 || d.Train.Profiles() != 12 || d.Test == nil || d.Test.Len() != 10 {
		t.Fatalf("train %d (%d profiles), test %v", d.Train.Len(), d.Train.Profiles(), d.Test)
	}
	info, _ := os.ReadFile(filepath.Join(a, "eval", "info.csv"))
	if !strings.HasPrefix(string(info), "ImageID,ans\n") || !strings.Contains(string(info), ".jpg,0\n") {
		t.Errorf("info.csv: %q", info[:40])
	}
	first, _ := filepath.Rel(a, d.Train.Samples[0].Path)
	for _, rel := range []string{"train/train.csv", "eval/truth.csv", first} {
		x, _ := os.ReadFile(filepath.Join(a, rel))
		y, _ := os.ReadFile(filepath.Join(b, rel))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same seed", rel)
		}
	}
}

func FuzzParseTrainCSV(f *testing.F) {
	f.Add("id,gender,race,age,path\n000001,female,Asian,45,000001_female_Asian_45\n")
	f.Add("\"unterminated\n,,,,\n")
	f.Fuzz(func(t *testing.T, s string) {
		rows, _ := ParseTrainCSV(strings.NewReader(s))
		for _, r := range rows {
			if _, err := ParseProfile(r.Path); err != nil {
				t.Fatalf("accepted row with bad path %q", r.Path)
			}
		}
	})
}

func FuzzParseInfoCSV(f *testing.F) {
	f.Add("ImageID,ans\nabc.jpg,0\n")
	f.Add("x,99\n\"")
	f.Fuzz(func(t *testing.T, s string) {
		rows, _ := ParseInfoCSV(strings.NewReader(s), "info.csv")
		for _, r := range rows {
			if r.Ans < 0 || r.Ans >= NumClasses || r.ImageID == "" {
				t.Fatalf("accepted %+v", r)
			}
		}
	})
}

func FuzzParseIDX(f *testing.F) {
	im, lb := idxBytes(2, 2, 2, false)
	f.Add(im)
	f.Add(lb)
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := ParseIDXImages(bytes.NewReader(b)); err == nil && (len(m.Pix) != m.N || len(m.Pix[0]) != m.H*m.W) {
			t.Fatal("inconsistent images")
		}
		if l, err := ParseIDXLabels(bytes.NewReader(b)); err == nil && len(l) == 0 {
			t.Fatal("empty labels accepted")
		}
	})
}

func FuzzParseProfile(f *testing.F) {
	f.Add("000001_female_Asian_45")
	f.Add("001498-1_male_Asian_60")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseProfile(s)
		if err == nil && (p.ID == "" || p.Age < 0 || p.Age > 150) {
			t.Fatalf("accepted %q as %+v", s, p)
		}
	})
}

// TestQueueFillsWhileTrainingIsSlow: a consumer that takes its time finds
// the loader's queue full; one that has taken every batch finds it empty.
func TestQueueFillsWhileTrainingIsSlow(t *testing.T) {
	dir := t.TempDir()
	if err := Synthesize(context.Background(), SynthConfig{Out: dir, Profiles: 6, W: 32, H: 40, Eval: 2, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	d, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := NewLoader(d.Train, LoaderConfig{Batch: 2, Aug: Augment{W: 8, H: 8}, Workers: 2, Prefetch: 3}, nil, nil)
	ch := l.Epoch(context.Background(), 0, seq(d.Train.Len()))
	<-ch
	deadline := time.Now().Add(10 * time.Second)
	for {
		if r, c := l.Queue(); r == c && c == 3 {
			break
		}
		if time.Now().After(deadline) {
			r, c := l.Queue()
			t.Fatalf("queue %d of %d after waiting, want full", r, c)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for range ch {
	}
	if r, _ := l.Queue(); r != 0 {
		t.Errorf("%d batches still counted as waiting after the epoch", r)
	}
}

// TestFoldsCoverEveryPersonOnce: the K validation folds of one seed are
// disjoint, cover every image, and keep a person's images together.
func TestFoldsCoverEveryPersonOnce(t *testing.T) {
	dir := t.TempDir()
	if err := Synthesize(context.Background(), SynthConfig{Out: dir, Profiles: 10, W: 16, H: 20, Eval: 1, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	d, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for k := 1; k <= 3; k++ {
		sp, err := SplitFold(d.Train, k, 3, 9)
		if err != nil {
			t.Fatal(err)
		}
		if len(sp.Train)+len(sp.Val) != d.Train.Len() {
			t.Fatalf("fold %d splits %d+%d of %d", k, len(sp.Train), len(sp.Val), d.Train.Len())
		}
		people := map[string]bool{}
		for _, i := range sp.Val {
			seen[i]++
			people[d.Train.Samples[i].Profile] = true
		}
		for _, i := range sp.Train {
			if people[d.Train.Samples[i].Profile] {
				t.Fatalf("fold %d: person %s on both sides", k, d.Train.Samples[i].Profile)
			}
		}
	}
	for i := range d.Train.Len() {
		if seen[i] != 1 {
			t.Fatalf("image %d is in %d validation folds", i, seen[i])
		}
	}
	if _, err := SplitFold(d.Train, 4, 3, 9); err == nil {
		t.Error("fold 4 of 3 accepted")
	}
}

// TestSamplerNames: every listed name and its aliases build their
// sampler (a config written with either resumes); an unknown one is
// refused with the names to use.
func TestSamplerNames(t *testing.T) {
	labels := []int{0, 0, 0, 1}
	for name, want := range map[string]string{"": "shuffle", "shuffle": "shuffle", "weighted": "weighted", "balance": "balance", "balanced": "balance", "Dynamic-Balance": "balance"} {
		s, err := NewSampler(name, labels, 1)
		if err != nil || s.Name() != want {
			t.Errorf("NewSampler(%q): %v, %v; want %s", name, s, err, want)
		}
	}
	if _, err := NewSampler("oversample", labels, 1); err == nil || !strings.Contains(err.Error(), "shuffle, weighted, balance") {
		t.Errorf("an unknown sampler: %v", err)
	}
}

// TestParseAgeRanges: ranges, single ages and the sweep's ":" form read
// back as they are written; reversed or non-numeric ranges are refused.
func TestParseAgeRanges(t *testing.T) {
	r, err := ParseAgeRanges("27-29, 57-59:60")
	if err != nil {
		t.Fatal(err)
	}
	if r.String() != "27-29,57-59,60" {
		t.Errorf("read back as %q", r.String())
	}
	for age, want := range map[int]bool{26: false, 27: true, 29: true, 30: false, 58: true, 60: true, 61: false} {
		if r.Has(age) != want {
			t.Errorf("Has(%d) = %v", age, !want)
		}
	}
	if r, err := ParseAgeRanges("none"); err != nil || len(r) != 0 || r.Has(27) {
		t.Errorf("none: %v %v", r, err)
	}
	for _, bad := range []string{"", "29-27", "a-b", "27-", "-3", "27-29,,57"} {
		if _, err := ParseAgeRanges(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

// TestPseudoLabelsFiles: pseudo-labels are refused, in a sentence, for
// data without the mask layout's eval images, as is a file without a
// single row; a file of class probabilities gives each image its most
// probable class and how sure, and a floor keeps the surest (a file of
// classes cannot take one).
func TestPseudoLabelsFiles(t *testing.T) {
	p := PseudoLabels{ByImage: map[string]PseudoLabel{"a.jpg": {Class: 3}}}
	for _, c := range []struct {
		train, eval *Set
	}{
		{&Set{Root: "pets"}, &Set{Samples: []Sample{{Name: "a.jpg"}}}},
		{&Set{Root: "masks", Masked: true}, nil},
		{&Set{Root: "masks", Masked: true}, &Set{}},
	} {
		if _, _, err := c.train.WithPseudoLabels(c.eval, p, 0); err == nil || !strings.Contains(err.Error(), "eval images, and "+c.train.Root+" has none") {
			t.Errorf("%s: %v", c.train.Root, err)
		}
	}
	empty := filepath.Join(t.TempDir(), "empty.csv")
	if err := os.WriteFile(empty, []byte("ImageID,ans\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadPseudoLabels(empty); err == nil || !strings.Contains(err.Error(), "has no ImageID,ans row") {
		t.Errorf("a file of no rows: %v", err)
	}
	// A file of probabilities: the most probable class and its share of
	// the row; a malformed row is a skip; a floor keeps the surest.
	probs := filepath.Join(t.TempDir(), "probs.csv")
	head := "ImageID," + strings.Repeat("0,", NumClasses-1) + "0"
	row := func(id string, c int, v float64) string {
		f := make([]string, NumClasses)
		for i := range f {
			f[i] = "0.01"
		}
		f[c] = strconv.FormatFloat(v, 'g', -1, 64)
		return id + "," + strings.Join(f, ",")
	}
	body := head + "\n" + row("a.jpg", 4, 0.83) + "\n" + row("b.jpg", 9, 0.01) + "\n" + "c.jpg,0.5,x\n"
	if err := os.WriteFile(probs, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	got, skips, err := ReadPseudoLabels(probs)
	if err != nil || !got.Probs || len(skips) != 1 {
		t.Fatalf("probabilities: %+v, skips %v, %v", got, skips, err)
	}
	if a := got.ByImage["a.jpg"]; a.Class != 4 || math.Abs(a.Prob-0.83/(0.83+0.17)) > 1e-12 {
		t.Errorf("a.jpg: %+v", a)
	}
	eval := &Set{Samples: []Sample{{Name: "a.jpg", Label: 1}, {Name: "b.jpg", Label: 2}}}
	with, added, err := (&Set{Masked: true}).WithPseudoLabels(eval, got, 0.5)
	if err != nil || added != (PseudoAdded{Joined: 1, Unsure: 1}) || with.Samples[0].Label != 4 {
		t.Errorf("floor 0.5: %+v %+v %v", added, with, err)
	}
	if _, _, err := (&Set{Masked: true}).WithPseudoLabels(eval, PseudoLabels{ByImage: got.ByImage}, 0.5); err == nil {
		t.Error("a floor on a file of classes was taken")
	}
	narrow := filepath.Join(t.TempDir(), "ten.csv")
	if err := os.WriteFile(narrow, []byte("ImageID,0,1,2,3,4,5,6,7,8,9\na.jpg,1,0,0,0,0,0,0,0,0,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadPseudoLabels(narrow); err == nil || !strings.Contains(err.Error(), "has 10 probability columns; the mask layout has 18 classes") {
		t.Errorf("a file of 10 classes' probabilities: %v", err)
	}
}

// TestFolderWithoutImagesSaysWhereItLooked: an image folder whose class
// folders hold no image files names them and what an image file is.
func TestFolderWithoutImagesSaysWhereItLooked(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "train", "images", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "train", "notes.txt"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFolder(dir)
	if !errors.Is(err, ErrNoData) || !strings.Contains(err.Error(), "class folders (train)") || !strings.Contains(err.Error(), ".jpg") || strings.Contains(err.Error(), "dataset:") {
		t.Errorf("got %v", err)
	}
}

// TestDecodeFileSaysWhatIsWrong: an empty file and a file of another
// kind (a web page saved as .jpg) are named for what they are, not as
// "image: unknown format".
func TestDecodeFileSaysWhatIsWrong(t *testing.T) {
	dir := t.TempDir()
	empty, page := filepath.Join(dir, "a.jpg"), filepath.Join(dir, "b.jpg")
	os.WriteFile(empty, nil, 0o644)
	os.WriteFile(page, []byte("<html>Too many requests</html>"), 0o644)
	for path, want := range map[string]string{empty: "the file is empty", page: "not a JPEG, PNG, GIF, BMP or WebP image"} {
		if _, err := DecodeFile(path); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("DecodeFile(%s) = %v, want %q", path, err, want)
		}
	}
}
