package models

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// TestCAMSplitsTheLogit: for cnn-s (a dense layer on the flattened map),
// vgg-s and resnet-s (global average pooling first), each image's map
// adds up to its class's logit less that class's bias; a change to the
// image's top-right corner changes the map's top-right cell and leaves
// its bottom cells as they were (the map's rows and columns are the
// image's, not transposed or flipped); a multi-head model is refused.
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
	mh, err := New(Spec{Name: "cnn-s-mh", Batch: 2, W: 16, H: 16, Classes: 18, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := mh.CAM(make([]float32, 3*16*16), 1, []int{0}); !errors.Is(err, ErrCAMHead) {
		t.Errorf("a multi-head model: %v", err)
	}
}
