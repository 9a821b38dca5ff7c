package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/maskdash/maskdash/models/ops/opstest"
	G "gorgonia.org/gorgonia"
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
			x, dy, gamma, beta := opstest.BatchNormInputs(r, n, c, hw)
			st := &BNStats{Mean: make([]float32, c), Var: make([]float32, c), Momentum: 0.1, Eps: 1e-5}
			for i := range st.Var {
				st.Var[i] = 1
			}
			y, grads := dotGrads(t, [][]int{sh[:], {c}, {c}}, [][]float32{x, gamma, beta}, dy, func(in G.Nodes) (*G.Node, error) {
				return BatchNorm(in[0], in[1], in[2], st, true, false)
			})
			wy, wdx, wdg, wdb := opstest.BatchNormReference(x, dy, gamma, beta, n, c, hw, 1e-5)
			for _, o := range []struct {
				name string
				got  []float32
				want []float64
			}{{"y", y, wy}, {"dx", grads[0], wdx}, {"dγ", grads[1], wdg}, {"dβ", grads[2], wdb}} {
				if e := opstest.RelErr64(o.got, o.want); e > 1e-5 {
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
