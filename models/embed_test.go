package models

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/maskdash/maskdash/models/ops/opstest"
)

// TestEmbedIsWhatTheOutputLayerReads: for each single-head model, the
// embeddings times the output layer's weights plus its bias are the
// logits Forward gives (the output layer is one dense layer on them), so
// Embed reads the very features the classifier decides on; a
// multi-head model's embeddings have the trunk's width too. Fewer images
// than the batch give as many rows.
func TestEmbedIsWhatTheOutputLayerReads(t *testing.T) {
	for _, name := range []string{"cnn-s", "vgg-s", "resnet-s", "cnn-s-mh"} {
		t.Run(name, func(t *testing.T) {
			n, err := New(Spec{Name: name, Batch: 4, EvalBatch: 4, W: 16, H: 16, Seed: 7, Classes: 18})
			if err != nil {
				t.Fatal(err)
			}
			const m = 3
			x := opstest.RandInput(rand.New(rand.NewPCG(1, 2)), m*3*16*16)
			emb, dim, withEmb, err := n.Embed(x, m)
			if err != nil {
				t.Fatal(err)
			}
			if dim < 8 || len(emb) != m*dim {
				t.Fatalf("%d values of dimension %d for %d images", len(emb), dim, m)
			}
			w, ok := n.Lookup("fc.weight")
			if !ok {
				if _, mh := n.Lookup("head.mask.out.weight"); !mh {
					t.Fatal("neither fc nor the mask head")
				}
				return
			}
			b, _ := n.Lookup("fc.bias")
			logits, err := n.Forward(x, m)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range withEmb {
				if v != logits[i] {
					t.Fatalf("Embed's logit %d %v, Forward's %v", i, v, logits[i])
				}
			}
			k := n.Spec.Outputs()
			if len(w.Data) != dim*k {
				t.Fatalf("fc.weight has %d values, %d × %d wanted", len(w.Data), dim, k)
			}
			for i := range m {
				for c := range k {
					v := float64(b.Data[c])
					for j := range dim {
						v += float64(emb[i*dim+j]) * float64(w.Data[j*k+c]) // [in, out]
					}
					if got := float64(logits[i*k+c]); math.Abs(got-v) > 1e-4*(1+math.Abs(v)) {
						t.Fatalf("image %d class %d: logit %v, embedding·W+b %v", i, c, got, v)
					}
				}
			}
		})
	}
}
