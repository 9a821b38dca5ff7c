package models

import (
	"errors"
	"fmt"

	"github.com/maskdash/maskdash/models/ops"
)

// ErrCAMHead is CAM's answer for a net whose logits are not a linear
// function of its last feature map: a multi-head model's heads have
// hidden layers.
var ErrCAMHead = errors.New("a multi-head model's heads have hidden layers, so its logits do not split over the image: class activation maps need a model of one linear head")

// CAM runs the evaluation graph on up to EvalBatch images (on the CPU) and
// returns, for each image i, where the logit of class classes[i] comes
// from (a negative class: the image's predicted class, written back into
// classes): a map of the trunk's last feature map's h × w cells (m maps, a
// fresh slice), each cell the share of the logit that the features there
// give through the linear head. For vgg-s and resnet-s (global average
// pooling, then the dense layer) it is Zhou et al.'s class activation map
// Σ_c w[c] A_c(y, x) / (h·w); for cnn-s (the dense layer reads the
// flattened map) Σ_c w[c, y, x] A_c(y, x). Either way the cells add up to
// the logit less the class's bias, exactly: it is also gradient ×
// activation at that map, as Grad-CAM's cousins compute it. The logits of
// the same pass come with them.
func (n *Net) CAM(x []float32, m int, classes []int) (maps []float32, h, w int, logits []float32, err error) {
	if len(n.Spec.Heads()) > 1 {
		return nil, 0, 0, nil, ErrCAMHead
	}
	if len(classes) != m {
		return nil, 0, 0, nil, fmt.Errorf("%w: %d classes for %d images", ErrShape, len(classes), m)
	}
	k := n.Spec.Outputs()
	for _, c := range classes {
		if c >= k {
			return nil, 0, 0, nil, fmt.Errorf("%w: class %d of %d", ErrShape, c, k)
		}
	}
	gr, err := n.evalGraph(x, m)
	if err != nil {
		return nil, 0, 0, nil, err
	}
	if n.gpu != nil {
		return nil, 0, 0, nil, ErrEmbedOnGPU
	}
	if gr.spatial == nil {
		return nil, 0, 0, nil, fmt.Errorf("model %s has no feature map to map", n.Spec.Name)
	}
	s := gr.spatial.Shape()
	ch, h, w := s[1], s[2], s[3]
	fc, ok := n.Lookup("fc.weight")
	if !ok {
		return nil, 0, 0, nil, ErrCAMHead
	}
	pooled := fc.Shape[0] == ch // global pooling: a weight a channel
	if !pooled && fc.Shape[0] != ch*h*w {
		return nil, 0, 0, nil, fmt.Errorf("model %s: its dense layer reads %d values, its last map has %d×%d×%d", n.Spec.Name, fc.Shape[0], ch, h, w)
	}
	err = n.runEval(gr, x, func() {
		a := ops.Float32s(gr.spatial.Value())
		logits = append([]float32(nil), ops.Float32s(gr.out.Value())[:m*k]...)
		maps = make([]float32, m*h*w)
		for i, cls := range classes {
			if cls < 0 { // the predicted class
				row := logits[i*k : (i+1)*k]
				cls = 0
				for c, v := range row {
					if v > row[cls] {
						cls = c
					}
				}
				classes[i] = cls
			}
			mp := maps[i*h*w : (i+1)*h*w]
			for c := range ch {
				plane := a[(i*ch+c)*h*w : (i*ch+c+1)*h*w]
				for j, v := range plane {
					row := c // the dense weight's row for this cell
					if !pooled {
						row = c*h*w + j
					}
					mp[j] += fc.Data[row*k+cls] * v
				}
			}
			if pooled {
				for j := range mp {
					mp[j] /= float32(h * w)
				}
			}
		}
	})
	return maps, h, w, logits, err
}
