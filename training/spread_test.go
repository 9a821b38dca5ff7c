package training

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// TestWeightSpreadIsNumPysPercentiles: a small tensor's spread is its
// exact percentiles (NumPy's linear rule, worked here by hand for 0..10);
// a large one's, sampled, is within 2% of the values' rank of the exact
// ones, and its least and most are exact.
func TestWeightSpreadIsNumPysPercentiles(t *testing.T) {
	small := make([]float32, 11)
	for i := range small {
		small[i] = float32(10 - i) // in any order
	}
	got, _ := weightSpread(small, 1, nil)
	// np.percentile(np.arange(11), [0, 6.68, 15.87, 30.85, 50, 69.15, 84.13, 93.32, 100])
	want := []float64{0, 0.668, 1.587, 3.085, 5, 6.915, 8.413, 9.332, 10}
	for k := range want {
		if math.Abs(float64(got[k])-want[k]) > 1e-5 {
			t.Errorf("percentile %g of 0..10: %g, want %g", runs.SpreadPercentiles[k], got[k], want[k])
		}
	}
	// A million values uniform on [0, 1): the value at p is p/100, and
	// 2% of the rank is 0.02.
	r := rand.New(rand.NewPCG(3, 4))
	big := make([]float32, 1_000_000)
	for i := range big {
		big[i] = r.Float32()
	}
	big[123] = -1
	big[456789] = 2
	got, _ = weightSpread(big, 7, nil)
	if got[0] != -1 || got[8] != 2 {
		t.Errorf("least and most of the large tensor: %g, %g, want -1 and 2", got[0], got[8])
	}
	for k := 1; k < 8; k++ {
		if d := math.Abs(float64(got[k]) - runs.SpreadPercentiles[k]/100); d > 0.02 {
			t.Errorf("percentile %g of uniform values: %g (%.3f off)", runs.SpreadPercentiles[k], got[k], d)
		}
		if got[k] < got[k-1] {
			t.Errorf("the spread goes down at %d: %v", k, got)
		}
	}
	// Kept to 4 significant digits, for the log's sake.
	for _, v := range got {
		if s := strconv.FormatFloat(float64(v), 'g', -1, 32); len(strings.TrimLeft(strings.ReplaceAll(s, ".", ""), "-0")) > 4 {
			t.Errorf("%s has more than 4 significant digits", s)
		}
	}
	if again, _ := weightSpread(big, 7, nil); again[3] != got[3] {
		t.Errorf("the same seed sampled differently: %g, %g", again[3], got[3])
	}
}
