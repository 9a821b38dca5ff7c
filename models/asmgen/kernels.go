package main

import (
	"fmt"

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
// (the sign test on the bits, as keepPos), writing v into dst with write
// (dst may be d).
func sumsAct(write bool) {
	name, sig := "sumsActAVX", "func(d, x *float32, n int, sc, sh, mu float32) (a, b float32)"
	if write {
		name, sig = "sumsActWriteAVX", "func(dst, d, x *float32, n int, sc, sh, mu float32) (a, b float32)"
	}
	TEXT(name, NOSPLIT, sig)
	Doc(name + " returns Σv and Σv·(x−μ), v being d where sc·x+sh > 0 and 0 elsewhere, over n (a multiple of 8) floats" + map[bool]string{true: "; it writes v into dst (which may be d).", false: "."}[write])
	var dst reg.Register
	if write {
		dst = Load(Param("dst"), GP64())
	}
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
			VMOVUPS(v, Mem{Base: dst})
			ADDQ(Imm(32), dst)
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

// evenOdd loads the 16 floats at base+disp bytes and splits them into
// their even and odd elements (each in order).
func evenOdd(base reg.Register, disp int) (ev, od reg.VecVirtual) {
	lo, hi := YMM(), YMM()
	VMOVUPS(Mem{Base: base, Disp: disp}, lo)
	VMOVUPS(Mem{Base: base, Disp: disp + 32}, hi)
	return deinterleave(lo, hi)
}

// deinterleave splits 16 floats in order, lo then hi, into their even and
// odd elements (each in order).
func deinterleave(lo, hi reg.VecVirtual) (ev, od reg.VecVirtual) {
	ev, od = YMM(), YMM()
	VSHUFPS(Imm(0x88), hi, lo, ev)
	VSHUFPS(Imm(0xDD), hi, lo, od)
	VPERMPD(Imm(0xD8), ev, ev)
	VPERMPD(Imm(0xD8), od, od)
	return ev, od
}

// streams4 returns pointers to streams 0, 4, 8 and 12 of 16 that lie
// stride bytes apart from base.
func streams4(base, stride reg.Register) [4]reg.GPVirtual {
	var rows [4]reg.GPVirtual
	for i := range rows {
		rows[i] = GP64()
		if i == 0 {
			MOVQ(base, rows[i])
		} else {
			MOVQ(rows[i-1], rows[i])
			for range 4 {
				ADDQ(stride, rows[i])
			}
		}
	}
	return rows
}

// winoOut writes Winograd F(2×2,3×3)'s output transform Aᵀ·M·A for eight
// tiles of a row at a time: m holds the 16 products of a tile 16 streams
// apart (stride floats), y0 and y1 the two output rows (two outputs per
// tile, so 16 floats each).
func winoOut() {
	TEXT("winoOutAVX", NOSPLIT, "func(y0, y1, m *float32, stride, n int)")
	Doc("winoOutAVX writes the 2×2 outputs of n (a multiple of 8) Winograd tiles: m[k·stride+t] is product k of tile t; rows y0 and y1 get 2n floats each.")
	y0 := Load(Param("y0"), GP64())
	y1 := Load(Param("y1"), GP64())
	m := Load(Param("m"), GP64())
	stride := Load(Param("stride"), GP64())
	n := Load(Param("n"), GP64())
	SHLQ(Imm(2), stride)
	// Stream 4i+j is j floats·stride past rows[i].
	rows := streams4(m, stride)
	loop8(n, "winoOutLoop", func() {
		var s0, s1 [4]reg.VecVirtual
		for j := range 4 {
			// Stream 4i+j of tile block: rows[i] + j·stride.
			off := GP64()
			MOVQ(U32(0), off)
			for range j {
				ADDQ(stride, off)
			}
			a, b, d, e := YMM(), YMM(), YMM(), YMM()
			VMOVUPS(Mem{Base: rows[0], Index: off, Scale: 1}, a)
			VMOVUPS(Mem{Base: rows[1], Index: off, Scale: 1}, b)
			VMOVUPS(Mem{Base: rows[2], Index: off, Scale: 1}, d)
			VMOVUPS(Mem{Base: rows[3], Index: off, Scale: 1}, e)
			s0[j], s1[j] = YMM(), YMM()
			VADDPS(b, a, s0[j])
			VADDPS(d, s0[j], s0[j]) // (a+b)+d
			VSUBPS(d, b, s1[j])
			VSUBPS(e, s1[j], s1[j]) // (b−d)−e
		}
		for r, s := range [2][4]reg.VecVirtual{s0, s1} {
			ev, od := YMM(), YMM()
			VADDPS(s[1], s[0], ev)
			VADDPS(s[2], ev, ev) // (s0+s1)+s2
			VSUBPS(s[2], s[1], od)
			VSUBPS(s[3], od, od) // (s1−s2)−s3
			lo, hi := YMM(), YMM()
			VUNPCKLPS(od, ev, lo)
			VUNPCKHPS(od, ev, hi)
			out0, out1 := YMM(), YMM()
			VPERM2F128(Imm(0x20), hi, lo, out0)
			VPERM2F128(Imm(0x31), hi, lo, out1)
			dst := y0
			if r == 1 {
				dst = y1
			}
			VMOVUPS(out0, Mem{Base: dst})
			VMOVUPS(out1, Mem{Base: dst, Disp: 32})
		}
		for i := range rows {
			ADDQ(Imm(32), rows[i])
		}
		ADDQ(Imm(64), y0)
		ADDQ(Imm(64), y1)
	})
	VZEROUPPER()
	RET()
}

// packB copies k rows of nr floats, ldb floats apart, into a packed panel
// (nr floats a row).
func packB(nr int) {
	name := fmt.Sprintf("packB%dAVX", nr)
	TEXT(name, NOSPLIT, "func(dst, src *float32, ldb, k int)")
	Doc(fmt.Sprintf("%s copies k rows of %d floats from src (rows ldb floats apart) to dst (rows %d floats apart).", name, nr, nr))
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	ldb := Load(Param("ldb"), GP64())
	k := Load(Param("k"), GP64())
	SHLQ(Imm(2), ldb)
	Label(name + "Loop")
	TESTQ(k, k)
	JE(LabelRef(name + "Done"))
	for j := range nr / 8 {
		v := YMM()
		VMOVUPS(Mem{Base: src, Disp: 32 * j}, v)
		VMOVUPS(v, Mem{Base: dst, Disp: 32 * j})
	}
	ADDQ(ldb, src)
	ADDQ(Imm(uint64(4*nr)), dst)
	DECQ(k)
	JMP(LabelRef(name + "Loop"))
	Label(name + "Done")
	VZEROUPPER()
	RET()
}

// dxBase writes r = k·(nb − x·a), nb being −b: the part of a pooled
// layer's dx that every input gets.
func dxBase() {
	TEXT("dxBaseAVX", NOSPLIT, "func(r, x *float32, n int, k, a, nb float32)")
	Doc("dxBaseAVX writes r[i] = k·(nb − x[i]·a) for n (a multiple of 8) floats; r may be x.")
	r := Load(Param("r"), GP64())
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	kv, av, nbv := broadcast("k"), broadcast("a"), broadcast("nb")
	loop8(n, "dxBaseLoop", func() {
		t := YMM()
		VMULPS(Mem{Base: x}, av, t)
		VSUBPS(t, nbv, t)
		VMULPS(kv, t, t)
		VMOVUPS(t, Mem{Base: r})
		ADDQ(Imm(32), r)
		ADDQ(Imm(32), x)
	})
	VZEROUPPER()
	RET()
}

// pool writes eight 2×2 max (or min) pools a step from rows r0 and r1 (16
// floats each) to o, then, for a virtual layer, a·v + b (and max with 0).
// The variants: plain max; virtual with max or min, with or without ReLU.
func pool(virt, neg, relu bool) {
	name := "poolAVX"
	if virt {
		name = "poolVirt"
		if neg {
			name += "Min"
		} else {
			name += "Max"
		}
		if relu {
			name += "Relu"
		}
		name += "AVX"
	}
	TEXT(name, NOSPLIT, "func(o, r0, r1 *float32, n int, a, b float32)")
	Doc(name + " pools n (a multiple of 8) 2×2 windows of rows r0 and r1 into o.")
	o := Load(Param("o"), GP64())
	r0 := Load(Param("r0"), GP64())
	r1 := Load(Param("r1"), GP64())
	n := Load(Param("n"), GP64())
	var av, bv, zero reg.VecVirtual
	if virt {
		av, bv = broadcast("a"), broadcast("b")
		zero = YMM()
		VXORPS(zero, zero, zero)
	}
	pick := VMAXPS
	if neg {
		pick = VMINPS
	}
	loop8(n, name+"Loop", func() {
		lo, hi, t := YMM(), YMM(), YMM()
		VMOVUPS(Mem{Base: r0}, lo)
		VMOVUPS(Mem{Base: r1}, t)
		pick(t, lo, lo)
		VMOVUPS(Mem{Base: r0, Disp: 32}, hi)
		VMOVUPS(Mem{Base: r1, Disp: 32}, t)
		pick(t, hi, hi)
		// Even and odd columns, back in order across the two halves.
		ev, od := deinterleave(lo, hi)
		pick(od, ev, ev)
		if virt {
			VMULPS(av, ev, ev)
			VADDPS(bv, ev, ev)
			if relu {
				VMAXPS(zero, ev, ev)
			}
		}
		VMOVUPS(ev, Mem{Base: o})
		ADDQ(Imm(64), r0)
		ADDQ(Imm(64), r1)
		ADDQ(Imm(32), o)
	})
	VZEROUPPER()
	RET()
}

// scatter writes the max pool's backward pass for eight 2×2 windows a
// step, whose picks m were stored by the forward pass: window i's
// gradient dy[i] goes to the first of its inputs (r0[2i], r0[2i+1],
// r1[2i], r1[2i+1], in that order) equal to m[i], zero to the others,
// into rows d0 and d1 (16 floats each a step).
func scatter() {
	TEXT("scatterAVX", NOSPLIT, "func(d0, d1, r0, r1, m, dy *float32, n int)")
	Doc("scatterAVX writes the gradient dy of n (a multiple of 8) 2×2 windows of rows r0 and r1 to the first input of each equal to its stored pick m, in rows d0 and d1, and zero to the rest.")
	d0 := Load(Param("d0"), GP64())
	d1 := Load(Param("d1"), GP64())
	r0 := Load(Param("r0"), GP64())
	r1 := Load(Param("r1"), GP64())
	m := Load(Param("m"), GP64())
	g := Load(Param("dy"), GP64()) // not "g", the assembler's goroutine register
	n := Load(Param("n"), GP64())
	// join stores a row's even and odd columns (window order) back as
	// 16 floats in column order.
	join := func(ev, od reg.VecVirtual, row reg.Register) {
		VPERMPD(Imm(0xD8), ev, ev)
		VPERMPD(Imm(0xD8), od, od)
		lo, hi := YMM(), YMM()
		VUNPCKLPS(od, ev, lo)
		VUNPCKHPS(od, ev, hi)
		VMOVUPS(lo, Mem{Base: row})
		VMOVUPS(hi, Mem{Base: row, Disp: 32})
	}
	loop8(n, "scatterAVXLoop", func() {
		mv, gv := YMM(), YMM()
		VMOVUPS(Mem{Base: m}, mv)
		VMOVUPS(Mem{Base: g}, gv)
		v0, v1 := evenOdd(r0, 0) // the windows' even and odd columns, in window order (as pool does)
		v2, v3 := evenOdd(r1, 0)
		// Each input's mask: equal to the pick, and no earlier input was.
		VCMPPS(Imm(0), mv, v0, v0) // EQ_OQ
		VCMPPS(Imm(0), mv, v1, v1)
		VCMPPS(Imm(0), mv, v2, v2)
		taken := YMM()
		VMOVUPS(v0, taken)
		VANDNPS(v1, taken, v1) // v1 and not taken
		VORPS(v1, taken, taken)
		VANDNPS(v2, taken, v2)
		VORPS(v2, taken, taken)
		VANDNPS(gv, taken, v3) // the last: none before it was
		VANDPS(gv, v0, v0)
		VANDPS(gv, v1, v1)
		VANDPS(gv, v2, v2)
		join(v0, v1, d0)
		join(v2, v3, d1)
		ADDQ(Imm(64), r0)
		ADDQ(Imm(64), r1)
		ADDQ(Imm(64), d0)
		ADDQ(Imm(64), d1)
		ADDQ(Imm(32), m)
		ADDQ(Imm(32), g)
	})
	VZEROUPPER()
	RET()
}

// winoInCols writes the column part of Winograd's input transform Bᵀ·d
// for n (a multiple of 8) columns of four input rows, each given by its
// own pointer (an image's rows in place, or a row of zeros past its edge).
func winoInCols() {
	TEXT("winoInColsAVX", NOSPLIT, "func(r, p0, p1, p2, p3 *float32, rs, n int)")
	Doc("winoInColsAVX reads rows p0 to p3 and writes four rows r (rs floats apart): p0−p2, p1+p2, p2−p1, p1−p3, over n (a multiple of 8) columns.")
	r := Load(Param("r"), GP64())
	var p [4]reg.Register
	for i := range p {
		p[i] = Load(Param(fmt.Sprintf("p%d", i)), GP64())
	}
	rs := Load(Param("rs"), GP64())
	n := Load(Param("n"), GP64())
	SHLQ(Imm(2), rs)
	r3 := GP64()
	LEAQ(Mem{Base: r, Index: rs, Scale: 2}, r3)
	ADDQ(rs, r3)
	loop8(n, "winoInColsLoop", func() {
		a, b, d, e := YMM(), YMM(), YMM(), YMM()
		VMOVUPS(Mem{Base: p[0]}, a)
		VMOVUPS(Mem{Base: p[1]}, b)
		VMOVUPS(Mem{Base: p[2]}, d)
		VMOVUPS(Mem{Base: p[3]}, e)
		t0, t1, t2, t3 := YMM(), YMM(), YMM(), YMM()
		VSUBPS(d, a, t0)
		VADDPS(d, b, t1)
		VSUBPS(b, d, t2)
		VSUBPS(e, b, t3)
		VMOVUPS(t0, Mem{Base: r})
		VMOVUPS(t1, Mem{Base: r, Index: rs, Scale: 1})
		VMOVUPS(t2, Mem{Base: r, Index: rs, Scale: 2})
		VMOVUPS(t3, Mem{Base: r3})
		for i := range p {
			ADDQ(Imm(32), p[i])
		}
		ADDQ(Imm(32), r)
		ADDQ(Imm(32), r3)
	})
	VZEROUPPER()
	RET()
}

// winoInRow writes the row part for eight tiles a step: from one row r of
// the column transform, four streams of v (stride floats apart) get
// a−d, b+d, d−b, b−e with a, b, d, e = r[2t], r[2t+1], r[2t+2], r[2t+3].
func winoInRow() {
	TEXT("winoInRowAVX", NOSPLIT, "func(v, r *float32, stride, n int)")
	Doc("winoInRowAVX writes four streams of n (a multiple of 8) tiles, stride floats apart from v, from row r (which must hold 2n+16 floats).")
	v := Load(Param("v"), GP64())
	r := Load(Param("r"), GP64())
	stride := Load(Param("stride"), GP64())
	n := Load(Param("n"), GP64())
	SHLQ(Imm(2), stride)
	v3 := GP64()
	LEAQ(Mem{Base: v, Index: stride, Scale: 2}, v3)
	ADDQ(stride, v3)
	loop8(n, "winoInRowLoop", func() {
		a, b := evenOdd(r, 0)
		d, e := evenOdd(r, 8)
		t := YMM()
		VSUBPS(d, a, t)
		VMOVUPS(t, Mem{Base: v})
		VADDPS(d, b, t)
		VMOVUPS(t, Mem{Base: v, Index: stride, Scale: 1})
		VSUBPS(b, d, t)
		VMOVUPS(t, Mem{Base: v, Index: stride, Scale: 2})
		VSUBPS(e, b, t)
		VMOVUPS(t, Mem{Base: v3})
		ADDQ(Imm(64), r)
		ADDQ(Imm(32), v)
		ADDQ(Imm(32), v3)
	})
	VZEROUPPER()
	RET()
}

// packBT packs a transposed panel: nr rows of B-stored (ldb floats apart,
// k floats each, k a multiple of 8) become k rows of nr floats, eight by
// eight through in-register 8×8 transposes.
func packBT(nr int) {
	name := fmt.Sprintf("packBT%dAVX", nr)
	TEXT(name, NOSPLIT, "func(dst, src *float32, ldb, k int)")
	Doc(fmt.Sprintf("%s writes dst[q·%d+j] = src[j·ldb+q] for j < %d and q < k (a multiple of 8).", name, nr, nr))
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	ldb := Load(Param("ldb"), GP64())
	k := Load(Param("k"), GP64())
	SHLQ(Imm(2), ldb)
	cur := GP64()
	Label(name + "Loop")
	CMPQ(k, Imm(8))
	JL(LabelRef(name + "Done"))
	MOVQ(src, cur)
	for jg := range nr / 8 {
		transpose8(cur, ldb, dst, nr, 32*jg)
	}
	ADDQ(Imm(32), src)
	ADDQ(U32(uint32(8*4*nr)), dst)
	SUBQ(Imm(8), k)
	JMP(LabelRef(name + "Loop"))
	Label(name + "Done")
	VZEROUPPER()
	RET()
}

// packA4 writes packA4AVX and packAT4AVX, the AVX2 plan's packing of
// whole 4-row panels of A: op(A)ᵀ's rows are 4-float pieces of A's rows
// (copied, k of them), and A's own rows are transposed 4×4 at a time (k a
// multiple of 4).
func packA4() {
	TEXT("packA4AVX", NOSPLIT, "func(dst, src *float32, lda, k int)")
	Doc("packA4AVX copies k rows of 4 floats from src (rows lda floats apart) to dst (rows 4 floats apart).")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	lda := Load(Param("lda"), GP64())
	k := Load(Param("k"), GP64())
	SHLQ(Imm(2), lda)
	Label("packA4Loop")
	TESTQ(k, k)
	JE(LabelRef("packA4Done"))
	v := XMM()
	VMOVUPS(Mem{Base: src}, v)
	VMOVUPS(v, Mem{Base: dst})
	ADDQ(lda, src)
	ADDQ(Imm(16), dst)
	DECQ(k)
	JMP(LabelRef("packA4Loop"))
	Label("packA4Done")
	RET()

	TEXT("packAT4AVX", NOSPLIT, "func(dst, src *float32, lda, k int)")
	Doc("packAT4AVX writes dst[q·4+r] = src[r·lda+q] for r < 4 and q < k (a multiple of 4).")
	dst = Load(Param("dst"), GP64())
	src = Load(Param("src"), GP64())
	lda = Load(Param("lda"), GP64())
	k = Load(Param("k"), GP64())
	SHLQ(Imm(2), lda)
	cur := GP64()
	Label("packAT4Loop")
	CMPQ(k, Imm(4))
	JL(LabelRef("packAT4Done"))
	MOVQ(src, cur)
	var r [4]reg.VecVirtual
	for i := range r {
		r[i] = XMM()
		VMOVUPS(Mem{Base: cur}, r[i])
		if i < 3 {
			ADDQ(lda, cur)
		}
	}
	t0, t1, t2, t3 := XMM(), XMM(), XMM(), XMM()
	VUNPCKLPS(r[1], r[0], t0) // r0[0] r1[0] r0[1] r1[1]
	VUNPCKHPS(r[1], r[0], t1) // r0[2] r1[2] r0[3] r1[3]
	VUNPCKLPS(r[3], r[2], t2)
	VUNPCKHPS(r[3], r[2], t3)
	o := [4]reg.VecVirtual{XMM(), XMM(), XMM(), XMM()}
	VMOVLHPS(t2, t0, o[0]) // column 0: r0[0] r1[0] r2[0] r3[0]
	VMOVHLPS(t0, t2, o[1]) // column 1
	VMOVLHPS(t3, t1, o[2])
	VMOVHLPS(t1, t3, o[3])
	for i := range o {
		VMOVUPS(o[i], Mem{Base: dst, Disp: 16 * i})
	}
	ADDQ(Imm(16), src)
	ADDQ(Imm(64), dst)
	SUBQ(Imm(4), k)
	JMP(LabelRef("packAT4Loop"))
	Label("packAT4Done")
	RET()
}

// sumsPooled writes sumsPooled{,Relu}{,Write}AVX: BatchNorm's gradient
// sums for a layer read by a 2×2 max (or, with sgn −1, min) pool, eight
// windows a step, as goSumsPooled: each window's pick (the first of its
// largest in reading order, code 0–3) goes into picks (two bits each,
// four to a byte), v is the pool's gradient g where (with relu)
// sc·x_pick+sh > 0, and it returns Σv and Σv·(x_pick − μ), writing v over
// g with write.
func sumsPooled(relu, write bool) {
	name := "sumsPooled"
	if relu {
		name += "Relu"
	}
	if write {
		name += "Write"
	}
	name += "AVX"
	TEXT(name, NOSPLIT, "func(grad, r0, r1 *float32, picks *uint8, n int, sgn, sc, sh, mu float32) (a, b float32)")
	Doc(name + " sums n (a multiple of 8) 2×2 windows of rows r0 and r1 as goSumsPooled; picks gets n/4 bytes.")
	g := Load(Param("grad"), GP64()) // "g" names a register in Go assembly
	r0 := Load(Param("r0"), GP64())
	r1 := Load(Param("r1"), GP64())
	picks := Load(Param("picks"), GP64())
	n := Load(Param("n"), GP64())
	sgn, scv, shv, muv := broadcast("sgn"), broadcast("sc"), broadcast("sh"), broadcast("mu")
	zero, sa, sb := YMM(), YMM(), YMM()
	VXORPS(zero, zero, zero)
	VXORPS(sa, sa, sa)
	VXORPS(sb, sb, sb)
	ints := func(v uint32) reg.VecVirtual {
		t := GP32()
		MOVL(U32(v), t)
		x := XMM()
		VMOVD(t, x)
		y := YMM()
		VPBROADCASTD(x, y)
		return y
	}
	one, two, three := ints(1), ints(2), ints(3)
	// Shifts 0, 2, 4, 6 in each half: lane i's code goes to bits 2·(i%4).
	shifts := YMM()
	{
		lo := XMM()
		t := GP64()
		MOVQ(U64(2<<32), t) // lanes 0, 1: 0, 2
		VMOVQ(t, lo)
		MOVQ(U64(6<<32|4), t) // lanes 2, 3: 4, 6
		hi := XMM()
		VMOVQ(t, hi)
		VPUNPCKLQDQ(hi, lo, lo)
		VINSERTI128(Imm(1), lo, lo.AsY(), shifts)
	}
	loop8(n, name+"Loop", func() {
		var half [2][2]reg.VecVirtual // [row][lo/hi 8 floats]
		for r, base := range []reg.Register{r0, r1} {
			for j := range 2 {
				half[r][j] = YMM()
				VMOVUPS(Mem{Base: base, Disp: 32 * j}, half[r][j])
				VMULPS(sgn, half[r][j], half[r][j])
			}
		}
		var v [4]reg.VecVirtual // even and odd columns of each row, in order
		for r := range 2 {
			v[2*r], v[2*r+1] = deinterleave(half[r][0], half[r][1])
		}
		m, t := YMM(), YMM()
		VMAXPS(v[1], v[0], m)
		VMAXPS(v[3], v[2], t)
		VMAXPS(t, m, m)
		code := YMM()
		VMOVDQU(three, code)
		for k, c := range []reg.VecVirtual{two, one, zero} {
			e := YMM()
			VCMPPS(Imm(0), m, v[2-k], e) // equal
			VBLENDVPS(e, c, code, code)
		}
		VMULPS(sgn, m, m) // the picked value itself
		val := YMM()
		VMOVUPS(Mem{Base: g}, val)
		if relu {
			mask := YMM()
			VMULPS(m, scv, mask)
			VADDPS(shv, mask, mask)
			VPCMPGTD(zero, mask, mask) // the bits as int32 > 0: > +0
			VANDPS(mask, val, val)
		}
		if write {
			VMOVUPS(val, Mem{Base: g})
		}
		VADDPS(val, sa, sa)
		VSUBPS(muv, m, m)
		VMULPS(m, val, m)
		VADDPS(m, sb, sb)
		// The eight codes into two bytes.
		VPSLLVD(shifts, code, code)
		VPHADDD(code, code, code)
		VPHADDD(code, code, code)
		b0 := GP32()
		VMOVD(code.AsX(), b0)
		MOVB(b0.As8(), Mem{Base: picks})
		hx := XMM()
		VEXTRACTI128(Imm(1), code, hx)
		VMOVD(hx, b0)
		MOVB(b0.As8(), Mem{Base: picks, Disp: 1})
		ADDQ(Imm(64), r0)
		ADDQ(Imm(64), r1)
		ADDQ(Imm(32), g)
		ADDQ(Imm(2), picks)
	})
	Store(hsum(sa), ReturnIndex(0))
	Store(hsum(sb), ReturnIndex(1))
	VZEROUPPER()
	RET()
}
