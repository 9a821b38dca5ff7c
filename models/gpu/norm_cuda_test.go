//go:build cuda || gpuemu

package gpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/maskdash/maskdash/models/ops/opstest"
)

// TestBatchNormOnTheGPU: cuDNN's BatchNorm in training, spatial and
// persistent, forward and backward, on the same inputs as a float64
// reference: every output within 1e-3 relative (the engine's goal for
// an op in float32), at the shapes of vgg-s's first layer at 64×64 and
// resnet-s's last stage.
func TestBatchNormOnTheGPU(t *testing.T) {
	d, err := Open(0, KernelsPath())
	if err != nil {
		t.Skip("no GPU here: ", err)
	}
	defer d.Close()
	r := rand.New(rand.NewPCG(3, 4))
	for _, sh := range [][4]int{{64, 32, 64, 64}, {16, 128, 4, 4}, {16, 64, 8, 8}} {
		for _, persistent := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v-persistent-%v", sh, persistent), func(t *testing.T) {
				// Each subtest is a goroutine of its own: it binds the
				// device's context to its thread itself.
				if err := d.Lock(); err != nil {
					t.Fatal(err)
				}
				defer d.Unlock()
				n, c, hw := sh[0], sh[1], sh[2]*sh[3]
				x, dy, gamma, beta := opstest.BatchNormInputs(r, n, c, hw)
				xt, err := d.NewTensor(n, c, sh[2], sh[3])
				if err != nil {
					t.Fatal(err)
				}
				defer xt.Free()
				cht, err := d.NewTensor(1, c, 1, 1)
				if err != nil {
					t.Fatal(err)
				}
				defer cht.Free()
				var bufs []Buffer
				alloc := func(k int) Buffer {
					b, err := d.Alloc(k)
					if err != nil {
						t.Fatal(err)
					}
					bufs = append(bufs, b)
					return b
				}
				defer func() {
					for _, b := range bufs {
						if err := d.Free(b); err != nil {
							t.Error(err)
						}
					}
				}()
				bx, by, bdy, bdx := alloc(len(x)), alloc(len(x)), alloc(len(x)), alloc(len(x))
				bg, bb, bdg, bdb, rm, rv := alloc(c), alloc(c), alloc(c), alloc(c), alloc(c), alloc(c)
				bn := &BatchNorm{X: xt, Ch: cht, Mean: alloc(c), InvStd: alloc(c), Momentum: 0.1, Eps: 1e-5, Persistent: persistent}
				for _, u := range []struct {
					b Buffer
					v []float32
				}{{bx, x}, {bdy, dy}, {bg, gamma}, {bb, beta}} {
					if err := Upload(d, u.b, u.v); err != nil {
						t.Fatal(err)
					}
				}
				if err := d.Zero(rm); err != nil {
					t.Fatal(err)
				}
				if err := d.Zero(rv); err != nil {
					t.Fatal(err)
				}
				if err := d.BatchNormTrain(bn, bx, by, bg, bb, rm, rv); err != nil {
					t.Fatal(err)
				}
				if err := d.BatchNormBackward(bn, bx, bdy, bdx, bg, bdg, bdb); err != nil {
					t.Fatal(err)
				}
				wy, wdx, wdg, wdb := opstest.BatchNormReference(x, dy, gamma, beta, n, c, hw, bn.Eps)
				for _, o := range []struct {
					name string
					b    Buffer
					want []float64
				}{{"y", by, wy}, {"dx", bdx, wdx}, {"dγ", bdg, wdg}, {"dβ", bdb, wdb}} {
					got := make([]float32, len(o.want))
					if err := Download(d, got, o.b); err != nil {
						t.Fatal(err)
					}
					e := opstest.RelErr64(got, o.want)
					t.Logf("%s: %.2g relative to float64", o.name, e)
					if e > 1e-3 {
						t.Errorf("%s: %.2g relative to float64", o.name, e)
					}
				}
			})
		}
	}
}
