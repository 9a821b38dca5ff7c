package export

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteProjector: a vector a line, a header then a metadata row a
// vector (a tab or line break in a value becomes a space, so no value
// moves a column or a row), and the config naming both; embeddings and
// metadata of other lengths are refused.
func TestWriteProjector(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	p := Projector{Name: "r validation, epoch 2", Rows: [][]float32{{1, 0.5}, {-2, 3.25}},
		Columns: []string{"image", "truth"}, Meta: [][]string{{"a\tb.png", "cat"}, {"c\n.png", "dog"}}}
	if err := WriteProjector(dir, p); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read("tensors.tsv"); got != "1\t0.5\n-2\t3.25\n" {
		t.Errorf("tensors.tsv %q", got)
	}
	if got := read("metadata.tsv"); got != "image\ttruth\na b.png\tcat\nc .png\tdog\n" {
		t.Errorf("metadata.tsv %q", got)
	}
	if got := read("projector_config.pbtxt"); !strings.Contains(got, `tensor_name: "r validation, epoch 2"`) || !strings.Contains(got, `metadata_path: "metadata.tsv"`) {
		t.Errorf("projector_config.pbtxt %q", got)
	}
	p.Meta = p.Meta[:1]
	if err := WriteProjector(dir, p); err == nil {
		t.Error("2 embeddings with 1 row of metadata were written")
	}
}
