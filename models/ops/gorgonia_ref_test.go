package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/maskdash/maskdash/models/ops/opstest"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// opResult is an op's output and the gradients of Σ y·c with respect to
// its inputs, computed through a Gorgonia graph.
type opResult struct {
	y, dx, dw []float32
}

func runOp(t *testing.T, xs, ws []int, xd, wd, c []float32, f func(x, w *G.Node) (*G.Node, error)) opResult {
	t.Helper()
	shapes, data := [][]int{xs}, [][]float32{xd}
	if ws != nil {
		shapes, data = append(shapes, ws), append(data, wd)
	}
	y, grads := dotGrads(t, shapes, data, c, func(in G.Nodes) (*G.Node, error) {
		var w *G.Node
		if len(in) > 1 {
			w = in[1]
		}
		return f(in[0], w)
	})
	r := opResult{y: y, dx: grads[0]}
	if ws != nil {
		r.dw = grads[1]
	}
	return r
}

// dotGrads builds f over inputs of the given shapes and values in a
// Gorgonia graph and runs it: f's output and the gradients of Σ y·c with
// respect to each input.
func dotGrads(t *testing.T, shapes [][]int, data [][]float32, c []float32, f func(G.Nodes) (*G.Node, error)) ([]float32, [][]float32) {
	t.Helper()
	g := G.NewGraph()
	mk := func(shape []int, d []float32, name string) *G.Node {
		return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float32(nil), d...)))))
	}
	var in G.Nodes
	for i, sh := range shapes {
		in = append(in, mk(sh, data[i], fmt.Sprintf("in%d", i)))
	}
	y, err := f(in)
	if err != nil {
		t.Fatal(err)
	}
	prod, err := G.HadamardProd(y, mk(y.Shape(), c, "c"))
	if err != nil {
		t.Fatal(err)
	}
	cost, err := G.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(cost, in...)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	cp := func(n *G.Node) []float32 { return append([]float32(nil), n.Value().Data().([]float32)...) }
	var gs [][]float32
	for _, gr := range grads {
		gs = append(gs, cp(gr))
	}
	return cp(y), gs
}

// TestOpsMatchGorgonia compares the convolution and max-pool ops, values
// and gradients, with Gorgonia's own Conv2d and MaxPool2D.
func TestOpsMatchGorgonia(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	xs, ws := []int{2, 3, 8, 8}, []int{4, 3, 3, 3}
	xd, wd := opstest.RandInput(r, 2*3*8*8), opstest.RandInput(r, 4*3*3*3)
	c := opstest.RandInput(r, 2*4*8*8)
	ours := runOp(t, xs, ws, xd, wd, c, func(x, w *G.Node) (*G.Node, error) { return G.ApplyOp(newConv2dOp(3, 1), x, w) })
	theirs := runOp(t, xs, ws, xd, wd, c, func(x, w *G.Node) (*G.Node, error) {
		return G.Conv2d(x, w, tensor.Shape{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1})
	})
	opstest.Near(t, "conv y", ours.y, theirs.y)
	opstest.Near(t, "conv dx", ours.dx, theirs.dx)
	opstest.Near(t, "conv dw", ours.dw, theirs.dw)

	cp := opstest.RandInput(r, 2*3*4*4)
	ours = runOp(t, xs, nil, xd, nil, cp, func(x, _ *G.Node) (*G.Node, error) { return G.ApplyOp(&MaxPool2Op{opBase: newBase("mp")}, x) })
	theirs = runOp(t, xs, nil, xd, nil, cp, func(x, _ *G.Node) (*G.Node, error) {
		return G.MaxPool2D(x, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2})
	})
	opstest.Near(t, "maxpool y", ours.y, theirs.y)
	opstest.Near(t, "maxpool dx", ours.dx, theirs.dx)
}
