package models

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestCAMSplitsTheLogit: for cnn-s (a dense layer on the flattened map),
// vgg-s and resnet-s (global average pooling first), each image's map
// adds up to its class's logit less that class's bias; a change to the
// image's top-right corner changes the map's top-right cell and leaves
// its bottom cells as they were (the map's rows and columns are the
// image's, not transposed or flipped); a class past the model's is
// refused.
func TestCAMSplitsTheLogit(t *testing.T) {
	for _, name := range []string{"cnn-s", "vgg-s", "resnet-s"} {
		const side, m = 64, 3 // resnet-s sees about 44 pixels: at 32 its corner cells see each other
		n, err := New(Spec{Name: name, Batch: 4, W: side, H: side, Classes: 5, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 2))
		x := make([]float32, m*3*side*side)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		classes := []int{0, 3, 4}
		maps, h, w, logits, err := n.CAM(x, m, classes)
		if err != nil {
			t.Fatal(err)
		}
		if h != side/map[string]int{"cnn-s": 4, "vgg-s": 8, "resnet-s": 8}[name] || w != h {
			t.Errorf("%s: a %d×%d map", name, h, w)
		}
		bias, _ := n.Lookup("fc.bias")
		for i, c := range classes {
			var sum float64
			for _, v := range maps[i*h*w : (i+1)*h*w] {
				sum += float64(v)
			}
			want := float64(logits[i*5+c] - bias.Data[c])
			if math.Abs(sum-want) > 1e-4*max(1, math.Abs(want)) {
				t.Errorf("%s image %d: the map adds up to %.6f, the logit less its bias is %.6f", name, i, sum, want)
			}
		}
		// The top-right 4×4 pixels of the first image, in every channel:
		// the map's top-right cell changes, its bottom corners do not (a
		// transposed map would change its bottom-left cell).
		y := append([]float32(nil), x...)
		for ch := range 3 {
			for row := range 4 {
				for col := side - 4; col < side; col++ {
					y[(ch*side+row)*side+col] += 3
				}
			}
		}
		maps2, _, _, _, err := n.CAM(y, m, classes)
		if err != nil {
			t.Fatal(err)
		}
		if tr := w - 1; maps2[tr] == maps[tr] {
			t.Errorf("%s: the top-right cell did not change with the top-right pixels", name)
		}
		for _, c := range []int{(h - 1) * w, h*w - 1} {
			if maps2[c] != maps[c] {
				t.Errorf("%s: bottom cell %d changed with the top-right pixels: %v, %v", name, c, maps[c], maps2[c])
			}
		}
		// A negative class is the image's predicted one, written back.
		pick := []int{-1, -1, -1}
		if _, _, _, lg, err := n.CAM(x, m, pick); err != nil {
			t.Fatal(err)
		} else {
			for i, c := range pick {
				for o := range 5 {
					if lg[i*5+o] > lg[i*5+c] {
						t.Errorf("%s image %d: class %d given as the predicted one, %d scores higher", name, i, c, o)
					}
				}
			}
		}
		for j := h * w; j < len(maps); j++ {
			if maps2[j] != maps[j] {
				t.Fatalf("%s: another image's map changed", name)
			}
		}
	}
	one, err := New(Spec{Name: "cnn-s", Batch: 2, W: 16, H: 16, Classes: 5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := one.CAM(make([]float32, 3*16*16), 1, []int{5}); !errors.Is(err, ErrShape) {
		t.Errorf("a class past the model's: %v", err)
	}
}

// TestCAMOfTheHeads: for the multi-head models the heads run on the host
// give the net's own logits, the gradient carried back through them
// matches finite differences of the class's log-probability, and each
// image's map adds up to that gradient's dot product with its features
// (vgg-s-mh pools, cnn-s-mh flattens); a negative class is each head's
// most likely.
func TestCAMOfTheHeads(t *testing.T) {
	for _, name := range []string{"vgg-s-mh", "cnn-s-mh"} {
		const side, m = 32, 2
		n, err := New(Spec{Name: name, Batch: 2, W: side, H: side, Classes: 18, Seed: 7, HeadDepth: 2})
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(3, 4))
		x := make([]float32, m*3*side*side)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		classes := []int{13, -1} // none·M·30-59, and the predicted
		maps, h, w, logits, err := n.CAM(x, m, classes)
		if err != nil {
			t.Fatal(err)
		}
		emb, dim, _, err := n.Embed(x, m)
		if err != nil {
			t.Fatal(err)
		}
		var layers [3][]headLayer
		for t0, task := range []string{"mask", "gender", "age"} {
			for d := range 2 {
				wt, _ := n.Lookup(fmt.Sprintf("head.%s.%d.weight", task, d))
				b, _ := n.Lookup(fmt.Sprintf("head.%s.%d.bias", task, d))
				layers[t0] = append(layers[t0], headLayer{wt, b})
			}
			wt, _ := n.Lookup("head." + task + ".out.weight")
			b, _ := n.Lookup("head." + task + ".out.bias")
			layers[t0] = append(layers[t0], headLayer{wt, b})
		}
		for i := range m {
			f := emb[i*dim : (i+1)*dim]
			c := classes[i]
			target := [3]int{c / 6, (c / 3) % 2, c % 3}
			off := 0
			g := make([]float64, dim)
			logp := func(f []float32) float64 {
				var lp float64
				for t0 := range 3 {
					z, _ := headForward(layers[t0], f)
					top := math.Inf(-1)
					for _, v := range z {
						top = math.Max(top, v)
					}
					var s float64
					for _, v := range z {
						s += math.Exp(v - top)
					}
					lp += z[target[t0]] - top - math.Log(s)
				}
				return lp
			}
			for t0, size := range []int{3, 2, 3} {
				z, _ := headForward(layers[t0], f)
				best := 0
				for j := range size {
					if math.Abs(z[j]-float64(logits[i*8+off+j])) > 1e-4 {
						t.Errorf("%s: head %d output %d is %.6f on the host, %.6f in the net", name, t0, j, z[j], logits[i*8+off+j])
					}
					if z[j] > z[best] {
						best = j
					}
				}
				if i == 1 && best != target[t0] {
					t.Errorf("%s: the predicted class's head %d is %d, its most likely %d", name, t0, target[t0], best)
				}
				headGrad(layers[t0], f, target[t0], g)
				off += size
			}
			// Finite differences of the class's log-probability, on a few
			// of the features.
			for _, j := range []int{0, dim / 3, dim - 1} {
				const eps = 1e-2
				up, down := append([]float32(nil), f...), append([]float32(nil), f...)
				up[j] += eps
				down[j] -= eps
				num := (logp(up) - logp(down)) / (2 * eps)
				if math.Abs(num-g[j]) > 1e-3*max(1, math.Abs(num)) {
					t.Errorf("%s image %d: ∂log p/∂f[%d] = %.6f, finite differences %.6f", name, i, j, g[j], num)
				}
			}
			var sum, dot float64
			for _, v := range maps[i*h*w : (i+1)*h*w] {
				sum += float64(v)
			}
			for j := range f {
				dot += g[j] * float64(f[j])
			}
			if math.Abs(sum-dot) > 1e-3*max(1, math.Abs(dot)) {
				t.Errorf("%s image %d: the map adds up to %.6f, the gradient·features %.6f", name, i, sum, dot)
			}
		}
	}
}
