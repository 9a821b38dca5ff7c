package training

import (
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/maskdash/maskdash/runs"
)

// SpreadSample is how many of a tensor's values at most the percentiles
// are read from: larger tensors are sampled (the least and most are
// exact). 4,096 puts a percentile's rank within about 1% of the
// tensor's values (its standard error is √(p(1−p)/n) ≤ 0.8%).
const SpreadSample = 4096

// weightSpread is v's values at runs.SpreadPercentiles, from a sample of at
// most SpreadSample of them drawn with seed (so a run's measures are
// the same from run to run), buf its scratch.
func weightSpread(v []float32, seed uint64, buf []float32) ([]float32, []float32) {
	if len(v) == 0 {
		return nil, buf
	}
	lo, hi := v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	buf = buf[:0]
	if len(v) <= SpreadSample {
		buf = append(buf, v...)
	} else {
		r := rand.New(rand.NewPCG(seed, 0x5b7ead))
		for range SpreadSample {
			buf = append(buf, v[r.IntN(len(v))])
		}
	}
	slices.Sort(buf)
	out := make([]float32, len(runs.SpreadPercentiles))
	for k, p := range runs.SpreadPercentiles {
		out[k] = percentileOf(buf, p)
	}
	out[0], out[len(out)-1] = lo, hi
	for k, v := range out {
		out[k] = fourDigits(v)
	}
	return out, buf
}

// fourDigits rounds v to 4 significant digits: the log keeps a spread
// with each measure (every 5 s), and a sampled percentile is good to
// about 1% of rank anyway; the shortest float32 forms took 9 digits, a
// third of a measure's line.
func fourDigits(v float32) float32 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', 4, 32), 32)
	if err != nil {
		return v
	}
	return float32(r)
}

// percentileOf sorted values at p (0–100), linear between ranks (NumPy's
// default).
func percentileOf(sorted []float32, p float64) float32 {
	pos := p / 100 * float64(len(sorted)-1)
	i := int(pos)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	f := pos - float64(i)
	return float32(float64(sorted[i])*(1-f) + float64(sorted[i+1])*f)
}
