package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The BatchNorm plane loops, 8 floats a step (AVX2); n is a multiple of 8
// (the Go wrappers do the rest). Products are rounded before they are
// added, as in the Go loops, where a reader of a virtual layer must get the
// same bits.

// broadcast loads a float32 parameter into all eight lanes.
func broadcast(name string) reg.VecVirtual {
	x := Load(Param(name), XMM())
	y := YMM()
	VBROADCASTSS(x, y)
	return y
}

// loop8 runs body while n ≥ 8, n counting down by 8.
func loop8(n reg.Register, label string, body func()) {
	Label(label)
	CMPQ(n, Imm(8))
	JL(LabelRef(label + "Done"))
	body()
	SUBQ(Imm(8), n)
	JMP(LabelRef(label))
	Label(label + "Done")
}

// hsum reduces the eight lanes of y to one float32 in the low lane of x.
func hsum(y reg.VecVirtual) reg.VecVirtual {
	hi := XMM()
	VEXTRACTF128(Imm(1), y, hi)
	lo := y.AsX()
	VADDPS(hi, lo, hi)
	VHADDPS(hi, hi, hi)
	VHADDPS(hi, hi, hi)
	return hi
}

// affine writes dst = a·src + b (then max with 0 with relu).
func affine(relu bool) {
	name := "affineAVX"
	if relu {
		name = "affineReluAVX"
	}
	TEXT(name, NOSPLIT, "func(dst, src *float32, n int, a, b float32)")
	Doc(name + " writes dst[i] = a·src[i] + b" + map[bool]string{true: ", then max with 0,", false: ""}[relu] + " for n (a multiple of 8) floats.")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("n"), GP64())
	av, bv := broadcast("a"), broadcast("b")
	zero := YMM()
	VXORPS(zero, zero, zero)
	loop8(n, name+"Loop", func() {
		v := YMM()
		VMULPS(Mem{Base: src}, av, v)
		VADDPS(bv, v, v)
		if relu {
			VMAXPS(zero, v, v)
		}
		VMOVUPS(v, Mem{Base: dst})
		ADDQ(Imm(32), src)
		ADDQ(Imm(32), dst)
	})
	VZEROUPPER()
	RET()
}

// sumSq returns Σp and Σp² over n (a multiple of 8) floats.
func sumSq() {
	TEXT("sumSqAVX", NOSPLIT, "func(p *float32, n int) (s, q float32)")
	Doc("sumSqAVX returns the sum and the sum of squares of n (a multiple of 8) floats.")
	p := Load(Param("p"), GP64())
	n := Load(Param("n"), GP64())
	s, q := YMM(), YMM()
	VXORPS(s, s, s)
	VXORPS(q, q, q)
	loop8(n, "sumSqLoop", func() {
		v, sq := YMM(), YMM()
		VMOVUPS(Mem{Base: p}, v)
		VADDPS(v, s, s)
		VMULPS(v, v, sq)
		VADDPS(sq, q, q)
		ADDQ(Imm(32), p)
	})
	Store(hsum(s), ReturnIndex(0))
	Store(hsum(q), ReturnIndex(1))
	VZEROUPPER()
	RET()
}

// sumsAct returns Σv and Σv·(x−μ) for v = d where sc·x+sh > 0, else 0
// (the sign test on the bits, as keepPos), writing v into d with write.
func sumsAct(write bool) {
	name := "sumsActAVX"
	if write {
		name = "sumsActWriteAVX"
	}
	TEXT(name, NOSPLIT, "func(d, x *float32, n int, sc, sh, mu float32) (a, b float32)")
	Doc(name + " returns Σv and Σv·(x−μ), v being d where sc·x+sh > 0 and 0 elsewhere, over n (a multiple of 8) floats" + map[bool]string{true: "; it writes v over d.", false: "."}[write])
	d := Load(Param("d"), GP64())
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	scv, shv, muv := broadcast("sc"), broadcast("sh"), broadcast("mu")
	zero, sa, sb := YMM(), YMM(), YMM()
	VXORPS(zero, zero, zero)
	VXORPS(sa, sa, sa)
	VXORPS(sb, sb, sb)
	loop8(n, name+"Loop", func() {
		xv, t, v, diff := YMM(), YMM(), YMM(), YMM()
		VMOVUPS(Mem{Base: x}, xv)
		VMULPS(xv, scv, t)
		VADDPS(shv, t, t)
		VPCMPGTD(zero, t, t) // the bits of t as int32 > 0: t > +0
		VANDPS(Mem{Base: d}, t, v)
		if write {
			VMOVUPS(v, Mem{Base: d})
		}
		VADDPS(v, sa, sa)
		VSUBPS(muv, xv, diff)
		VMULPS(diff, v, v)
		VADDPS(v, sb, sb)
		ADDQ(Imm(32), d)
		ADDQ(Imm(32), x)
	})
	Store(hsum(sa), ReturnIndex(0))
	Store(hsum(sb), ReturnIndex(1))
	VZEROUPPER()
	RET()
}

// dx writes r = k·(m·d − b − x·a).
func dx() {
	TEXT("dxAVX", NOSPLIT, "func(r, d, x *float32, n int, k, m, a, b float32)")
	Doc("dxAVX writes r[i] = k·(m·d[i] − b − x[i]·a) for n (a multiple of 8) floats; r may be d.")
	r := Load(Param("r"), GP64())
	d := Load(Param("d"), GP64())
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	kv, mv, av, bv := broadcast("k"), broadcast("m"), broadcast("a"), broadcast("b")
	loop8(n, "dxLoop", func() {
		t, u := YMM(), YMM()
		VMULPS(Mem{Base: d}, mv, t)
		VSUBPS(bv, t, t)
		VMULPS(Mem{Base: x}, av, u)
		VSUBPS(u, t, t)
		VMULPS(kv, t, t)
		VMOVUPS(t, Mem{Base: r})
		ADDQ(Imm(32), r)
		ADDQ(Imm(32), d)
		ADDQ(Imm(32), x)
	})
	VZEROUPPER()
	RET()
}
