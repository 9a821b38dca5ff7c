package ops

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/maskdash/maskdash/models/ops/opstest"
)

// scatterRef is goScatter as first written (four stores a window): the
// reference the faster form is held to.
func scatterRef(dx, dy, x, y []float32, h, w, mode int) {
	ho, wo := h/2, w/2
	for oy := 0; oy < ho; oy++ {
		// Row slices let the compiler drop the bounds checks.
		r0, r1 := x[2*oy*w:2*oy*w+2*wo], x[(2*oy+1)*w:(2*oy+1)*w+2*wo]
		d0, d1 := dx[2*oy*w:2*oy*w+2*wo], dx[(2*oy+1)*w:(2*oy+1)*w+2*wo]
		g := dy[oy*wo : oy*wo+wo]
		var m []float32
		if mode == scatterStored {
			m = y[oy*wo : oy*wo+wo]
		}
		for ox := range g {
			v0, v1, v2, v3 := r0[2*ox], r0[2*ox+1], r1[2*ox], r1[2*ox+1]
			var mx float32
			switch mode {
			case scatterStored:
				mx = m[ox]
			case scatterMax:
				mx = max(max(v0, v1), max(v2, v3))
			default:
				mx = min(min(v0, v1), min(v2, v3))
			}
			// The first input equal to the pick takes the gradient.
			sel := 3
			if v2 == mx {
				sel = 2
			}
			if v1 == mx {
				sel = 1
			}
			if v0 == mx {
				sel = 0
			}
			var q [4]float32
			q[sel&3] = g[ox]
			d0[2*ox], d0[2*ox+1], d1[2*ox], d1[2*ox+1] = q[0], q[1], q[2], q[3]
		}
	}
}

// TestScatterMatchesItsReference: the max pool's backward pass, one
// store a window after its rows are cleared (Go), or eight windows a step
// (the build's: AVX2 where the picks were stored), gives what four stores
// a window gave, bit for bit, in every mode, with ties (the first input
// in reading order takes the gradient), rows of 8 windows and a tail, and
// odd sizes (the odd row or column left as it was).
func TestScatterMatchesItsReference(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 9))
	for _, hw := range [][2]int{{64, 64}, {7, 9}, {2, 2}, {10, 33}, {32, 36}, {6, 51}} {
		h, w := hw[0], hw[1]
		x, dy := opstest.RandInput(r, h*w), opstest.RandInput(r, (h/2)*(w/2))
		for i := range x {
			if r.IntN(4) == 0 { // ties within windows
				x[i] = float32(r.IntN(3))
			}
		}
		y := make([]float32, len(dy))
		goPool(y, x, h, w, false, 1, 0, false)
		for mode := scatterStored; mode <= scatterMin; mode++ {
			got, want := make([]float32, h*w), make([]float32, h*w)
			for i := range got {
				got[i], want[i] = 7, 7 // what the caller left there
			}
			scatterRef(want, dy, x, y, h, w, mode)
			for name, scatter := range map[string]func(dx, dy, x, y []float32, h, w, mode int){"Go": goScatter, "the build's": kScatter} {
				for i := range got {
					got[i] = 7
				}
				scatter(got, dy, x, y, h, w, mode)
				if !slices.Equal(got, want) {
					t.Errorf("%dx%d, mode %d: %s scatter differs from its reference", h, w, mode, name)
				}
			}
		}
	}
}
