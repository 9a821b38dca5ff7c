package cpupeak

import "golang.org/x/sys/cpu"

//go:generate go run ../asmgen -peak -out peak_amd64.s -stubs peak_stub_amd64.go -pkg cpupeak

// bestLoop is the widest FMA loop this CPU runs, with the floating-point
// operations of one turn (peakChains multiply-adds of a vector).
func bestLoop() (loop func(n int), flopsPerTurn float64, unit string) {
	const chains = 12 // asmgen's peakChains
	switch {
	case cpu.X86.HasAVX512F && cpu.X86.HasFMA:
		return fmaPeak512, chains * 2 * 16, "AVX-512 FMA"
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return fmaPeak256, chains * 2 * 8, "AVX2 FMA"
	}
	return nil, 0, ""
}
