package cudakern

import (
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// bf16Ref rounds f to 8 significant bits, ties to even, through
// math/big: an implementation independent of kernel.h's bit arithmetic
// (for normal numbers; bfloat16 keeps float32's exponent range).
func bf16Ref(f float32) float32 {
	g, _ := new(big.Float).SetPrec(8).SetMode(big.ToNearestEven).SetFloat64(float64(f)).Float32()
	return g
}

// TestBF16Rounding: f2bf rounds as math/big does, ties to even, and keeps
// zeros, infinities and NaN; bf2f widens exactly.
func TestBF16Rounding(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(f float32) {
		t.Helper()
		got := F32(BF16(f))
		if want := bf16Ref(f); got != want && !(math.IsNaN(float64(f)) && math.IsNaN(float64(got))) {
			t.Fatalf("bf16(%g = %#08x) = %g, want %g", f, math.Float32bits(f), got, want)
		}
	}
	for range 100000 {
		f := math.Float32frombits(r.Uint32())
		if math.IsNaN(float64(f)) || math.Abs(float64(f)) < 0x1p-126 {
			continue // NaN and subnormals below
		}
		check(f)
		// A tie: half way between two bfloat16s.
		check(math.Float32frombits(math.Float32bits(f)&0xffff0000 | 0x8000))
	}
	for _, f := range []float32{0, float32(math.Copysign(0, -1)), 1, -1, math.MaxFloat32, -math.MaxFloat32, 3.0e38} {
		check(f)
	}
	for _, f := range []float64{math.Inf(1), math.Inf(-1)} {
		if got := F32(BF16(float32(f))); float64(got) != f {
			t.Errorf("bf16(%v) = %v", f, got)
		}
	}
	if got := F32(BF16(float32(math.NaN()))); !math.IsNaN(float64(got)) {
		t.Errorf("bf16(NaN) = %v", got)
	}
	// A subnormal rounds on the same 2⁻¹³³ grid as bfloat16's own.
	if got := F32(BF16(math.Float32frombits(0x00008001))); got != math.Float32frombits(0x00010000) {
		t.Errorf("bf16 of a subnormal: %g", got)
	}
	for h := range 1 << 16 {
		if u := uint16(h); BF16(F32(u)) != u && !math.IsNaN(float64(F32(u))) {
			t.Fatalf("bf16(bf2f(%#04x)) = %#04x", u, BF16(F32(u)))
		}
	}
}

// bf16Slice is s rounded to bfloat16, as bits and as float32 values.
func bf16Slice(s []float32) ([]uint16, []float32) {
	h, f := make([]uint16, len(s)), make([]float32, len(s))
	for i, v := range s {
		h[i] = BF16(v)
		f[i] = F32(h[i])
	}
	return h, f
}

// nhwc is NCHW float32 x [n, c, hw] rounded into NHWC bf16 by ToNHWC,
// and back as NCHW float32 (the rounded values, for the float32 kernels).
func nhwc(x []float32, n, c, hw int) ([]uint16, []float32) {
	h, back := make([]uint16, len(x)), make([]float32, len(x))
	ToNHWC(x, n, c, hw, h)
	ToNCHW(h, n, c, hw, back)
	return h, back
}

// widen is NHWC bf16 as NCHW float32.
func widen(h []uint16, n, c, hw int) []float32 {
	out := make([]float32, len(h))
	ToNCHW(h, n, c, hw, out)
	return out
}

// nearBF16 holds got (bf16, NCHW after widen) to want (float32 from the
// float32 kernels on the same inputs) within two bfloat16 steps of the
// larger of the value and scale·2⁻⁸ (a sum that cancels loses its
// relative precision, not its absolute one).
func nearBF16(t *testing.T, what string, got, want []float32, scale float64) {
	t.Helper()
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if d > 2*0x1p-8*max(math.Abs(float64(want[i])), scale*0x1p-8) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestBF16Layouts: ToNHWC puts x[b][ch][p] at y[(b·hw + p)·c + ch] and
// rounds it; ToNCHW undoes it exactly.
func TestBF16Layouts(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n, c, hw := 3, 5, 7
	x := randSlice(r, n*c*hw, 4)
	h, back := nhwc(x, n, c, hw)
	for b := range n {
		for ch := range c {
			for p := range hw {
				if got, want := h[(b*hw+p)*c+ch], BF16(x[(b*c+ch)*hw+p]); got != want {
					t.Fatalf("y at image %d channel %d position %d = %#04x, want %#04x", b, ch, p, got, want)
				}
			}
		}
	}
	for i := range x {
		if back[i] != F32(BF16(x[i])) {
			t.Fatalf("round trip [%d]: %v, want %v", i, back[i], F32(BF16(x[i])))
		}
	}
}

// TestBF16Padding: PadNHWC is ToNHWC with zero channels past c, and
// UnpadNCHW reads the first c channels of each position back exactly.
func TestBF16Padding(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	n, c, cp, hw := 3, 3, 8, 5
	x := randSlice(r, n*c*hw, 4)
	plain, _ := nhwc(x, n, c, hw)
	padded := make([]uint16, n*cp*hw)
	for i := range padded {
		padded[i] = 0xffff // a NaN: every value must be written
	}
	PadNHWC(x, n, c, cp, hw, padded)
	for pos := range n * hw {
		for ch := range cp {
			got := padded[pos*cp+ch]
			want := uint16(0)
			if ch < c {
				want = plain[pos*c+ch]
			}
			if got != want {
				t.Fatalf("position %d channel %d = %#04x, want %#04x", pos, ch, got, want)
			}
		}
	}
	back := make([]float32, n*c*hw)
	UnpadNCHW(padded, n, c, cp, hw, back)
	for i := range x {
		if back[i] != F32(BF16(x[i])) {
			t.Fatalf("round trip [%d]: %v, want %v", i, back[i], F32(BF16(x[i])))
		}
	}
}

// TestBF16Elementwise: ReLU, its gradient, the sum, bias and activation
// and the per-channel sums as float32 arithmetic on the same values.
func TestBF16Elementwise(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	m, c := 50, 24
	ah, af := bf16Slice(randSlice(r, m*c, 3))
	bh, bf := bf16Slice(randSlice(r, m*c, 3))
	bias := randSlice(r, c, 1)
	y := make([]uint16, m*c)
	ReLUH(ah, y)
	for i := range y {
		if want := BF16(max(af[i], 0)); y[i] != want {
			t.Fatalf("relu[%d] = %#04x, want %#04x", i, y[i], want)
		}
	}
	ReLUBackwardH(ah, bh, y)
	for i := range y {
		want := uint16(0)
		if af[i] > 0 {
			want = bh[i]
		}
		if y[i] != want {
			t.Fatalf("relu backward[%d] = %#04x, want %#04x", i, y[i], want)
		}
	}
	mask := make([]float32, m*c)
	for i := range mask {
		if r.IntN(3) > 0 {
			mask[i] = 1.5
		}
	}
	MulHF(ah, mask, y)
	for i := range y {
		if want := BF16(af[i] * mask[i]); y[i] != want {
			t.Fatalf("mul[%d] = %#04x, want %#04x", i, y[i], want)
		}
	}
	AddH(ah, bh, y)
	for i := range y {
		if want := BF16(af[i] + bf[i]); y[i] != want {
			t.Fatalf("add[%d] = %#04x, want %#04x", i, y[i], want)
		}
	}
	for _, relu := range []bool{false, true} {
		BiasActH(ah, m, c, bias, relu, y)
		for i := range y {
			v := af[i] + bias[i%c]
			if relu {
				v = max(v, 0)
			}
			if want := BF16(v); y[i] != want {
				t.Fatalf("bias act (relu %v)[%d] = %#04x, want %#04x", relu, i, y[i], want)
			}
		}
	}
	for _, chunks := range []int{1, 7, m} {
		got := ChanSumsH(ah, m, c, chunks)
		want := make([]float32, c)
		BiasGrad(widen(ah, 1, c, m), 1, c, m, want) // the float32 kernel on NCHW [1, c, m]
		near(t, "channel sums", got, want, 1e-5)
	}
}

// TestBF16BatchNorm: the NHWC bf16 BatchNorm (+ ReLU), forward and
// backward, in training and evaluation, against the float32 NCHW kernels
// on the same rounded values.
func TestBF16BatchNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, sh := range [][3]int{{4, 16, 25}, {2, 32, 64}} {
		n, c, hw := sh[0], sh[1], sh[2]
		m := n * hw
		x := randSlice(r, n*c*hw, 2)
		for i := range x {
			x[i] += float32(i%c) * 0.1 // per-channel offsets
		}
		xh, xf := nhwc(x, n, c, hw)
		dyh, dyf := nhwc(randSlice(r, n*c*hw, 1), n, c, hw)
		gamma, beta := randSlice(r, c, 1), randSlice(r, c, 0.5)
		for _, relu := range []bool{false, true} {
			rm, rv := randSlice(r, c, 0.1), make([]float32, c)
			for i := range rv {
				rv[i] = 1 + r.Float32()
			}
			rm2, rv2 := append([]float32(nil), rm...), append([]float32(nil), rv...)
			mean, invstd, y := make([]float32, c), make([]float32, c), make([]float32, n*c*hw)
			BNReLUTrain(xf, n, c, hw, 3, gamma, beta, 1e-5, 0.1, relu, rm, rv, mean, invstd, y)
			meanH, invstdH, yh := make([]float32, c), make([]float32, c), make([]uint16, n*c*hw)
			BNReLUTrainH(xh, m, c, 5, gamma, beta, 1e-5, 0.1, relu, rm2, rv2, meanH, invstdH, yh)
			near(t, "mean", meanH, mean, 1e-6)
			near(t, "invstd", invstdH, invstd, 1e-6)
			near(t, "running mean", rm2, rm, 1e-6)
			near(t, "running variance", rv2, rv, 1e-6)
			nearBF16(t, "y", widen(yh, n, c, hw), y, 1)

			dg, db, dx := make([]float32, c), make([]float32, c), make([]float32, n*c*hw)
			BNReLUBackward(xf, dyf, n, c, hw, 3, mean, invstd, gamma, beta, relu, dg, db, dx)
			dgH, dbH, dxh := make([]float32, c), make([]float32, c), make([]uint16, n*c*hw)
			BNReLUBackwardH(xh, dyh, m, c, 5, mean, invstd, gamma, beta, relu, dgH, dbH, dxh)
			near(t, "dgamma", dgH, dg, 1e-5)
			near(t, "dbeta", dbH, db, 1e-5)
			nearBF16(t, "dx", widen(dxh, n, c, hw), dx, 1)

			// Evaluation: the running statistics, as md_bn_apply (which
			// divides by sqrt(var + eps) where this multiplies).
			want := make([]float32, n*c*hw)
			BNApply(xf, n, c, hw, rm, rv, gamma, beta, 1e-5, want)
			if relu {
				for i := range want {
					want[i] = max(want[i], 0)
				}
			}
			BNInferH(xh, m, c, rm, rv, gamma, beta, 1e-5, relu, yh)
			nearBF16(t, "evaluation y", widen(yh, n, c, hw), want, 1)
		}
	}
}

// TestBF16PoolingAndGAP: max pooling forward and backward pick and
// scatter exactly what the float32 kernels do on the same values (odd
// sizes included); global average pooling and its backward agree.
func TestBF16PoolingAndGAP(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, sh := range [][4]int{{2, 3, 8, 6}, {3, 4, 5, 7}} {
		n, c, h, w := sh[0], sh[1], sh[2], sh[3]
		x := randSlice(r, n*c*h*w, 2)
		for i := 0; i < len(x); i += 5 {
			x[i] = x[(i+1)%len(x)] // ties, some inside one window
		}
		xh, xf := nhwc(x, n, c, h*w)
		ho, wo := h/2, w/2
		yh := make([]uint16, n*c*ho*wo)
		MaxPool2H(xh, n, h, w, c, yh)
		// The float32 kernel wants even planes: crop each to 2·ho × 2·wo.
		he, we := 2*ho, 2*wo
		crop := make([]float32, n*c*he*we)
		for p := range n * c {
			for i := range he {
				copy(crop[(p*he+i)*we:(p*he+i+1)*we], xf[(p*h+i)*w:(p*h+i)*w+we])
			}
		}
		y, arg := make([]float32, n*c*ho*wo), make([]int32, n*c*ho*wo)
		MaxPool2(crop, n*c, he, we, y, arg)
		if got := widen(yh, n, c, ho*wo); !slices.Equal(got, y) {
			t.Fatalf("%v: max pool %v, want %v", sh, got, y)
		}
		dyh, dyf := nhwc(randSlice(r, n*c*ho*wo, 1), n, c, ho*wo)
		dxCrop := make([]float32, len(crop))
		MaxPool2Backward(arg, dyf, dxCrop)
		want := make([]float32, n*c*h*w)
		for p := range n * c {
			for i := range he {
				copy(want[(p*h+i)*w:(p*h+i)*w+we], dxCrop[(p*he+i)*we:(p*he+i+1)*we])
			}
		}
		dxh := make([]uint16, n*c*h*w)
		for i := range dxh {
			dxh[i] = 0x3f80 // 1: every value must be written
		}
		MaxPool2BackwardH(xh, dyh, n, h, w, c, dxh)
		if got := widen(dxh, n, c, h*w); !slices.Equal(got, want) {
			t.Fatalf("%v: max pool backward %v, want %v", sh, got, want)
		}

		g, gw := make([]float32, n*c), make([]float32, n*c)
		GAPH(xh, n, h*w, c, g)
		GAP(xf, n*c, h*w, gw)
		near(t, "gap", g, gw, 1e-6)
		dg := randSlice(r, n*c, 1)
		dxg, dxw := make([]uint16, n*c*h*w), make([]float32, n*c*h*w)
		GAPBackwardH(dg, n, h*w, c, dxg)
		GAPBackward(dg, h*w, dxw)
		for i := range dxw {
			dxw[i] = F32(BF16(dxw[i]))
		}
		if got := widen(dxg, n, c, h*w); !slices.Equal(got, dxw) {
			t.Fatalf("%v: gap backward %v, want %v", sh, got, dxw)
		}
	}
}

// TestBF16FlippedKernelGivesInputGradient: a convolution's input
// gradient, summed directly from its kernels w and dy, equals the
// forward convolution of dy with FlipKRSC's kernels and padding
// R−1−pad, at every kernel size and padding the models use and a few
// they do not, on NHWC values with H ≠ W (a kernel turned the wrong way,
// or its channels read as kernels, is off by whole values).
func TestBF16FlippedKernelGivesInputGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	n, c, k, h, w := 2, 3, 5, 6, 5
	for _, rp := range [][2]int{{3, 1}, {3, 0}, {1, 0}, {5, 2}, {5, 1}, {2, 0}} {
		rr, pad := rp[0], rp[1]
		ho, wo := h+2*pad-rr+1, w+2*pad-rr+1
		wt := make([]uint16, k*rr*rr*c)
		for i := range wt {
			wt[i] = BF16(float32(r.NormFloat64()))
		}
		dy := make([]float64, n*ho*wo*k)
		for i := range dy {
			dy[i] = float64(F32(BF16(float32(r.NormFloat64()))))
		}
		// dx summed directly: each output's gradient back to its taps
		want := make([]float64, n*h*w*c)
		for b := range n {
			for oy := range ho {
				for ox := range wo {
					for ko := range k {
						g := dy[((b*ho+oy)*wo+ox)*k+ko]
						for ky := range rr {
							for kx := range rr {
								iy, ix := oy+ky-pad, ox+kx-pad
								if iy < 0 || iy >= h || ix < 0 || ix >= w {
									continue
								}
								for ci := range c {
									want[((b*h+iy)*w+ix)*c+ci] += float64(F32(wt[((ko*rr+ky)*rr+kx)*c+ci])) * g
								}
							}
						}
					}
				}
			}
		}
		flipped := make([]uint16, len(wt))
		for i := range flipped {
			flipped[i] = 0xffff // a NaN: every value must be written
		}
		FlipKRSC(wt, k, c, rr, flipped)
		// the forward convolution of dy [n, ho, wo, k] with c kernels
		// [c, rr, rr, k] and padding rr−1−pad
		fp := rr - 1 - pad
		var worst, big float64
		for b := range n {
			for y := range h {
				for x := range w {
					for ci := range c {
						var s float64
						for q := range rr {
							for sx := range rr {
								iy, ix := y+q-fp, x+sx-fp
								if iy < 0 || iy >= ho || ix < 0 || ix >= wo {
									continue
								}
								for ko := range k {
									s += float64(F32(flipped[((ci*rr+q)*rr+sx)*k+ko])) * dy[((b*ho+iy)*wo+ix)*k+ko]
								}
							}
						}
						i := ((b*h+y)*w+x)*c + ci
						worst, big = max(worst, math.Abs(s-want[i])), max(big, math.Abs(want[i]))
						if math.IsNaN(s) {
							worst = math.Inf(1)
						}
					}
				}
			}
		}
		if !(worst <= 1e-12*big) {
			t.Errorf("%d×%d kernels, padding %d: the forward form of dx is off by %g (largest value %g)", rr, rr, pad, worst, big)
		}
	}
}

