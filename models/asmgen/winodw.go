package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// winoDy writes winoDyAVX: Winograd's transform A·dY·Aᵀ of eight 2×2
// tiles of the output gradient a turn, for the kernel gradient in
// Winograd's domain (models/ops/winograd_dw.go has the Go it matches bit for
// bit: the same additions in the same order, negation by the sign bit).
func winoDy() {
	TEXT("winoDyAVX", NOSPLIT, "func(wd, r0, r1 *float32, stride, n int)")
	Doc("winoDyAVX writes the 16 transformed values of n (a multiple of 8) tiles of dy: rows r0 and r1 hold 2n floats each, and value k of tile t goes to wd[k·stride+t].")
	wd := Load(Param("wd"), GP64())
	r0 := Load(Param("r0"), GP64())
	r1 := Load(Param("r1"), GP64())
	stride := Load(Param("stride"), GP64())
	n := Load(Param("n"), GP64())
	SHLQ(Imm(2), stride)
	// Stream 4a+b is b floats·stride past rows[a].
	rows := streams4(wd, stride)
	sign := YMM() // 0x80000000 in every lane
	VPCMPEQD(sign, sign, sign)
	VPSLLD(Imm(31), sign, sign)
	off := [4]reg.GPVirtual{}
	for b := range off {
		off[b] = GP64()
		MOVQ(U32(0), off[b])
		for range b {
			ADDQ(stride, off[b])
		}
	}
	loop8(n, "winoDyLoop", func() {
		// Eight tiles' left and right values of each row.
		y00, y01 := evenOdd(r0, 0)
		y10, y11 := evenOdd(r1, 0)
		// A dY: rows (p, q) = (y00, y01), (y00+y10, y01+y11),
		// (y00−y10, y01−y11), (−y10, −y11).
		var p, q [4]reg.VecVirtual
		p[0], q[0] = y00, y01
		for i := 1; i < 4; i++ {
			p[i], q[i] = YMM(), YMM()
		}
		VADDPS(y10, y00, p[1])
		VADDPS(y11, y01, q[1])
		VSUBPS(y10, y00, p[2])
		VSUBPS(y11, y01, q[2])
		VXORPS(sign, y10, p[3])
		VXORPS(sign, y11, q[3])
		// Each row becomes (p, p+q, p−q, −q).
		for a := range 4 {
			s, d, nq := YMM(), YMM(), YMM()
			VADDPS(q[a], p[a], s)
			VSUBPS(q[a], p[a], d)
			VXORPS(sign, q[a], nq)
			for b, v := range [4]reg.VecVirtual{p[a], s, d, nq} {
				VMOVUPS(v, Mem{Base: rows[a], Index: off[b], Scale: 1})
			}
		}
		for i := range rows {
			ADDQ(Imm(32), rows[i])
		}
		ADDQ(Imm(64), r0)
		ADDQ(Imm(64), r1)
	})
	VZEROUPPER()
	RET()
}

// packBTPart writes packBT48PartAVX / packBT24PartAVX: packBT for a panel's
// first 8·groups columns only (a product whose n is not a multiple of the
// panel: Winograd's kernel gradient has n = output channels, 32 or 64).
func packBTPart(nr int) {
	name := fmt.Sprintf("packBT%dPartAVX", nr)
	TEXT(name, NOSPLIT, "func(dst, src *float32, ldb, k, groups int)")
	Doc(fmt.Sprintf("%s writes dst[q·%d+j] = src[j·ldb+q] for j < 8·groups and q < k (a multiple of 8).", name, nr))
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	ldb := Load(Param("ldb"), GP64())
	k := Load(Param("k"), GP64())
	groups := Load(Param("groups"), GP64())
	SHLQ(Imm(2), ldb)
	cur, out, g, ldb8 := GP64(), GP64(), GP64(), GP64()
	MOVQ(ldb, ldb8)
	SHLQ(Imm(3), ldb8)
	Label(name + "Loop")
	CMPQ(k, Imm(8))
	JL(LabelRef(name + "Done"))
	MOVQ(src, cur)
	MOVQ(dst, out)
	MOVQ(groups, g)
	Label(name + "Group")
	TESTQ(g, g)
	JE(LabelRef(name + "Next"))
	row := GP64()
	MOVQ(cur, row)
	transpose8(row, ldb, out, nr, 0)
	ADDQ(ldb8, cur)
	ADDQ(Imm(32), out)
	DECQ(g)
	JMP(LabelRef(name + "Group"))
	Label(name + "Next")
	ADDQ(Imm(32), src)
	ADDQ(U32(uint32(8*4*nr)), dst)
	SUBQ(Imm(8), k)
	JMP(LabelRef(name + "Loop"))
	Label(name + "Done")
	VZEROUPPER()
	RET()
}

