package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/maskdash/maskdash/models/ops/opstest"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestBatchNormMatchesFloat64: the BatchNorm op in training, forward and
// backward (dx, dγ, dβ of Σ y·dy), within 1e-5 of BatchNorm in float64
// (opstest.BatchNormReference, the reference TestBatchNormOnTheGPU holds
// cuDNN to), and the running statistics moved by PyTorch's rule.
func TestBatchNormMatchesFloat64(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, sh := range [][4]int{{4, 3, 5, 7}, {2, 8, 16, 16}, {16, 16, 4, 4}} {
		t.Run(fmt.Sprint(sh), func(t *testing.T) {
			n, c, hw := sh[0], sh[1], sh[2]*sh[3]
			x, dy := make([]float32, n*c*hw), make([]float32, n*c*hw)
			gamma, beta := make([]float32, c), make([]float32, c)
			for ch := range c {
				gamma[ch], beta[ch] = float32(0.5+r.Float64()), float32(r.NormFloat64())
			}
			for i := range x {
				ch := (i / hw) % c
				x[i] = float32(r.NormFloat64()*(1+float64(ch%5)) + float64(ch%3))
				dy[i] = float32(r.NormFloat64())
			}
			g := G.NewGraph()
			mk := func(d []float32, name string, shape ...int) *G.Node {
				return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
					G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float32(nil), d...)))))
			}
			xn, gn, bn := mk(x, "x", sh[:]...), mk(gamma, "gamma", c), mk(beta, "beta", c)
			st := &BNStats{Mean: make([]float32, c), Var: make([]float32, c), Momentum: 0.1, Eps: 1e-5}
			for i := range st.Var {
				st.Var[i] = 1
			}
			y, err := BatchNorm(xn, gn, bn, st, true, false)
			if err != nil {
				t.Fatal(err)
			}
			prod, err := G.HadamardProd(y, mk(dy, "dy", sh[:]...))
			if err != nil {
				t.Fatal(err)
			}
			cost, err := G.Sum(prod)
			if err != nil {
				t.Fatal(err)
			}
			grads, err := G.Grad(cost, xn, gn, bn)
			if err != nil {
				t.Fatal(err)
			}
			vm := G.NewTapeMachine(g)
			defer vm.Close()
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			wy, wdx, wdg, wdb := opstest.BatchNormReference(x, dy, gamma, beta, n, c, hw, 1e-5)
			for _, o := range []struct {
				name string
				got  *G.Node
				want []float64
			}{{"y", y, wy}, {"dx", grads[0], wdx}, {"dγ", grads[1], wdg}, {"dβ", grads[2], wdb}} {
				if e := opstest.RelErr64(Float32s(o.got.Value()), o.want); e > 1e-5 {
					t.Errorf("%s: %.2g relative to float64", o.name, e)
				}
			}
			// The running mean moved a tenth of the way to the batch's.
			var mu float64
			for img := range n {
				for j := range hw {
					mu += float64(x[img*c*hw+j])
				}
			}
			mu /= float64(n * hw)
			if d := float64(st.Mean[0]) - 0.1*mu; d > 1e-5 || d < -1e-5 {
				t.Errorf("running mean of channel 0: %v, want %v", st.Mean[0], 0.1*mu)
			}
		})
	}
}
