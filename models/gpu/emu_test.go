//go:build gpuemu && !cuda

package gpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/models/cudakern"
	"github.com/maskdash/maskdash/models/ops/opstest"
)

// directConv is the convolution by its definition (float64 sums): y, and
// given dy, dx and dw.
func directConv(s ConvShape, x, w, dy []float32) (y, dx, dw []float32) {
	ho, wo := s.H+2*s.Pad-s.R+1, s.W+2*s.Pad-s.R+1
	y = make([]float32, s.N*s.K*ho*wo)
	dx64, dw64 := make([]float64, len(x)), make([]float64, len(w))
	for n := range s.N {
		for k := range s.K {
			for oy := range ho {
				for ox := range wo {
					o := ((n*s.K+k)*ho+oy)*wo + ox
					sum := 0.0
					for c := range s.C {
						for ky := range s.R {
							for kx := range s.R {
								iy, ix := oy+ky-s.Pad, ox+kx-s.Pad
								if iy < 0 || iy >= s.H || ix < 0 || ix >= s.W {
									continue
								}
								xi, wi := ((n*s.C+c)*s.H+iy)*s.W+ix, ((k*s.C+c)*s.R+ky)*s.R+kx
								sum += float64(x[xi]) * float64(w[wi])
								dx64[xi] += float64(dy[o]) * float64(w[wi])
								dw64[wi] += float64(dy[o]) * float64(x[xi])
							}
						}
					}
					y[o] = float32(sum)
				}
			}
		}
	}
	dx, dw = make([]float32, len(x)), make([]float32, len(w))
	for i, v := range dx64 {
		dx[i] = float32(v)
	}
	for i, v := range dw64 {
		dw[i] = float32(v)
	}
	return y, dx, dw
}

// TestEmulatedConv: the emulator's convolutions, float32 NCHW and
// bfloat16 NHWC, against the definition.
func TestEmulatedConv(t *testing.T) {
	d, _ := Open(0, KernelsPath())
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range []ConvShape{{N: 2, C: 3, H: 7, W: 5, K: 4, R: 3, Pad: 1}, {N: 16, C: 128, H: 8, W: 8, K: 128, R: 3, Pad: 1},
		{N: 3, C: 5, H: 6, W: 6, K: 2, R: 1}} {
		for _, bf16 := range []bool{false, true} {
			s.BF16 = bf16
			t.Run(fmt.Sprint(s), func(t *testing.T) {
				ho, wo := s.H+2*s.Pad-s.R+1, s.W+2*s.Pad-s.R+1
				rnd := func(n int) []float32 {
					v := make([]float32, n)
					for i := range v {
						v[i] = float32(r.NormFloat64())
					}
					if bf16 { // values bfloat16 holds exactly
						b, _ := d.Alloc((n + 1) / 2)
						writeAs(b, 1, 1, n, true, v)
						v = readAs(b, 1, 1, n, true)
						if err := d.Free(b); err != nil {
							t.Fatal(err)
						}
					}
					return v
				}
				x, w, dy := rnd(s.N*s.C*s.H*s.W), rnd(s.K*s.C*s.R*s.R), rnd(s.N*s.K*ho*wo)
				words := func(n int) int {
					if bf16 {
						return (n + 1) / 2
					}
					return n
				}
				buf := func(v []float32, n, c, hw int) Buffer {
					b, _ := d.Alloc(words(n * c * hw))
					writeAs(b, n, c, hw, bf16, v)
					return b
				}
				xb, wb, dyb := buf(x, s.N, s.C, s.H*s.W), buf(w, s.K, s.C, s.R*s.R), buf(dy, s.N, s.K, ho*wo)
				yb, _ := d.Alloc(words(len(dy)))
				dxb, _ := d.Alloc(words(len(x)))
				dwb, _ := d.Alloc(words(len(w)))
				cv, _ := d.NewConv(s, xb, wb, yb, dxb, dwb)
				if err := d.ConvForward(cv, xb, wb, yb); err != nil {
					t.Fatal(err)
				}
				if err := d.ConvBackwardData(cv, wb, dyb, dxb); err != nil {
					t.Fatal(err)
				}
				if err := d.ConvBackwardFilter(cv, xb, dyb, dwb); err != nil {
					t.Fatal(err)
				}
				if err := d.Sync(); err != nil { // the queued calls run
					t.Fatal(err)
				}
				y, dx, dw := directConv(s, x, w, dy)
				tol := 1e-5
				if bf16 {
					tol = 4e-3
				}
				for _, c := range []struct {
					name     string
					b        Buffer
					want     []float32
					n, c, hw int
				}{{"y", yb, y, s.N, s.K, ho * wo}, {"dx", dxb, dx, s.N, s.C, s.H * s.W}, {"dw", dwb, dw, s.K, s.C, s.R * s.R}} {
					if e := opstest.RelErr(readAs(c.b, c.n, c.c, c.hw, bf16), c.want); e > tol {
						t.Errorf("%s: %.2g relative", c.name, e)
					}
				}
			})
		}
	}
}

