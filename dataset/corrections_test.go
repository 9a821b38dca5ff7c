package dataset

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCorrections: a corrections file relabels a person's images by
// gender, age (through the age bins) and the incorrect_mask ↔ normal
// swap; rows that do not parse and people the data lacks are skipped
// with a reason each; other formats refuse it; stats counts the images
// it changed.
func TestCorrections(t *testing.T) {
	dir := t.TempDir()
	if err := Synthesize(context.Background(), SynthConfig{Out: dir, Profiles: 6, W: 24, H: 32, Eval: -1, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	plain, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := plain.Train.Samples[0].Profile
	var p Profile
	for _, sm := range plain.Train.Samples {
		if sm.Profile == first {
			p, _ = ParseProfile(filepath.Base(filepath.Dir(sm.Path)))
		}
	}
	other := "male"
	if p.Gender == GenderMale {
		other = "female"
	}
	fix := filepath.Join(t.TempDir(), "fix.csv")
	body := "# a comment\nid,field,value\n" + first + ",gender," + other + "\n" + first + ",age,75\n" + first + ",mask,swap\n" +
		"999999,age,30\n" + first + ",age,old\n" + first + ",height,180\n" + first + ",mask,on\n\"bad,quote\n"
	if err := os.WriteFile(fix, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Open(dir, Options{FixLabels: fix})
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for i, sm := range d.Train.Samples {
		was := plain.Train.Samples[i]
		if sm.Profile != first {
			if sm.Label != was.Label {
				t.Errorf("%s: another person's label changed", sm.Path)
			}
			continue
		}
		m0, g0, _ := Decode(was.Label)
		m, g, a := Decode(sm.Label)
		wantM := map[int]int{MaskWear: MaskWear, MaskIncorrect: MaskNotWear, MaskNotWear: MaskIncorrect}[m0]
		if m != wantM || g != 1-g0 || a != 2 || sm.Age != 75 {
			t.Errorf("%s: mask %d gender %d age %d (%d years), want %d %d 2 (75)", sm.Name, m, g, a, sm.Age, wantM, 1-g0)
		}
		changed++
	}
	if d.Train.Corrected != changed || changed != 7 {
		t.Errorf("corrected %d images, the person has %d", d.Train.Corrected, changed)
	}
	var reasons []string
	for _, s := range d.Train.Skipped {
		if strings.HasPrefix(s.Path, "fix.csv:") {
			reasons = append(reasons, s.Path+" "+s.Reason)
		}
	}
	joined := strings.Join(reasons, "\n")
	for _, want := range []string{"fix.csv:6 no person 999999", "fix.csv:7 age \"old\"", "fix.csv:8 field \"height\"", "fix.csv:9 mask \"on\"", "fix.csv:10 malformed CSV"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no skip %q among:\n%s", want, joined)
		}
	}
	if st := ComputeStats(d.Train, nil); st.Corrected != 7 {
		t.Errorf("stats: %d corrected", st.Corrected)
	}
	if _, err := Open(dir, Options{FixLabels: filepath.Join(dir, "missing.csv")}); err == nil {
		t.Error("a missing corrections file: no error")
	}
	folder := t.TempDir()
	if err := os.MkdirAll(filepath.Join(folder, "cat"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(folder, Options{Format: "folder", FixLabels: fix}); err == nil || !strings.Contains(err.Error(), "mask layout only") {
		t.Errorf("corrections on folder data: %v", err)
	}
}

// TestCommunityCorrections: the shipped list of the community's label
// corrections parses whole.
func TestCommunityCorrections(t *testing.T) {
	cs, skips, err := ReadCorrections(filepath.Join("..", "fixes", "mask-community.csv"))
	if err != nil || len(skips) != 0 || len(cs) != 32 {
		t.Fatalf("%d corrections, skips %v, %v", len(cs), skips, err)
	}
}

// TestSuggestCorrections: a misclassified image's person gets a row per
// task the label and the prediction differ in (the age as a comment to
// fill in, nothing for a worn mask); AppendCorrections writes the header
// once, adds only new rows, and the file reads back with ReadCorrections.
func TestSuggestCorrections(t *testing.T) {
	p := Profile{ID: "001498-1", Gender: GenderMale, Age: 58}
	b := DefaultAgeBins
	rows, why := SuggestCorrections(p, Encode(MaskIncorrect, GenderMale, 1), Encode(MaskNotWear, GenderFemale, 2), b)
	want := []string{"001498-1,mask,swap", "001498-1,gender,female", "# 001498-1,age,?  labelled 58 (30-59), predicted 60+: write the age if the label is wrong"}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") || why != "" {
		t.Errorf("rows %q (%q), want %q", rows, why, want)
	}
	rows, why = SuggestCorrections(p, Encode(MaskWear, GenderMale, 1), Encode(MaskNotWear, GenderMale, 1), b)
	if len(rows) != 0 || !strings.Contains(why, "file name") {
		t.Errorf("a worn mask predicted as none: %q, %q", rows, why)
	}
	path := filepath.Join(t.TempDir(), "sub", "fixes.csv")
	if n, err := AppendCorrections(path, want[:2]); n != 2 || err != nil {
		t.Fatalf("first append: %d, %v", n, err)
	}
	if n, err := AppendCorrections(path, want); n != 1 || err != nil {
		t.Fatalf("second append: %d, %v (want only the new row)", n, err)
	}
	b2, _ := os.ReadFile(path)
	if strings.Count(string(b2), "id,field,value") != 1 || strings.Count(string(b2), "mask,swap") != 1 {
		t.Errorf("the file:\n%s", b2)
	}
	cs, skips, err := ReadCorrections(path)
	if err != nil || len(skips) != 0 || len(cs) != 2 {
		t.Errorf("reading it back: %d corrections, %v, %v", len(cs), skips, err)
	}
}

// FuzzReadCorrections: any file reads without a panic; every correction
// it keeps names a person, a known field and a value that field takes,
// and every skipped row says where it was.
func FuzzReadCorrections(f *testing.F) {
	f.Add("id,field,value\n000225,gender,male\n001009,age,29\n000020,mask,swap\n")
	f.Add("# c\n\"x,1\nid,age,-3\n,gender,male\nA,mask,on,extra\n")
	f.Add("\ufeffid,field,value\r\n001498-1,GENDER, Female\r\n")
	f.Fuzz(func(t *testing.T, body string) {
		path := filepath.Join(t.TempDir(), "fix.csv")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		cs, skips, err := ReadCorrections(path)
		if err != nil {
			t.Fatalf("a readable file gave an error: %v", err)
		}
		for _, c := range cs {
			ok := c.Profile != "" && (c.Field == FixGender && (c.Value == "male" || c.Value == "female") ||
				c.Field == FixAge && c.age >= 0 && c.age <= 150 || c.Field == FixMask && c.Value == "swap")
			if !ok {
				t.Errorf("kept a bad correction: %+v", c)
			}
		}
		for _, s := range skips {
			if !strings.HasPrefix(s.Path, "fix.csv") || s.Reason == "" {
				t.Errorf("a skip without its place or reason: %+v", s)
			}
		}
	})
}
