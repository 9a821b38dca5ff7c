package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// peakLoop writes fmaPeak256 or fmaPeak512: n turns of 24 independent
// multiply-adds on registers (no memory), so that the loop runs at the
// FMA units' throughput; package cpupeak times it.
func peakLoop(wide bool) {
	name, vec := "fmaPeak256", YMM
	if wide {
		name, vec = "fmaPeak512", ZMM
	}
	TEXT(name, NOSPLIT, "func(n int)")
	Doc(fmt.Sprintf("%s runs n turns of %d independent %d-bit multiply-adds.", name, peakChains, map[bool]int{false: 256, true: 512}[wide]))
	n := Load(Param("n"), GP64())
	x, y := vec(), vec()
	VXORPS(x, x, x)
	VXORPS(y, y, y)
	acc := make([]reg.VecVirtual, peakChains)
	for i := range acc {
		acc[i] = vec()
		VXORPS(acc[i], acc[i], acc[i])
	}
	Label(name + "Loop")
	for i := range acc {
		VFMADD231PS(x, y, acc[i])
	}
	DECQ(n)
	JNZ(LabelRef(name + "Loop"))
	VZEROUPPER()
	RET()
}

// peakChains: enough chains to cover the FMA latency (4 cycles) on two
// or more pipes, and few enough for the 16 YMM registers.
const peakChains = 12