// TestEmulatedStreamIsDeferred: queued calls run when something waits,
// in order; an upload from pinned memory reads it then, one from
// pageable memory when asked; a kernel's result shows only after a wait.
func TestEmulatedStreamIsDeferred(t *testing.T) {
	d, _ := Open(0, KernelsPath())
	b, _ := d.Alloc(4)
	p, _ := d.AllocPinned(4)
	defer func() {
		d.FreePinned(p)
		if err := d.Free(b); err != nil {
			t.Error(err)
		}
	}()
	copy(p.Floats(), []float32{1, 2, 3, 4})
	if err := d.UploadPinned(b, p, 4, 0); err != nil {
		t.Fatal(err)
	}
	copy(p.Floats(), []float32{5, 6, 7, 8}) // before the device has read it
	if got := b.floats()[0]; !math.IsNaN(float64(got)) {
		t.Fatalf("the queued upload ran before anything waited: %v", got)
	}
	if err := d.Launch("md_relu_fwd", 4, 4, b, b); err != nil {
		t.Fatal(err)
	}
	src := []float32{-1, 9, -1, 9}
	if err := Upload(d, b.At(2), src[:2]); err != nil {
		t.Fatal(err)
	}
	src[0] = 100 // pageable memory: staged when asked
	got := make([]float32, 4)
	if err := Download(d, got, b); err != nil {
		t.Fatal(err)
	}
	if want := []float32{5, 6, -1, 9}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after the queue ran: %v, want %v", got, want)
	}
}

// TestEmulatedLaunchChecksArguments: a launch whose arguments do not
// match the kernel's parameters in order and kind is refused, naming the
// argument, as a GPU would have run it on garbage.
func TestEmulatedLaunchChecksArguments(t *testing.T) {
	d, _ := Open(0, KernelsPath())
	b, _ := d.Alloc(4)
	defer func() {
		if err := d.Free(b); err != nil {
			t.Error(err)
		}
	}()
	for _, c := range []struct {
		args []any
		want string
	}{
		{[]any{4, b, b}, ""},
		{[]any{b, 4, b}, "argument 0 is a Buffer where the kernel takes an int"},
		{[]any{4, b}, "2 arguments for 3 parameters"},
		{[]any{4, b, float32(1)}, "argument 2 is a float32 where the kernel takes a Buffer"},
	} {
		err := d.Launch("md_relu_fwd", 4, c.args...)
		if (err == nil) != (c.want == "") || err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
	// md_bnr_stats takes two floats where md_adam takes doubles.
	if err := d.Launch("md_bnr_stats", 1, 1, 1, b, b, 1e-5, 0.1, b, b, b, b); err == nil ||
		!strings.Contains(err.Error(), "argument 4 is a float64 where the kernel takes a float32") {
		t.Errorf("md_bnr_stats with doubles: %v", err)
	}
}

// TestEmulatorHasEveryKernel: every kernel a cuda build loads
// (cudakern.Names) is in the emulator's table, so that an emulated run
// fails no step for a kernel added to kernels.cu alone.
func TestEmulatorHasEveryKernel(t *testing.T) {
	d, err := Open(0, KernelsPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range cudakern.Names {
		if _, err := d.kernel(name); err != nil {
			t.Error(err)
		}
	}
}
