package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// adam writes adamAVX (l2 false) and adamL2AVX: Adam's and AdamW's step
// over n (a multiple of 4) values, four a step in float64 lanes, each
// operation the one package ops' goAdam rounds (no fused multiply-add), so
// that both give the same bits:
//
//	g  = grad + l2·w                       (adamL2AVX only)
//	m' = float32(b1·m + c1·g)
//	v' = float32(b2·v + (c2·g)·g)
//	w' = float32(w·keep − step·(m' / (√v' / sbc2 + eps)))
func adam(l2 bool) {
	name := "adamAVX"
	if l2 {
		name = "adamL2AVX"
	}
	TEXT(name, NOSPLIT, "func(w, grad, m, v *float32, n int, l2, b1, c1, b2, c2, sbc2, eps, keep, step float64)")
	Doc(name + " is one Adam step over n (a multiple of 4) values, as goAdam" + map[bool]string{true: " with L2 decay (l2·w added to the gradient)", false: " (l2 unused)"}[l2] + ".")
	w := Load(Param("w"), GP64())
	g := Load(Param("grad"), GP64()) // "g" names a register in Go assembly
	m := Load(Param("m"), GP64())
	v := Load(Param("v"), GP64())
	n := Load(Param("n"), GP64())
	bcast := func(p string) reg.VecVirtual {
		x := Load(Param(p), XMM())
		y := YMM()
		VBROADCASTSD(x, y)
		return y
	}
	var l2v reg.VecVirtual
	if l2 {
		l2v = bcast("l2")
	}
	b1, c1, b2, c2 := bcast("b1"), bcast("c1"), bcast("b2"), bcast("c2")
	sbc2, eps, keep, step := bcast("sbc2"), bcast("eps"), bcast("keep"), bcast("step")
	// keep32 rounds the four doubles d to float32, stores them at p and
	// widens them back into d: the value stored is the value used.
	keep32 := func(d reg.VecVirtual, p reg.Register) {
		f := XMM()
		VCVTPD2PSY(d, f)
		VMOVUPS(f, Mem{Base: p})
		VCVTPS2PD(f, d)
	}
	Label(name + "Loop")
	CMPQ(n, Imm(4))
	JL(LabelRef(name + "Done"))
	gd, wd, md, vd, t := YMM(), YMM(), YMM(), YMM(), YMM()
	VCVTPS2PD(Mem{Base: g}, gd)
	VCVTPS2PD(Mem{Base: w}, wd)
	if l2 {
		VMULPD(wd, l2v, t)
		VADDPD(t, gd, gd)
	}
	// m' = float32(b1·m + c1·g), kept as float32 and widened again.
	VCVTPS2PD(Mem{Base: m}, md)
	VMULPD(md, b1, md)
	VMULPD(gd, c1, t)
	VADDPD(t, md, md)
	keep32(md, m)
	// v' = float32(b2·v + (c2·g)·g).
	VCVTPS2PD(Mem{Base: v}, vd)
	VMULPD(vd, b2, vd)
	VMULPD(gd, c2, t)
	VMULPD(gd, t, t)
	VADDPD(t, vd, vd)
	keep32(vd, v)
	// u = m' / (√v' / sbc2 + eps); w' = float32(w·keep − step·u).
	VSQRTPD(vd, vd)
	VDIVPD(sbc2, vd, vd)
	VADDPD(eps, vd, vd)
	VDIVPD(vd, md, md)
	VMULPD(keep, wd, wd)
	VMULPD(md, step, md)
	VSUBPD(md, wd, wd)
	wf := XMM()
	VCVTPD2PSY(wd, wf)
	VMOVUPS(wf, Mem{Base: w})
	for _, p := range []reg.Register{w, g, m, v} {
		ADDQ(Imm(16), p)
	}
	SUBQ(Imm(4), n)
	JMP(LabelRef(name + "Loop"))
	Label(name + "Done")
	VZEROUPPER()
	RET()
}