// TestResNet18StrideKernels: resnet18's subsample and 3×3 max pool (and
// their gradients) on bfloat16 NHWC give exactly what the float32 NCHW
// kernels give on the same values, even and odd sizes, with ties inside
// windows (the first in row order wins on both); the pool's gradient,
// summed in float32 over the overlapping windows, rounded once. The
// float32 kernels are checked against the CPU's ops by the emulator's
// TestGPUStepMatchesCPU.
func TestResNet18StrideKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, sh := range [][4]int{{2, 3, 8, 6}, {3, 4, 5, 7}, {1, 2, 3, 3}} {
		n, c, h, w := sh[0], sh[1], sh[2], sh[3]
		ho, wo := (h+1)/2, (w+1)/2
		x := randSlice(r, n*c*h*w, 2)
		for i := 0; i < len(x); i += 4 {
			x[i] = x[(i+1)%len(x)]
		}
		xh, xf := nhwc(x, n, c, h*w)
		dyh, dyf := nhwc(randSlice(r, n*c*ho*wo, 1), n, c, ho*wo)
		for _, k := range []struct {
			name string
			fwd  func([]float32, int, int, int, []float32)
			fwdH func([]uint16, int, int, int, int, []uint16)
			bwd  func(x, dy []float32, dx []float32)
			bwdH func(x, dy []uint16, dx []uint16)
		}{
			{"subsample", Subsample, SubsampleH,
				func(_, dy, dx []float32) { SubsampleBackward(dy, n*c, h, w, dx) },
				func(_, dy, dx []uint16) { SubsampleBackwardH(dy, n, h, w, c, dx) }},
			{"max pool 3", MaxPool3, MaxPool3H,
				func(x, dy, dx []float32) { MaxPool3Backward(x, dy, n*c, h, w, dx) },
				func(x, dy, dx []uint16) { MaxPool3BackwardH(x, dy, n, h, w, c, dx) }},
		} {
			y, yh := make([]float32, n*c*ho*wo), make([]uint16, n*c*ho*wo)
			k.fwd(xf, n*c, h, w, y)
			k.fwdH(xh, n, h, w, c, yh)
			if got := widen(yh, n, c, ho*wo); !slices.Equal(got, y) {
				t.Fatalf("%v %s: %v, want %v", sh, k.name, got, y)
			}
			dx, dxh := make([]float32, n*c*h*w), make([]uint16, n*c*h*w)
			for i := range dxh {
				dxh[i] = 0x3f80 // 1: every value must be written
			}
			k.bwd(xf, dyf, dx)
			k.bwdH(xh, dyh, dxh)
			for i := range dx {
				dx[i] = F32(BF16(dx[i]))
			}
			if got := widen(dxh, n, c, h*w); !slices.Equal(got, dx) {
				t.Fatalf("%v %s backward: %v, want %v", sh, k.name, got, dx)
			}
		}
	}
}
