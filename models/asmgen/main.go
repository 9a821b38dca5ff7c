// Command asmgen writes models/sgemm_amd64.s with avo: the AVX2 + FMA
// micro-kernel of the default build's matrix product, and the BatchNorm
// plane loops (kernels.go here) that the openblas build has as C. Run it through go generate
// in models/ (see gemm_amd64.go); CI checks that the committed output is
// what this program writes.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The micro-kernel's tile: MR rows of A by NR columns of B (three YMM
// vectors of 8 floats), so 12 accumulators, 3 B vectors and 1 broadcast
// use all 16 YMM registers.
const (
	mr = 4
	nr = 24
)

func main() {
	// The openblas build uses cgo, which allows no Go assembly in the package.
	ConstraintExpr("amd64,!openblas")
	kernel()
	affine(false)
	affine(true)
	sumSq()
	sumsAct(false)
	sumsAct(true)
	dx()
	winoOut()
	packB24()
	packBT24()
	dxBase()
	winoInCols()
	winoInRow()
	pool(false, false, false)
	for _, neg := range []bool{false, true} {
		for _, relu := range []bool{false, true} {
			pool(true, neg, relu)
		}
	}
	Generate()
}

// kernel writes sgemmKernel4x24: c[r*ldc+j] += Σ_p a[p*4+r]·b[p*24+j] for
// r < 4, j < 24, with a and b packed panels (k steps each) and c a tile of
// a row-major matrix with row stride ldc floats.
func kernel() {
	TEXT("sgemmKernel4x24", NOSPLIT, "func(k int, a, b, c *float32, ldc int)")
	Doc("sgemmKernel4x24 adds the product of a packed 4×k panel of A and a packed k×24 panel of B to a 4×24 tile of C (AVX2 and FMA).")
	k := Load(Param("k"), reg.RCX)
	a := Load(Param("a"), GP64())
	b := Load(Param("b"), GP64())
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(Imm(2), ldc) // floats to bytes

	var acc [mr][nr / 8]reg.VecVirtual
	for r := range acc {
		for j := range acc[r] {
			acc[r][j] = YMM()
			VXORPS(acc[r][j], acc[r][j], acc[r][j])
		}
	}
	step := func(off int) {
		var bv [nr / 8]reg.VecVirtual
		for j := range bv {
			bv[j] = YMM()
			VMOVUPS(Mem{Base: b, Disp: 4 * (off*nr + 8*j)}, bv[j])
		}
		for r := range mr {
			t := YMM()
			VBROADCASTSS(Mem{Base: a, Disp: 4 * (off*mr + r)}, t)
			for j := range bv {
				VFMADD231PS(bv[j], t, acc[r][j])
			}
		}
	}
	// Four steps a turn, then the rest one by one.
	Label("loop4")
	CMPQ(k, Imm(4))
	JL(LabelRef("tail"))
	for off := range 4 {
		step(off)
	}
	ADDQ(U32(4*4*mr), a)
	ADDQ(U32(4*4*nr), b)
	SUBQ(Imm(4), k)
	JMP(LabelRef("loop4"))
	Label("tail")
	TESTQ(k, k)
	JE(LabelRef("store"))
	step(0)
	ADDQ(U32(4*mr), a)
	ADDQ(U32(4*nr), b)
	DECQ(k)
	JMP(LabelRef("tail"))

	Label("store")
	for r := range mr {
		for j := range acc[r] {
			m := Mem{Base: c, Disp: 32 * j}
			VADDPS(m, acc[r][j], acc[r][j])
			VMOVUPS(acc[r][j], m)
		}
		if r < mr-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}
