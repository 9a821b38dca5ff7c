package ops

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/maskdash/maskdash/models/ops/opstest"
)

// TestWinogradMatchesIm2col: the F(2×2,3×3) forward pass gives the
// im2col convolution's output, on square and non-square images, with and
// without a tail of tiles past the last group of eight; and the build's
// transforms (C in the openblas build) equal the Go ones exactly (they
// only add and subtract, in the same order).
func TestWinogradMatchesIm2col(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	for _, s := range []struct{ c, o, h, w int }{{16, 8, 32, 32}, {5, 7, 2, 2}, {20, 12, 34, 36}, {3, 4, 6, 50}, {32, 64, 64, 64}} {
		x := opstest.RandInput(r, s.c*s.h*s.w)
		g := opstest.RandInput(r, s.o*s.c*9)
		want := make([]float32, s.o*s.h*s.w)
		col := make([]float32, s.c*9*s.h*s.w)
		im2col(x, col, s.c, s.h, s.w, 3, 1, s.h, s.w, s.h*s.w)
		sgemm(false, false, s.o, s.h*s.w, s.c*9, 1, g, col, 0, want)

		u := make([]float32, 16*s.o*s.c)
		winoKernel(u, g, s.o, s.c)
		got := make([]float32, len(want))
		winoForward(got, x, u, s.c, s.o, s.h, s.w)
		var worst float64
		for i := range want {
			d := math.Abs(float64(got[i]-want[i])) / math.Max(1, math.Abs(float64(want[i])))
			worst = max(worst, d)
		}
		if worst > 1e-4 { // im2col itself rounds at about 1e-6 per product
			t.Errorf("%+v: Winograd differs from im2col by %.2g (relative)", s, worst)
		}

		tiles := (s.h / 2) * (s.w / 2)
		v1, v2 := make([]float32, 16*s.c*tiles), make([]float32, 16*s.c*tiles)
		kWinoIn(v1, x, s.c, s.h, s.w)
		goWinoIn(v2, x, s.c, s.h, s.w)
		if !slices.Equal(v1, v2) {
			t.Errorf("%+v: input transform differs from Go's", s)
		}
		m := opstest.RandInput(r, 16*s.o*tiles)
		y1, y2 := make([]float32, s.o*s.h*s.w), make([]float32, s.o*s.h*s.w)
		kWinoOut(y1, m, s.o, s.h, s.w)
		goWinoOut(y2, m, s.o, s.h, s.w)
		if !slices.Equal(y1, y2) {
			t.Errorf("%+v: output transform differs from Go's", s)
		}
	}
}

// TestWinogradChosenForVGG: vgg-s's convolutions after the first take the
// Winograd path at 64×64, and the Winograd switch turns it off.
func TestWinogradChosenForVGG(t *testing.T) {
	op := newConv2dOp(3, 1)
	if !op.winograd(32, 64, 64, 64, 64) || !op.winograd(64, 32, 32, 32, 32) {
		t.Error("vgg-s's conv2 to conv4 shapes should take the Winograd path")
	}
	if op.winograd(3, 64, 64, 64, 64) || op.winograd(64, 16, 16, 16, 16) || op.winograd(32, 63, 64, 63, 64) {
		t.Error("3 channels, 64 tiles or an odd size should stay im2col")
	}
	if k5 := newConv2dOp(5, 2); k5.winograd(32, 64, 64, 64, 64) {
		t.Error("a 5×5 kernel should stay im2col")
	}
	defer func(v bool) { Winograd = v }(Winograd)
	Winograd = false
	if op.winograd(32, 64, 64, 64, 64) {
		t.Error("Winograd = false should turn the Winograd path off")
	}
}

