package export

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/maskdash/maskdash/runs"
)

// Projector is what TensorBoard's embedding projector shows: a vector a
// row, and a row of metadata for each (maskdash embed's validation
// images: name, true class, prediction, tasks).
type Projector struct {
	Name    string      // the tensor's name in projector_config.pbtxt
	Rows    [][]float32 // the embeddings, one per row of Meta
	Columns []string    // the metadata's header
	Meta    [][]string  // each row's metadata, a value per column
}

// WriteProjector writes p to dir as the projector reads it: tensors.tsv
// (the vectors, tab-separated, no header), metadata.tsv (a header, then a
// row each; tabs and line breaks in a value become spaces) and
// projector_config.pbtxt naming both, for 'tensorboard --logdir dir'; the
// two TSV files also load into projector.tensorflow.org.
func WriteProjector(dir string, p Projector) error {
	if len(p.Rows) != len(p.Meta) {
		return fmt.Errorf("projector: %d embeddings and %d rows of metadata", len(p.Rows), len(p.Meta))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var tensors, meta bytes.Buffer
	for _, r := range p.Rows {
		for j, v := range r {
			if j > 0 {
				tensors.WriteByte('\t')
			}
			tensors.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32))
		}
		tensors.WriteByte('\n')
	}
	field := strings.NewReplacer("\t", " ", "\n", " ", "\r", " ")
	for _, row := range append([][]string{p.Columns}, p.Meta...) {
		for j, v := range row {
			if j > 0 {
				meta.WriteByte('\t')
			}
			meta.WriteString(field.Replace(v))
		}
		meta.WriteByte('\n')
	}
	config := fmt.Sprintf("embeddings {\n  tensor_name: %q\n  tensor_path: \"tensors.tsv\"\n  metadata_path: \"metadata.tsv\"\n}\n", p.Name)
	for name, b := range map[string][]byte{"tensors.tsv": tensors.Bytes(), "metadata.tsv": meta.Bytes(), "projector_config.pbtxt": []byte(config)} {
		if err := runs.WriteFileAtomic(filepath.Join(dir, name), b); err != nil {
			return err
		}
	}
	return nil
}
