package dataset

// Blend mixes each image i of batch x (images of per floats each,
// len(from) of them) with image from[i] as the batch was before: lam of
// its own pixels and 1−lam of the other's (Zhang et al.'s Mixup, 2018;
// the training package draws lam and mixes the labels' losses). src is
// scratch space for the batch's copy, grown when short; it is returned
// for the next call.
func Blend(x []float32, per int, from []int, lam float64, src []float32) []float32 {
	n := len(from)
	if len(src) < n*per {
		src = make([]float32, n*per)
	}
	copy(src, x[:n*per])
	a, b := float32(lam), float32(1-lam)
	for i, o := range from {
		if o == i {
			continue // λx + (1−λ)x is x, but for rounding
		}
		dst, own, other := x[i*per:(i+1)*per], src[i*per:(i+1)*per], src[o*per:(o+1)*per]
		for j := range dst {
			dst[j] = a*own[j] + b*other[j]
		}
	}
	return src
}
