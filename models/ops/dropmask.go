package ops

import "math"

// A dropout's mask from a counter-based generator: value i of a draw
// depends on the draw's key and on i alone, so the GPU draws the same
// mask in parallel (models/cudakern's md_dropout_mask, the same
// arithmetic in CUDA C: cudakern's TestDropoutMaskMatchesGo holds the
// two equal) and the CPU draws it without a generator's sequential
// state. The mixing is SplitMix64's finaliser (Steele, Lea and Flood,
// "Fast splittable pseudorandom number generators", 2014) over
// key + (i+1)·0x9E3779B97F4A7C15, the upper 32 bits compared with
// p·2³².

const (
	dropGolden = 0x9E3779B97F4A7C15 // 2⁶⁴/φ, SplitMix64's increment
	dropDraw   = 0xD1B54A32D192ED03 // an odd step between draws' keys
)

// dropMix is SplitMix64's finaliser.
func dropMix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// DropKey is the key of a dropout's draw number d, for a dropout seeded
// with seed.
func DropKey(seed, d uint64) uint64 { return dropMix(seed + d*dropDraw) }

// DropThreshold is what a value's upper 32 bits are compared with for a
// drop rate p in [0, 1): below it the value is dropped.
func DropThreshold(p float64) uint64 {
	return uint64(math.Min(math.Max(p, 0), 1) * (1 << 32))
}

// DropMask fills mask for a dropout of rate p from key: 0 for a dropped
// value (with probability p), 1/(1−p) for a kept one.
func DropMask(mask []float32, p float64, key uint64) {
	thr, keep := DropThreshold(p), float32(1/(1-p))
	z := key
	for i := range mask {
		z += dropGolden // key + (i+1)·dropGolden
		// kept is 1 when the draw is at least thr, else 0 (the
		// difference's sign bit, both below 2³³): no branch for a coin
		// flip to mispredict.
		kept := 1 - (dropMix(z)>>32-thr)>>63
		mask[i] = keep * float32(kept)
	}
}
