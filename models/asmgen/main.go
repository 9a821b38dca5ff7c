// Command asmgen writes models/ops/sgemm_amd64.s with avo: the AVX2 + FMA
// micro-kernel of the default build's matrix product, and the BatchNorm
// plane loops (kernels.go here) that the openblas build has as C. Run it through go generate
// in models/ (see gemm_amd64.go); CI checks that the committed output is
// what this program writes.
package main

import (
	"flag"
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The micro-kernels' tile: MR rows of A by three vectors of B columns (24
// floats in YMM registers, 48 in ZMM), so 12 accumulators, 3 B vectors and
// 1 broadcast: all 16 YMM registers (AVX2), or half of the 32 ZMM ones
// (AVX-512).

var peakOnly = flag.Bool("peak", false, "write the FMA peak loops of package cpupeak instead of models' kernels")

func main() {
	flag.Parse()
	if *peakOnly {
		ConstraintExpr("amd64")
		peakLoop(false)
		peakLoop(true)
		Generate()
		return
	}
	// The openblas build uses cgo, which allows no Go assembly in the package.
	ConstraintExpr("amd64,!openblas")
	for _, store := range []bool{false, true} {
		kernel(false, store)
		kernel(true, store)
	}
	affine(false)
	affine(true)
	sumSq()
	sumsAct(false)
	sumsAct(true)
	dx()
	winoOut()
	packB(24)
	packB(48)
	packB(8)
	packBT(24)
	packBT(48)
	packBT(8)
	packA4()
	packBTPart(24)
	packBTPart(48)
	winoDy()
	dotKernel(false)
	dotKernel(true)
	for _, relu := range []bool{false, true} {
		for _, write := range []bool{false, true} {
			sumsPooled(relu, write)
		}
	}
	dxBase()
	winoInCols()
	winoInRow()
	pool(false, false, false)
	scatter()
	adam(false)
	adam(true)
	for _, neg := range []bool{false, true} {
		for _, relu := range []bool{false, true} {
			pool(true, neg, relu)
		}
	}
	Generate()
}

// kernel writes sgemmKernel4x24 (AVX2) or sgemmKernel4x48 (AVX-512):
// c[r*ldc+j] += Σ_p a[p*4+r]·b[p*nr+j] for r < 4, j < nr, with a and b
// packed panels (k steps each) and c a tile of a row-major matrix with row
// stride ldc floats.
// With store set it writes sgemmKernel4x24Store / sgemmKernel8x48Store,
// which write the product over the tile instead of adding it (the first
// block of a product with beta 0: C is then neither cleared nor read).
func kernel(wide, store bool) {
	mr, nr, lanes, name := 4, 24, 8, "sgemmKernel4x24"
	vec := YMM
	if wide {
		// 8 rows: 24 accumulators of the 32 ZMM registers, to hide the
		// FMAs' latency.
		mr, nr, lanes, name = 8, 48, 16, "sgemmKernel8x48"
		vec = ZMM
	}
	verb := "adds the product of"
	if store {
		name += "Store"
		verb = "writes the product of"
	}
	TEXT(name, NOSPLIT, "func(k int, a, b, c *float32, ldc int)")
	Doc(fmt.Sprintf("%s %s a packed %d×k panel of A and a packed k×%d panel of B to a %d×%d tile of C (%s).", name, verb, mr, nr, mr, nr,
		map[bool]string{false: "AVX2 and FMA", true: "AVX-512"}[wide]))
	k := Load(Param("k"), reg.RCX)
	a := Load(Param("a"), GP64())
	b := Load(Param("b"), GP64())
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(Imm(2), ldc) // floats to bytes

	acc := make([][3]reg.VecVirtual, mr)
	for r := range acc {
		for j := range acc[r] {
			acc[r][j] = vec()
			VXORPS(acc[r][j], acc[r][j], acc[r][j])
		}
	}
	step := func(off int) {
		var bv [3]reg.VecVirtual
		for j := range bv {
			bv[j] = vec()
			VMOVUPS(Mem{Base: b, Disp: 4 * (off*nr + lanes*j)}, bv[j])
		}
		for r := range mr {
			t := vec()
			VBROADCASTSS(Mem{Base: a, Disp: 4 * (off*mr + r)}, t)
			for j := range bv {
				VFMADD231PS(bv[j], t, acc[r][j])
			}
		}
	}
	// Four steps a turn, then the rest one by one.
	Label(name + "Loop4")
	CMPQ(k, Imm(4))
	JL(LabelRef(name + "Tail"))
	for off := range 4 {
		step(off)
	}
	ADDQ(U32(4*4*mr), a)
	ADDQ(U32(4*4*nr), b)
	SUBQ(Imm(4), k)
	JMP(LabelRef(name + "Loop4"))
	Label(name + "Tail")
	TESTQ(k, k)
	JE(LabelRef(name + "Store"))
	step(0)
	ADDQ(U32(4*mr), a)
	ADDQ(U32(4*nr), b)
	DECQ(k)
	JMP(LabelRef(name + "Tail"))

	Label(name + "Store")
	for r := range mr {
		for j := range acc[r] {
			m := Mem{Base: c, Disp: 4 * lanes * j}
			if !store {
				VADDPS(m, acc[r][j], acc[r][j])
			}
			VMOVUPS(acc[r][j], m)
		}
		if r < mr-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}