// transpose8 reads 8 rows of 8 floats (row, ldb bytes apart; row moves)
// and writes their transpose as 8 rows of 8 floats, nr floats apart, at
// out plus disp bytes.
func transpose8(row, ldb, out reg.Register, nr, disp int) {
	var r [8]reg.VecVirtual
	for i := range r {
		r[i] = YMM()
		VMOVUPS(Mem{Base: row}, r[i])
		ADDQ(ldb, row)
	}
	var t [8]reg.VecVirtual
	for i := 0; i < 8; i += 2 {
		t[i], t[i+1] = YMM(), YMM()
		VUNPCKLPS(r[i+1], r[i], t[i])
		VUNPCKHPS(r[i+1], r[i], t[i+1])
	}
	var u [8]reg.VecVirtual
	for _, g := range [2]int{0, 4} {
		u[g], u[g+1], u[g+2], u[g+3] = YMM(), YMM(), YMM(), YMM()
		VSHUFPS(Imm(0x44), t[g+2], t[g], u[g])
		VSHUFPS(Imm(0xEE), t[g+2], t[g], u[g+1])
		VSHUFPS(Imm(0x44), t[g+3], t[g+1], u[g+2])
		VSHUFPS(Imm(0xEE), t[g+3], t[g+1], u[g+3])
	}
	for qq := range 8 {
		o := YMM()
		imm := uint64(0x20)
		if qq >= 4 {
			imm = 0x31
		}
		VPERM2F128(Imm(imm), u[4+qq%4], u[qq%4], o)
		VMOVUPS(o, Mem{Base: out, Disp: 4*nr*qq + disp})
	}
}

// dotKernel writes dot2x4AVX2 or dot4x4AVX512: a block of the product of
// two matrices whose inner dimension is contiguous in both (z += v·wᵀ,
// Winograd's kernel gradient: both V and Wd hold a channel's tiles in a
// row), with no packing. AVX-512: 4×4 accumulators of 16 lanes and eight
// operand registers (24 of the 32 ZMM); AVX2: 2×4 accumulators of 8 lanes,
// four of w and one of v at a time (13 of the 16 YMM). Each accumulator is
// summed across its lanes at the end.
func dotKernel(wide bool) {
	name, vec, lanes, mr := "dot2x4AVX2", YMM, 8, 2
	if wide {
		name, vec, lanes, mr = "dot4x4AVX512", ZMM, 16, 4
	}
	TEXT(name, NOSPLIT, "func(z *float32, ldz int, v *float32, ldv int, w *float32, ldw, n int)")
	Doc(fmt.Sprintf("%s adds Σ_{t<n} v[i·ldv+t]·w[j·ldw+t] to z[i·ldz+j] for i < %d, j < 4 (n a multiple of %d).", name, mr, lanes))
	z := Load(Param("z"), GP64())
	ldz := Load(Param("ldz"), GP64())
	n := Load(Param("n"), GP64())
	SHLQ(Imm(2), ldz)
	rows := func(base, ld string, k int) []reg.GPVirtual {
		p := make([]reg.GPVirtual, k)
		p[0] = GP64()
		Load(Param(base), p[0])
		l := Load(Param(ld), GP64())
		SHLQ(Imm(2), l)
		for i := 1; i < k; i++ {
			p[i] = GP64()
			LEAQ(Mem{Base: p[i-1], Index: l, Scale: 1}, p[i])
		}
		return p
	}
	vp, wp := rows("v", "ldv", mr), rows("w", "ldw", 4)
	acc := make([][4]reg.VecVirtual, mr)
	for i := range acc {
		for j := range acc[i] {
			acc[i][j] = vec()
			VXORPS(acc[i][j], acc[i][j], acc[i][j])
		}
	}
	off := GP64()
	XORQ(off, off)
	Label(name + "Loop")
	CMPQ(n, Imm(uint64(lanes)))
	JL(LabelRef(name + "Sum"))
	var ww [4]reg.VecVirtual
	for j := range 4 {
		ww[j] = vec()
		VMOVUPS(Mem{Base: wp[j], Index: off, Scale: 1}, ww[j])
	}
	for i := range mr {
		vv := vec()
		VMOVUPS(Mem{Base: vp[i], Index: off, Scale: 1}, vv)
		for j := range 4 {
			VFMADD231PS(ww[j], vv, acc[i][j])
		}
	}
	ADDQ(Imm(uint64(4*lanes)), off)
	SUBQ(Imm(uint64(lanes)), n)
	JMP(LabelRef(name + "Loop"))
	Label(name + "Sum")
	for i := range mr {
		for j := range 4 {
			var s reg.VecVirtual
			if wide {
				s = hsumWide(acc[i][j])
			} else {
				s = hsum(acc[i][j])
			}
			m := Mem{Base: z, Disp: 4 * j}
			VADDSS(m, s, s)
			VMOVSS(s, m)
		}
		if i < mr-1 {
			ADDQ(ldz, z)
		}
	}
	VZEROUPPER()
	RET()
}

// hsumWide reduces the sixteen lanes of z to one float32 in the low lane
// of the register it returns, with instructions that have EVEX forms (the
// registers may be any of the 32: VEXTRACTF128 and VHADDPS reach only the
// first 16).
func hsumWide(z reg.VecVirtual) reg.VecVirtual {
	y := YMM()
	VEXTRACTF32X8(Imm(1), z, y)
	VADDPS(z.AsY(), y, y)
	x := XMM()
	VEXTRACTF32X4(Imm(1), y, x)
	VADDPS(y.AsX(), x, x)
	t := XMM()
	VPERMILPS(Imm(0x4E), x, t) // swap the two halves
	VADDPS(t, x, x)
	VPERMILPS(Imm(0xB1), x, t) // swap neighbours
	VADDPS(t, x, x)
	return x
}
