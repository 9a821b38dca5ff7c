package models

import (
	"errors"

	"github.com/maskdash/maskdash/models/ops"
)

// ErrEmbedOnGPU is Embed's answer on a net that runs on the GPU: its
// graph there keeps only the logits.
var ErrEmbedOnGPU = errors.New("a net on the GPU gives no embeddings; load its checkpoint on the CPU")

// Embed runs the evaluation graph (as Forward) on up to EvalBatch images
// and returns each image's embedding: the trunk's output, flattened as
// the output layers read it (vgg-s and resnet-s: a value per channel of
// the last block after global pooling; cnn-s: its last feature map), m
// rows of dim values (a fresh slice). It is the space
// TensorBoard's projector shows a classifier's images in.
//
// The logits of the same pass come with them (m × Outputs, as Forward's).
func (n *Net) Embed(x []float32, m int) (emb []float32, dim int, logits []float32, err error) {
	gr, err := n.evalGraph(x, m)
	if err != nil {
		return nil, 0, nil, err
	}
	if n.gpu != nil {
		return nil, 0, nil, ErrEmbedOnGPU
	}
	dim = 1
	for _, d := range gr.feat.Shape()[1:] { // flattened, as the first dense layer reads it
		dim *= d
	}
	err = n.runEval(gr, x, func() {
		emb = append([]float32(nil), ops.Float32s(gr.feat.Value())[:m*dim]...)
		logits = append([]float32(nil), ops.Float32s(gr.out.Value())[:m*n.Spec.Outputs()]...)
	})
	return emb, dim, logits, err
}
