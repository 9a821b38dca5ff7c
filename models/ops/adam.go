package ops

import "math"

// AdamStep is one Adam or AdamW step's constants for Adam (package
// training's optimizer works them out from its settings and the tensor's
// step count).
type AdamStep struct {
	L2      float64 // Adam's decay: L2·w added to the gradient (0: none)
	B1, B2  float64 // the moments' decay rates, β₁ and β₂
	SqrtBC2 float64 // √(1 − β₂^t), the second moment's bias correction
	Eps     float64
	Keep    float64 // AdamW's decoupled decay: the weight is multiplied by it first (1: none)
	Step    float64 // the rate over the first moment's bias correction, lr / (1 − β₁^t)
}

// Adam applies one Adam (or AdamW) step to the weights w from their
// gradient g, moving the moments m and v, each value computed in float64
// and rounded to float32 where it is stored, as the GPU's md_adam does:
//
//	g' = g + L2·w
//	m  = float32(β₁·m + (1−β₁)·g')
//	v  = float32(β₂·v + (1−β₂)·g'·g')
//	w  = float32(w·Keep − Step · m / (√v / SqrtBC2 + Eps))
//
// On x86-64 with AVX2 four values a step in assembly, the same bits as
// the Go loop (TestAdamKernelMatchesGo).
func Adam(w, g, m, v []float32, s AdamStep) { kAdam(w, g, m, v, s) }

var kAdam = goAdam

func goAdam(w, g, m, v []float32, s AdamStep) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	for i := range w {
		gi := float64(g[i])
		if s.L2 != 0 {
			gi += s.L2 * float64(w[i])
		}
		mi := float32(s.B1*float64(m[i]) + (1-s.B1)*gi)
		vi := float32(s.B2*float64(v[i]) + (1-s.B2)*gi*gi)
		m[i], v[i] = mi, vi
		u := float64(mi) / (math.Sqrt(float64(vi))/s.SqrtBC2 + s.Eps)
		w[i] = float32(float64(w[i])*s.Keep - s.Step*u)
	}
}
