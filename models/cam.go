package models

import (
	"errors"
	"fmt"
	"math"

	"github.com/maskdash/maskdash/models/ops"
)

// ErrCAMOnGPU is CAM's answer on a net that runs on the GPU: its graph
// there keeps only the logits.
var ErrCAMOnGPU = errors.New("a net on the GPU gives no class maps; load its checkpoint on the CPU")

// ErrCAMHead is CAM's answer for a net whose head it cannot follow back
// to its last feature map.
var ErrCAMHead = errors.New("the model's head is not one the class maps know: a dense layer on the last feature map, or the mask, gender and age heads")

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
//
// A multi-head model's 18 classes are each a mask, a gender and an age,
// whose log-probabilities add up to the class's, through heads with
// hidden layers: there the map is gradient × activation of the class's
// log-probability at that feature map (the gradient found through the
// heads on the host), each cell Σ_c A_c(y, x) ∂log p/∂A_c(y, x). Its
// cells add up to the gradient's dot product with the features, not to
// the log-probability, which the heads do not split linearly.
func (n *Net) CAM(x []float32, m int, classes []int) (maps []float32, h, w int, logits []float32, err error) {
	if len(classes) != m {
		return nil, 0, 0, nil, fmt.Errorf("%w: %d classes for %d images", ErrShape, len(classes), m)
	}
	k := n.Spec.Outputs()
	multi := len(n.Spec.Heads()) > 1
	for _, c := range classes {
		if multi && c >= 18 || !multi && c >= k {
			return nil, 0, 0, nil, fmt.Errorf("%w: class %d of %d", ErrShape, c, max(k, 18*b2i(multi)))
		}
	}
	gr, err := n.evalGraph(x, m)
	if err != nil {
		return nil, 0, 0, nil, err
	}
	if n.gpu != nil {
		return nil, 0, 0, nil, ErrCAMOnGPU
	}
	if gr.spatial == nil {
		return nil, 0, 0, nil, fmt.Errorf("model %s has no feature map to map", n.Spec.Name)
	}
	s := gr.spatial.Shape()
	ch, h, w := s[1], s[2], s[3]
	if multi {
		return n.headsCAM(gr, x, m, classes)
	}
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

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// headsCAM is CAM for a multi-head model: gradient × activation of each
// image's class log-probability (a negative class: the predicted one,
// each head's most likely), the gradient carried back through the mask,
// gender and age heads on the host.
func (n *Net) headsCAM(gr *graph, x []float32, m int, classes []int) (maps []float32, h, w int, logits []float32, err error) {
	s := gr.spatial.Shape()
	ch := s[1]
	h, w = s[2], s[3]
	heads := []string{"mask", "gender", "age"}
	var layers [3][]headLayer
	for t, name := range heads {
		for d := 0; ; d++ {
			wt, ok := n.Lookup(fmt.Sprintf("head.%s.%d.weight", name, d))
			if !ok {
				break
			}
			b, _ := n.Lookup(fmt.Sprintf("head.%s.%d.bias", name, d))
			layers[t] = append(layers[t], headLayer{wt, b})
		}
		wt, ok := n.Lookup("head." + name + ".out.weight")
		b, okb := n.Lookup("head." + name + ".out.bias")
		if !ok || !okb {
			return nil, 0, 0, nil, ErrCAMHead
		}
		layers[t] = append(layers[t], headLayer{wt, b})
	}
	dim := layers[0][0].w.Shape[0]
	pooled := dim == ch
	if !pooled && dim != ch*h*w {
		return nil, 0, 0, nil, fmt.Errorf("model %s: its heads read %d values, its last map has %d×%d×%d", n.Spec.Name, dim, ch, h, w)
	}
	k := n.Spec.Outputs()
	err = n.runEval(gr, x, func() {
		a := ops.Float32s(gr.spatial.Value())
		feat := ops.Float32s(gr.feat.Value())
		logits = append([]float32(nil), ops.Float32s(gr.out.Value())[:m*k]...)
		maps = make([]float32, m*h*w)
		for i := range m {
			f := feat[i*dim : (i+1)*dim]
			lg := logits[i*k : (i+1)*k]
			target := [3]int{}
			if c := classes[i]; c >= 0 {
				target = [3]int{c / 6, (c / 3) % 2, c % 3}
			} else {
				off := 0
				for t, size := range n.Spec.Heads() {
					for j := range size {
						if lg[off+j] > lg[off+target[t]] {
							target[t] = j
						}
					}
					off += size
				}
				classes[i] = target[0]*6 + target[1]*3 + target[2]
			}
			g := make([]float64, dim)
			for t := range heads {
				headGrad(layers[t], f, target[t], g)
			}
			mp := maps[i*h*w : (i+1)*h*w]
			for c := range ch {
				plane := a[(i*ch+c)*h*w : (i*ch+c+1)*h*w]
				for j, v := range plane {
					if pooled {
						mp[j] += float32(g[c] * float64(v) / float64(h*w))
					} else {
						mp[j] += float32(g[c*h*w+j] * float64(v))
					}
				}
			}
		}
	})
	return maps, h, w, logits, err
}

// headLayer is one dense layer of a head: weights (in × out) and bias.
type headLayer struct{ w, b *Param }

// headGrad adds to g the gradient, with respect to the head's input f,
// of the log-probability of class c at the head's output: the head's
// dense layers with a ReLU after each but the last, run forward on f,
// then back.
func headGrad(layers []headLayer, f []float32, c int, g []float64) {
	z, pre := headForward(layers, f)
	headBack(layers, z, pre, c, g)
}

// headForward runs a head's dense layers (a ReLU after each but the
// last) on f: its output z and each hidden layer's output before its
// ReLU.
func headForward(layers []headLayer, f []float32) (z []float64, pre [][]float64) {
	xs := [][]float64{make([]float64, len(f))} // each layer's input
	for i, v := range f {
		xs[0][i] = float64(v)
	}
	for l, ly := range layers {
		in, out := ly.w.Shape[0], ly.w.Shape[1]
		z = make([]float64, out)
		for o := range out {
			z[o] = float64(ly.b.Data[o])
		}
		x := xs[l]
		for r := range in {
			if x[r] == 0 {
				continue
			}
			row := ly.w.Data[r*out : (r+1)*out]
			for o, wv := range row {
				z[o] += x[r] * float64(wv)
			}
		}
		if l < len(layers)-1 {
			pre = append(pre, z)
			next := make([]float64, out)
			for o, v := range z {
				next[o] = max(v, 0)
			}
			xs = append(xs, next)
		}
	}
	return z, pre
}

// headBack adds to g the gradient of log softmax(z)_c with respect to
// the head's input, from headForward's z and pre.
func headBack(layers []headLayer, z []float64, pre [][]float64, c int, g []float64) {
	// ∂ log softmax(z)_c / ∂z = onehot(c) − softmax(z).
	top := z[0]
	for _, v := range z {
		top = max(top, v)
	}
	var sum float64
	for _, v := range z {
		sum += math.Exp(v - top)
	}
	delta := make([]float64, len(z))
	for o, v := range z {
		delta[o] = -math.Exp(v-top) / sum
	}
	delta[c]++
	for l := len(layers) - 1; l >= 0; l-- {
		ly := layers[l]
		in, out := ly.w.Shape[0], ly.w.Shape[1]
		back := make([]float64, in)
		for r := range in {
			row := ly.w.Data[r*out : (r+1)*out]
			var v float64
			for o, wv := range row {
				v += float64(wv) * delta[o]
			}
			back[r] = v
		}
		if l > 0 {
			for r := range back {
				if pre[l-1][r] <= 0 {
					back[r] = 0
				}
			}
		}
		delta = back
	}
	for i, v := range delta {
		g[i] += v
	}
}