// TestWinogradKernelGradient: the kernel gradient in Winograd's domain
// (winoGradAdd over two images, then winoGradFold) equals the direct one
// (dW = dy · im2col(x)ᵀ) to float32 rounding, on shapes with tails of
// tiles past the last eight, fewer than eight tiles a row, and channel
// counts that are not multiples of the panels; and the build's dy
// transform (assembly in the default build) equals the Go one bit for bit.
func TestWinogradKernelGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 7))
	for _, s := range []struct{ c, o, h, w int }{{16, 8, 32, 32}, {32, 32, 64, 64}, {5, 7, 4, 6}, {20, 12, 34, 36}, {3, 33, 6, 50}} {
		hw := s.h * s.w
		want := make([]float32, s.o*s.c*9)
		zt := make([]float32, 16*s.c*s.o)
		for range 2 {
			x, dy := opstest.RandInput(r, s.c*hw), opstest.RandInput(r, s.o*hw)
			col := make([]float32, s.c*9*hw)
			im2col(x, col, s.c, s.h, s.w, 3, 1, s.h, s.w, hw)
			sgemm(false, true, s.o, s.c*9, hw, 1, dy, col, 1, want)
			winoGradAdd(zt, x, dy, s.c, s.o, s.h, s.w)

			ld := colStride((s.h / 2) * (s.w / 2))
			a, b := make([]float32, 16*s.o*ld), make([]float32, 16*s.o*ld)
			kWinoDy(a, dy, s.o, s.h, s.w, ld)
			goWinoDy(b, dy, s.o, s.h, s.w, ld)
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("%+v: the build's dy transform differs from Go's at %d: %v, %v", s, i, a[i], b[i])
				}
			}
		}
		got := make([]float32, len(want))
		winoGradFold(got, zt, s.o, s.c)
		var worst, scale float64
		for i := range want {
			worst = max(worst, math.Abs(float64(got[i]-want[i])))
			scale = max(scale, math.Abs(float64(want[i])))
		}
		if worst > 1e-5*scale {
			t.Errorf("%+v: Winograd's kernel gradient differs from the direct one by %.2g of %.2g", s, worst, scale)
		}
	}
}

// TestWinogradPanels: the input transform written as the SGEMM's panels
// (the default build on x86-64) holds exactly the values of the plain one,
// where the panel layout (vLayout) puts them, for tiles that end a panel inside
// a row of tiles, rows shorter than a panel and tails past eight tiles.
func TestWinogradPanels(t *testing.T) {
	if kWinoInPanels == nil {
		t.Skip("this build has no panel-writing input transform (the product packs V itself)")
	}
	r := rand.New(rand.NewPCG(8, 9))
	for _, s := range []struct{ c, h, w int }{{3, 64, 64}, {5, 34, 36}, {2, 6, 50}, {4, 16, 16}, {3, 4, 6}} {
		x := opstest.RandInput(r, s.c*s.h*s.w)
		tn := (s.h / 2) * (s.w / 2)
		plain := make([]float32, 16*s.c*tn)
		kWinoIn(plain, x, s.c, s.h, s.w)
		for _, nr := range []int{8, 24, 48} {
			tp := (tn + nr - 1) / nr * nr
			got := make([]float32, 16*s.c*tp)
			kWinoInPanels(got, x, s.c, s.h, s.w, nr)
			for k := range 16 {
				for ci := range s.c {
					for tt := range tn {
						want := plain[k*s.c*tn+ci*tn+tt]
						if g := got[k*s.c*tp+tt/nr*s.c*nr+ci*nr+tt%nr]; g != want {
							t.Fatalf("%+v nr %d: V[%d][%d][%d] = %v, want %v", s, nr, k, ci, tt, g, want)
						}
					}
				}
			}
		}
	}
}

// TestDotNT: the build's V·Wᵀ kernel (assembly in the default build)
// against plain sums, on shapes with rows and columns past its blocks, an
// inner dimension shorter than a vector and with a tail, row strides past
// the width, and slices off a 32-byte boundary.
func TestDotNT(t *testing.T) {
	if kDotNT == nil {
		t.Skip("this build has no V·Wᵀ kernel (the BLAS does Winograd's kernel gradient)")
	}
	r := rand.New(rand.NewPCG(10, 11))
	for _, s := range [][3]int{{4, 4, 16}, {5, 7, 3}, {8, 12, 1024}, {33, 31, 306}, {2, 4, 40}, {1, 1, 17}} {
		m, n, k := s[0], s[1], s[2]
		ldv, ldw, ldz := k+3, k+5, n+2
		v, w := opstest.RandInput(r, m*ldv+1)[1:], opstest.RandInput(r, n*ldw+3)[3:]
		z := opstest.RandInput(r, m*ldz)
		want := append([]float32(nil), z...)
		kDotNT(z, v, w, m, n, k, ldz, ldv, ldw)
		for i := range m {
			for j := range n {
				var d float64
				for q := range k {
					d += float64(v[i*ldv+q]) * float64(w[j*ldw+q])
				}
				want[i*ldz+j] += float32(d)
			}
		}
		for i := range z {
			if math.Abs(float64(z[i]-want[i])) > 1e-4*math.Sqrt(float64(k))*(1+math.Abs(float64(want[i]))) {
				t.Fatalf("%v: z[%d] = %v, want %v", s, i, z[i], want[i])
			}
		}
	}
}
