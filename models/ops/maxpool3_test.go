package ops

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/maskdash/maskdash/internal/pyref"
	G "gorgonia.org/gorgonia"
)

// TestMaxPool3AndSubsampleMatchPyTorch: MaxPool3 is PyTorch's
// max_pool2d(3, stride 2, padding 1) and Subsample x[:, :, ::2, ::2],
// values and gradients, on even and odd sizes, with inputs of three
// values only so that most windows hold ties: a tie's gradient goes where
// PyTorch sends it (the first largest value in row order).
func TestMaxPool3AndSubsampleMatchPyTorch(t *testing.T) {
	const script = `
import json, sys, torch, torch.nn.functional as F
d = json.load(sys.stdin)
out = []
for c in d["cases"]:
    x = torch.tensor(c["x"], dtype=torch.float32).reshape(c["shape"]).requires_grad_()
    y = F.max_pool2d(x, 3, 2, 1)
    (y * torch.tensor(c["c"], dtype=torch.float32).reshape(y.shape)).sum().backward()
    s = x.detach()[:, :, ::2, ::2]
    out.append({"y": y.detach().flatten().tolist(), "dx": x.grad.flatten().tolist(), "sub": s.flatten().tolist()})
json.dump(out, sys.stdout)`
	type tcase struct {
		Shape []int     `json:"shape"`
		X     []float32 `json:"x"`
		C     []float32 `json:"c"`
	}
	r := rand.New(rand.NewPCG(7, 8))
	var cases []tcase
	for _, hw := range [][2]int{{8, 8}, {5, 7}, {3, 3}, {2, 1}} {
		shape := []int{2, 3, hw[0], hw[1]}
		n := 2 * 3 * hw[0] * hw[1]
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.IntN(3))
		}
		c := make([]float32, 2*3*subsampled(hw[0])*subsampled(hw[1]))
		for i := range c {
			c[i] = float32(r.NormFloat64())
		}
		cases = append(cases, tcase{shape, x, c})
	}
	var want []struct{ Y, Dx, Sub []float32 }
	pyref.Run(t, "torch", "python3-torch", script, map[string]any{"cases": cases}, &want)
	for i, c := range cases {
		pool := runOp(t, c.Shape, nil, c.X, nil, c.C, func(x, _ *G.Node) (*G.Node, error) { return MaxPool3(x) })
		if !slices.Equal(pool.y, want[i].Y) || !slices.Equal(pool.dx, want[i].Dx) {
			t.Errorf("%v: max pool %v, dx %v; PyTorch %v, %v", c.Shape, pool.y, pool.dx, want[i].Y, want[i].Dx)
		}
		sub := runOp(t, c.Shape, nil, c.X, nil, c.C, func(x, _ *G.Node) (*G.Node, error) { return Subsample(x) })
		if !slices.Equal(sub.y, want[i].Sub) {
			t.Errorf("%v: subsample %v, PyTorch %v", c.Shape, sub.y, want[i].Sub)
		}
		// Its gradient: c where a value was kept, 0 elsewhere.
		h, w := c.Shape[2], c.Shape[3]
		ho, wo := subsampled(h), subsampled(w)
		for p := range 6 {
			for y := range h {
				for x := range w {
					var g float32
					if y%2 == 0 && x%2 == 0 {
						g = c.C[p*ho*wo+y/2*wo+x/2]
					}
					if got := sub.dx[p*h*w+y*w+x]; got != g {
						t.Fatalf("%v: subsample's gradient at plane %d (%d, %d) is %v, want %v", c.Shape, p, y, x, got, g)
					}
				}
			}
		}
	}
}
