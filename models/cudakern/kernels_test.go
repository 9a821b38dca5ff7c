package cudakern

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"testing"

	"github.com/maskdash/maskdash/models"
	"github.com/maskdash/maskdash/models/gpu"
	"github.com/maskdash/maskdash/models/ops"
	"github.com/maskdash/maskdash/training"
)

func randSlice(r *rand.Rand, n int, scale float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = (r.Float32()*2 - 1) * scale
	}
	return s
}

func near(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if d > tol*(1+math.Abs(float64(want[i]))) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestReLUAndBias(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := randSlice(r, 1003, 1) // an odd length: no tail is special on the CPU, nor on a grid
	y, dx := make([]float32, len(x)), make([]float32, len(x))
	dy := randSlice(r, len(x), 1)
	ReLU(x, y)
	ReLUBackward(x, dy, dx)
	for i, v := range x {
		wantY, wantDx := max(v, 0), float32(0)
		if v > 0 {
			wantDx = dy[i]
		}
		if y[i] != wantY || dx[i] != wantDx {
			t.Fatalf("relu at %d: %v %v, want %v %v", i, y[i], dx[i], wantY, wantDx)
		}
	}
	m := make([]float32, len(x))
	Mul(x, dy, m)
	for i := range x {
		if m[i] != x[i]*dy[i] {
			t.Fatalf("mul at %d: %v, want %v", i, m[i], x[i]*dy[i])
		}
	}
	n, c, hw := 3, 5, 7
	img := randSlice(r, n*c*hw, 1)
	want := append([]float32(nil), img...)
	bias := randSlice(r, c, 1)
	for b := range n {
		for ch := range c {
			for p := range hw {
				want[(b*c+ch)*hw+p] += bias[ch]
			}
		}
	}
	for _, relu := range []bool{false, true} {
		y := make([]float32, len(img))
		BiasAct(img, n, c, hw, bias, relu, y)
		w := append([]float32(nil), want...)
		for i := range w {
			if relu {
				w[i] = max(w[i], 0)
			}
		}
		near(t, fmt.Sprintf("bias and activation (relu %v)", relu), y, w, 0)
	}
	BiasAdd(img, n, c, hw, bias)
	near(t, "bias", img, want, 0)
}

// TestOptimizersMatchTraining: four steps of each optimizer kernel (nine
// of RAdam's, past its first rectified one) give
// the weights package training's optimizer gives, from the same start.
func TestOptimizersMatchTraining(t *testing.T) {
	for _, c := range []training.OptimConfig{
		{Name: "sgd", LR: 0.05, Momentum: 0.9, WeightDecay: 1e-4},
		{Name: "sgd", LR: 0.05, Momentum: 0.9, WeightDecay: 1e-4, Nesterov: true},
		{Name: "adam", LR: 1e-3, WeightDecay: 1e-3},
		{Name: "adamw", LR: 1e-3, WeightDecay: 1e-2},
		{Name: "adamp", LR: 1e-3, WeightDecay: 1e-2},
		{Name: "radam", LR: 1e-3, WeightDecay: 1e-3},
	} {
		t.Run(c.Name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			const n = 517
			w0 := randSlice(r, n, 0.5)
			p := &models.Param{Name: "w", Shape: []int{11, 47}, Data: append([]float32(nil), w0...), Decay: true}
			o, err := training.NewOptimizer(c)
			if err != nil {
				t.Fatal(err)
			}
			w := append([]float32(nil), w0...)
			s1, s2 := make([]float32, n), make([]float32, n)
			// AdamP with its decisions on the device, from a copy
			wd, d1, d2 := append([]float32(nil), w0...), make([]float32, n), make([]float32, n)
			whole := 0
			b1, b2, eps := 0.9, 0.999, 1e-8
			projected := 0
			steps := 4
			if c.Name == "radam" {
				steps = 9 // rectified from step 6
			}
			for step := 1; step <= steps; step++ {
				g := randSlice(r, n, 0.1)
				switch step {
				case 2, 4:
					orthogonalRows(g, p.Data, 11, 47) // AdamP projects each row
					projected++
				case 3:
					orthogonalRows(g, p.Data, 1, 517) // only the whole tensor is orthogonal
					whole++
				}
				p.Grad = g
				o.Step([]*models.Param{p})
				switch c.Name {
				case "sgd":
					SGD(w, g, s1, float32(c.LR), float32(c.Momentum), float32(c.WeightDecay), c.Nesterov)
				case "adam":
					AdamStep(w, g, s1, s2, c.LR, b1, b2, eps, 1-math.Pow(b1, float64(step)), 1-math.Pow(b2, float64(step)), c.WeightDecay, 0)
				case "adamw":
					AdamStep(w, g, s1, s2, c.LR, b1, b2, eps, 1-math.Pow(b1, float64(step)), 1-math.Pow(b2, float64(step)), 0, c.WeightDecay)
				case "radam":
					RAdamStep(w, g, s1, s2, c.LR, b1, b2, eps, 1-math.Pow(b1, float64(step)), 1-math.Pow(b2, float64(step)), c.WeightDecay, models.RAdamRect(b2, step))
				case "adamp":
					AdamPStep(w, g, s1, s2, 11, c.LR, b1, b2, eps, 1-math.Pow(b1, float64(step)), 1-math.Pow(b2, float64(step)), c.WeightDecay, 0.1, 0.1)
					AdamPStepOnDevice(wd, g, d1, d2, 11, c.LR, b1, b2, eps, 1-math.Pow(b1, float64(step)), 1-math.Pow(b2, float64(step)), c.WeightDecay, 0.1, 0.1, 7)
				}
			}
			if projected == 0 {
				t.Fatal("no step had a gradient orthogonal to the weights")
			}
			near(t, c.Name+" weights", w, p.Data, 1e-6)
			if c.Name == "adamp" {
				if whole == 0 {
					t.Fatal("no step had a gradient orthogonal to the whole weight only")
				}
				near(t, "adamp (decisions on the device) weights", wd, p.Data, 1e-6)
			}
		})
	}
}

// TestSoftmaxCE against the formula in float64.
func TestSoftmaxCE(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	rows, k := 33, 18
	x := randSlice(r, rows*k, 8)
	labels := make([]int32, rows)
	for i := range labels {
		labels[i] = int32(r.IntN(k))
	}
	loss, dx := make([]float32, rows), make([]float32, rows*k)
	SoftmaxCE(x, k, labels, loss, dx)
	for i := range rows {
		row := x[i*k : (i+1)*k]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, float64(v))
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v) - mx)
		}
		lse := math.Log(sum) + mx
		if d := math.Abs(float64(loss[i]) - (lse - float64(row[labels[i]]))); d > 1e-5 {
			t.Fatalf("row %d loss %v, off by %v", i, loss[i], d)
		}
		for j, v := range row {
			want := math.Exp(float64(v)-lse) / float64(rows)
			if j == int(labels[i]) {
				want -= 1 / float64(rows)
			}
			if d := math.Abs(float64(dx[i*k+j]) - want); d > 1e-7 {
				t.Fatalf("row %d grad %d = %v, want %v", i, j, dx[i*k+j], want)
			}
		}
	}
}

// TestNormAndPooling against float64 formulas: BatchNorm's statistics
// and normalisation, 2×2 max pooling forward and backward, global
// average pooling forward and backward, and a bias's gradient.
func TestNormAndPooling(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	n, c, h, w := 3, 4, 6, 8
	hw := h * w
	x := randSlice(r, n*c*hw, 2)
	mean, variance := make([]float32, c), make([]float32, c)
	BNStats(x, n, c, hw, mean, variance)
	gamma, beta := randSlice(r, c, 1), randSlice(r, c, 1)
	y := make([]float32, len(x))
	BNApply(x, n, c, hw, mean, variance, gamma, beta, 1e-5, y)
	for ch := range c {
		var s, s2 float64
		for b := range n {
			for i := range hw {
				v := float64(x[(b*c+ch)*hw+i])
				s, s2 = s+v, s2+v*v
			}
		}
		m := s / float64(n*hw)
		vr := s2/float64(n*hw) - m*m
		if math.Abs(float64(mean[ch])-m) > 1e-6 || math.Abs(float64(variance[ch])-vr) > 1e-5 {
			t.Fatalf("channel %d: mean %v var %v, want %v %v", ch, mean[ch], variance[ch], m, vr)
		}
		for b := range n {
			for i := range hw {
				k := (b*c+ch)*hw + i
				want := float64(gamma[ch])*(float64(x[k])-m)/math.Sqrt(vr+1e-5) + float64(beta[ch])
				if math.Abs(float64(y[k])-want) > 1e-4 {
					t.Fatalf("normalised %d: %v, want %v", k, y[k], want)
				}
			}
		}
	}
	planes := n * c
	ho, wo := h/2, w/2
	py, arg := make([]float32, planes*ho*wo), make([]int32, planes*ho*wo)
	MaxPool2(x, planes, h, w, py, arg)
	for p := range planes {
		for i := range ho {
			for j := range wo {
				b := p*hw + 2*i*w + 2*j
				want := max(x[b], x[b+1], x[b+w], x[b+w+1])
				if o := (p*ho+i)*wo + j; py[o] != want || x[arg[o]] != want {
					t.Fatalf("pool %d: %v (from %d), want %v", o, py[o], arg[o], want)
				}
			}
		}
	}
	dy := randSlice(r, len(py), 1)
	dx := randSlice(r, len(x), 1) // junk: the backward clears it
	MaxPool2Backward(arg, dy, dx)
	var sumDx, sumDy float64
	nonzero := 0
	for _, v := range dx {
		sumDx += float64(v)
		if v != 0 {
			nonzero++
		}
	}
	for _, v := range dy {
		sumDy += float64(v)
	}
	if math.Abs(sumDx-sumDy) > 1e-4 || nonzero > len(dy) {
		t.Errorf("pool backward: Σdx %v, Σdy %v, %d nonzero of %d outputs", sumDx, sumDy, nonzero, len(dy))
	}
	g := make([]float32, planes)
	GAP(x, planes, hw, g)
	for p := range planes {
		var s float64
		for i := range hw {
			s += float64(x[p*hw+i])
		}
		if math.Abs(float64(g[p])-s/float64(hw)) > 1e-6 {
			t.Fatalf("gap %d: %v, want %v", p, g[p], s/float64(hw))
		}
	}
	// The backward passes of GAP and of a per-channel bias.
	gx := make([]float32, len(x))
	GAPBackward(g, hw, gx)
	db := make([]float32, c)
	BiasGrad(x, n, c, hw, db)
	for p := range planes {
		for i := range hw {
			if want := g[p] / float32(hw); gx[p*hw+i] != want {
				t.Fatalf("gap backward %d: %v, want %v", p*hw+i, gx[p*hw+i], want)
			}
		}
	}
	for ch := range c {
		var s float64
		for b := range n {
			for i := range hw {
				s += float64(x[(b*c+ch)*hw+i])
			}
		}
		if math.Abs(float64(db[ch])-s) > 1e-5*(1+math.Abs(s)) {
			t.Fatalf("bias gradient %d: %v, want %v", ch, db[ch], s)
		}
	}
}

// TestLossesMatchTraining: the smooth, ce and focal kernels (and a
// weighted mix) give package training's loss and gradient on one head.
func TestLossesMatchTraining(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	rows, k := 29, 18
	x := randSlice(r, rows*k, 4)
	labels := make([]int, rows)
	l32 := make([]int32, rows)
	for i := range labels {
		labels[i] = r.IntN(k)
		l32[i] = int32(labels[i])
	}
	priors := make([]float64, k) // far from even, as the competition's classes
	adj := make([]float32, k)
	for j := range priors {
		priors[j] = float64(1+j*j) / 1000 // shares up to 290× apart (their sum does not matter to la: a shift of every logit)
		adj[j] = float32(math.Log(priors[j]))
	}
	for _, spec := range []string{"ce", "smooth", "focal", "0.6focal+0.4ce", "f1", "0.5f1+0.5ce", "la", "0.5la+0.5f1"} {
		t.Run(spec, func(t *testing.T) {
			l, err := training.ParseLoss(spec)
			if err != nil {
				t.Fatal(err)
			}
			l.Priors = [][]float64{priors}
			want := make([]float32, rows*k)
			wantLoss := l.Func(labels, []int{k})(x, rows, k, want)
			got := make([]float32, rows*k)
			per := make([]float32, rows)
			gotLoss := 0.0
			for _, term := range l.Terms {
				switch term.Name {
				case "ce":
					SmoothCE(x, k, l32, nil, 0, term.Weight, per, got)
				case "smooth":
					SmoothCE(x, k, l32, nil, l.Smoothing, term.Weight, per, got)
				case "focal":
					Focal(x, k, l32, nil, l.Gamma, term.Weight, per, got)
				case "la":
					AdjustedCE(x, k, l32, adj, term.Weight, per, got)
				case "f1":
					// One loss for the rows together: spread so that the
					// mean below gives it back.
					one := make([]float32, 1)
					SoftF1(x, k, l32, l.Eps, term.Weight, one, got)
					for i := range per {
						per[i] = one[0]
					}
				}
				mean := 0.0
				for _, v := range per {
					mean += float64(v)
				}
				gotLoss += term.Weight * mean / float64(rows)
			}
			if math.Abs(gotLoss-wantLoss) > 1e-5*(1+math.Abs(wantLoss)) {
				t.Errorf("loss %v, training's %v", gotLoss, wantLoss)
			}
			near(t, spec+" gradient", got, want, 1e-5)
		})
	}
}

// TestBNBackward: BatchNorm's backward kernels against central differences
// of L = Σ y·dy through BNStats and BNApply in float64 (the statistics
// move with x, as in training), for x, gamma and beta.
func TestBNBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	n, c, hw := 3, 4, 10
	const eps = 1e-5
	x, dy := randSlice(r, n*c*hw, 2), randSlice(r, n*c*hw, 1)
	gamma, beta := randSlice(r, c, 1), randSlice(r, c, 1)
	mean, variance := make([]float32, c), make([]float32, c)
	BNStats(x, n, c, hw, mean, variance)
	dgamma, dbeta, dx := make([]float32, c), make([]float32, c), make([]float32, len(x))
	BNBackward(x, dy, n, c, hw, mean, variance, gamma, eps, dgamma, dbeta, dx)
	// L in float64 for inputs xs, gs, bs.
	loss := func(xs, gs, bs []float64) float64 {
		var l float64
		for ch := range c {
			var s, s2 float64
			for b := range n {
				for i := range hw {
					v := xs[(b*c+ch)*hw+i]
					s, s2 = s+v, s2+v*v
				}
			}
			m := s / float64(n*hw)
			sd := math.Sqrt(s2/float64(n*hw) - m*m + eps)
			for b := range n {
				for i := range hw {
					k := (b*c+ch)*hw + i
					l += (gs[ch]*(xs[k]-m)/sd + bs[ch]) * float64(dy[k])
				}
			}
		}
		return l
	}
	f64 := func(s []float32) []float64 {
		out := make([]float64, len(s))
		for i, v := range s {
			out[i] = float64(v)
		}
		return out
	}
	xs, gs, bs := f64(x), f64(gamma), f64(beta)
	diff := func(p []float64, i int) float64 {
		const h = 1e-5
		old := p[i]
		p[i] = old + h
		up := loss(xs, gs, bs)
		p[i] = old - h
		down := loss(xs, gs, bs)
		p[i] = old
		return (up - down) / (2 * h)
	}
	for _, i := range []int{0, 7, 41, 77, len(x) - 1} {
		if want := diff(xs, i); math.Abs(float64(dx[i])-want) > 1e-3*(1+math.Abs(want)) {
			t.Errorf("dx[%d] = %v, central difference %v", i, dx[i], want)
		}
	}
	for ch := range c {
		if want := diff(gs, ch); math.Abs(float64(dgamma[ch])-want) > 1e-3*(1+math.Abs(want)) {
			t.Errorf("dgamma[%d] = %v, central difference %v", ch, dgamma[ch], want)
		}
		if want := diff(bs, ch); math.Abs(float64(dbeta[ch])-want) > 1e-3*(1+math.Abs(want)) {
			t.Errorf("dbeta[%d] = %v, central difference %v", ch, dbeta[ch], want)
		}
	}
}

// TestEveryKernelIsNamed: the kernels kernels.cu and kernels_bf16.cu
// define are exactly Names, the list TestKernelsOnTheGPU finds in the PTX.
func TestEveryKernelIsNamed(t *testing.T) {
	var defined []string
	for _, f := range kernelFiles {
		src, err := sources.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`(?m)^KERNEL (md_\w+)\(`).FindAllStringSubmatch(string(src), -1) {
			defined = append(defined, m[1])
		}
	}
	want := slices.Sorted(slices.Values(Names))
	if slices.Sort(defined); !slices.Equal(defined, want) {
		t.Errorf("the kernels' files define %v; Names lists %v", defined, want)
	}
}

// orthogonalRows removes from each of the rows of g (cols floats each) its
// component along the same row of w, so that AdamP's per-row view projects.
func orthogonalRows(g, w []float32, rows, cols int) {
	for row := range rows {
		gr, wr := g[row*cols:(row+1)*cols], w[row*cols:(row+1)*cols]
		var gw, ww float64
		for j := range gr {
			gw += float64(gr[j]) * float64(wr[j])
			ww += float64(wr[j]) * float64(wr[j])
		}
		for j := range gr {
			gr[j] -= float32(gw / ww * float64(wr[j]))
		}
	}
}

// TestFusedBNReLU: the fused BatchNorm + ReLU kernels give what the
// separate ones do (statistics, normalisation, ReLU; the backward pass
// with dy masked where the ReLU stopped it), the running statistics
// PyTorch's rule gives, for any number of chunks.
func TestFusedBNReLU(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	n, c, hw := 3, 4, 10
	const eps, mo = 1e-5, 0.1
	x, dy := randSlice(r, n*c*hw, 2), randSlice(r, n*c*hw, 1)
	gamma, beta := randSlice(r, c, 1), randSlice(r, c, 1)
	mean, variance := make([]float32, c), make([]float32, c)
	BNStats(x, n, c, hw, mean, variance)
	for _, relu := range []bool{false, true} {
		want := make([]float32, len(x))
		BNApply(x, n, c, hw, mean, variance, gamma, beta, eps, want)
		masked := append([]float32(nil), dy...)
		for i, v := range want {
			if relu && v <= 0 {
				want[i], masked[i] = 0, 0
			}
		}
		wdg, wdb, wdx := make([]float32, c), make([]float32, c), make([]float32, len(x))
		BNBackward(x, masked, n, c, hw, mean, variance, gamma, eps, wdg, wdb, wdx)
		for _, chunks := range []int{1, 7, 64} {
			name := fmt.Sprintf("relu %v, %d chunks", relu, chunks)
			rm, rv := []float32{0.5, 0, 1, -1}, []float32{1, 2, 0.5, 1}
			wm, wv := append([]float32(nil), rm...), append([]float32(nil), rv...)
			for ch := range c {
				m := float64(n * hw)
				wm[ch] = (1-mo)*wm[ch] + mo*mean[ch]
				wv[ch] = (1-mo)*wv[ch] + mo*float32(float64(variance[ch])*m/(m-1))
			}
			mu, inv, y := make([]float32, c), make([]float32, c), make([]float32, len(x))
			BNReLUTrain(x, n, c, hw, chunks, gamma, beta, eps, mo, relu, rm, rv, mu, inv, y)
			near(t, name+": mean", mu, mean, 1e-6)
			near(t, name+": y", y, want, 1e-5)
			near(t, name+": running mean", rm, wm, 1e-6)
			near(t, name+": running variance", rv, wv, 1e-5)
			dg, db, dx := make([]float32, c), make([]float32, c), make([]float32, len(x))
			BNReLUBackward(x, dy, n, c, hw, chunks, mu, inv, gamma, beta, relu, dg, db, dx)
			near(t, name+": dgamma", dg, wdg, 1e-5)
			near(t, name+": dbeta", db, wdb, 1e-5)
			near(t, name+": dx", dx, wdx, 1e-5)
		}
	}
}

// TestDeviceLossMatchesTraining: a loss as package training hands it to a
// net on the GPU (Loss.Device: terms, each head's labels), run head by
// head through the kernels on its columns as the GPU engine does
// (models/gpu_loss_cuda.go) and added up by DeviceLoss.Total, gives
// training's loss and gradient, on the 18 classes and on the multi-head
// models' 3+2+3 logits.
func TestDeviceLossMatchesTraining(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	rows := 23
	labels := make([]int, rows)
	for i := range labels {
		labels[i] = r.IntN(18)
	}
	for _, heads := range [][]int{{18}, {3, 2, 3}} {
		k := 0
		for _, h := range heads {
			k += h
		}
		x := randSlice(r, rows*k, 4)
		for _, c := range []struct {
			spec     string
			weighted bool // --class-weights: rows weighed by their classes
		}{{"ce", false}, {"smooth", false}, {"focal", false}, {"f1", false}, {"0.6focal+0.4f1", false}, {"la", false}, {"0.5la+0.5f1", false},
			{"ce", true}, {"smooth", true}, {"0.5focal+0.3smooth+0.2f1", true}} {
			spec := c.spec
			name := fmt.Sprintf("%v/%s", heads, spec)
			if c.weighted {
				name += "/class-weights"
			}
			t.Run(name, func(t *testing.T) {
				l, err := training.ParseLoss(spec)
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range heads { // shares far from even
					p := make([]float64, h)
					w := make([]float64, h)
					for j := range p {
						p[j] = float64(1+3*j) / 100
						w[j] = 1 / p[j]
					}
					l.Priors = append(l.Priors, p)
					if c.weighted {
						l.ClassWeights = append(l.ClassWeights, w)
					}
				}
				want := make([]float32, rows*k)
				wantLoss := l.Func(labels, heads)(x, rows, k, want)
				d := l.Device(labels, heads)
				got := make([]float32, rows*k)
				perRow := make([]float32, len(heads)*len(d.Terms)*rows)
				off := 0
				for h, size := range heads {
					hx, hdx := make([]float32, rows*size), make([]float32, rows*size)
					for i := range rows {
						copy(hx[i*size:(i+1)*size], x[i*k+off:i*k+off+size])
					}
					var rw []float32
					if c.weighted {
						rw = d.RowWeights[h]
					}
					for ti, term := range d.Terms {
						loss := perRow[(h*len(d.Terms)+ti)*rows:][:rows]
						switch term.Kind {
						case models.LossCE:
							SmoothCE(hx, size, d.Labels[h], rw, 0, term.Weight, loss, hdx)
						case models.LossSmooth:
							SmoothCE(hx, size, d.Labels[h], rw, d.Smoothing, term.Weight, loss, hdx)
						case models.LossFocal:
							Focal(hx, size, d.Labels[h], rw, d.Gamma, term.Weight, loss, hdx)
						case models.LossF1:
							SoftF1(hx, size, d.Labels[h], d.Eps, term.Weight, loss, hdx)
						case models.LossLA:
							AdjustedCE(hx, size, d.Labels[h], d.Adjust[h], term.Weight, loss, hdx)
						}
					}
					for i := range rows {
						copy(got[i*k+off:i*k+off+size], hdx[i*size:(i+1)*size])
					}
					off += size
				}
				if gotLoss := d.Total(perRow, rows); math.Abs(gotLoss-wantLoss) > 1e-5*(1+math.Abs(wantLoss)) {
					t.Errorf("loss %v, training's %v", gotLoss, wantLoss)
				}
				near(t, spec+" gradient", got, want, 1e-5)
			})
		}
	}
}

// TestSignatures: every named kernel's parameters are read (as the GPU
// emulator reads them), each one of the four kinds a launch passes.
func TestSignatures(t *testing.T) {
	sig := map[string][]gpu.ParamKind{}
	for _, f := range kernelFiles {
		src, err := sources.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := gpu.ParseKernels(string(src))
		if err != nil {
			t.Fatal(err)
		}
		maps.Copy(sig, s)
	}
	for _, name := range Names {
		if len(sig[name]) == 0 {
			t.Errorf("%s: no parameters read", name)
		}
	}
	want := []gpu.ParamKind{gpu.ParamLong, gpu.ParamPointer, gpu.ParamPointer, gpu.ParamPointer, gpu.ParamPointer,
		gpu.ParamDouble, gpu.ParamDouble, gpu.ParamDouble, gpu.ParamDouble, gpu.ParamDouble, gpu.ParamDouble, gpu.ParamDouble,
		gpu.ParamDouble}
	if !slices.Equal(sig["md_adam"], want) {
		t.Errorf("md_adam: %v, want %v", sig["md_adam"], want)
	}
}

// TestPool2KMatchesTheReference: the max pool that keeps its winners
// (md_pool2k_fwd) gives each window's maximum and the first position that
// holds it (ties, frequent after a ReLU, go to the first, as on the CPU),
// and its backward (md_pool2k_bwd) writes every value of dx: dy at the
// winner, 0 elsewhere, whatever dx held. Random values, and values from
// {0, 1} where most windows tie.
func TestPool2KMatchesTheReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tied := range []bool{false, true} {
		planes, h, w := 6, 10, 14
		x := randSlice(r, planes*h*w, 1)
		if tied {
			for i := range x {
				x[i] = float32(r.IntN(2))
			}
		}
		ho, wo := h/2, w/2
		y, win := make([]float32, planes*ho*wo), make([]uint8, planes*ho*wo)
		Pool2K(x, planes, h, w, y, win)
		dy := randSlice(r, len(y), 1)
		dx := randSlice(r, len(x), 1) // junk: every value is written
		Pool2KBackward(win, dy, planes, h, w, dx)
		want := make([]float32, len(x))
		for p := range planes {
			for i := range ho {
				for j := range wo {
					o := (p*ho+i)*wo + j
					b := p*h*w + 2*i*w + 2*j
					at := []int{b, b + 1, b + w, b + w + 1}
					k := 0
					for m := 1; m < 4; m++ {
						if x[at[m]] > x[at[k]] {
							k = m
						}
					}
					if y[o] != x[at[k]] || int(win[o]) != k {
						t.Fatalf("tied %v, output %d: %v from %d, want %v from %d", tied, o, y[o], win[o], x[at[k]], k)
					}
					want[at[k]] = dy[o]
				}
			}
		}
		if !slices.Equal(dx, want) {
			t.Errorf("tied %v: the backward pass's dx differs from the scatter to the winners", tied)
		}
	}
}

// TestDropoutMaskMatchesGo: md_dropout_mask, compiled for the CPU, draws
// the very mask models/ops' DropMask draws (the CPU's dropout), for
// several rates and keys, an odd length included.
func TestDropoutMaskMatchesGo(t *testing.T) {
	for _, p := range []float64{0.05, 0.3, 0.5, 0.9} {
		for d := range uint64(3) {
			key := ops.DropKey(42, d)
			got, want := make([]float32, 10007), make([]float32, 10007)
			DropoutMask(got, key, ops.DropThreshold(p), float32(1/(1-p)))
			ops.DropMask(want, p, key)
			if !slices.Equal(got, want) {
				t.Fatalf("p %v draw %d: the kernel's mask differs from DropMask's", p, d)
			}
		}
	}
}

// TestClipMatchesTraining: the GPU's gradient clipping (its kernels on
// the CPU) scales the gradients as the optimizer's does on the CPU, and
// counts the same steps, clipped steps and norms, with the sums of
// squares in chunks.
func TestClipMatchesTraining(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	ps := []*models.Param{{Name: "w", Shape: []int{13, 41}, Decay: true}, {Name: "b", Shape: []int{13}}}
	for _, p := range ps {
		p.Data = randSlice(r, sizeOf(p.Shape), 0.5)
	}
	o, err := training.NewOptimizer(training.OptimConfig{Name: "sgd", LR: 0.01, ClipNorm: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := make([]float64, 6)
	for step, scale := range []float32{0.001, 0.2, 1} { // the first is below the limit
		var dev [][]float32
		for _, p := range ps {
			p.Grad = randSlice(r, len(p.Data), scale)
			dev = append(dev, append([]float32(nil), p.Grad...))
		}
		o.Step(ps) // clips p.Grad in place, then steps
		ClipOnDevice(dev, 1, 7, c)
		for i, p := range ps {
			near(t, fmt.Sprintf("step %d, %s's clipped gradient", step+1, p.Name), dev[i], p.Grad, 1e-6)
		}
	}
	got, err := o.TakeClips(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Steps != 3 || got.Clipped != 2 || int(c[2]) != 3 || int(c[3]) != 2 {
		t.Errorf("steps and clipped steps: the optimizer's %d and %d, the device's %v and %v; want 3 and 2", got.Steps, got.Clipped, c[2], c[3])
	}
	if math.Abs(got.NormSum-c[4]) > 1e-9*got.NormSum || math.Abs(got.NormMax-c[5]) > 1e-9*got.NormMax {
		t.Errorf("norms: the optimizer's sum %v and largest %v, the device's %v and %v", got.NormSum, got.NormMax, c[4], c[5])
	}
}

func sizeOf(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// TestEMAKernel: md_ema, compiled for the CPU, follows the moving
// average's formula over updates of TensorFlow's warmed-up decay (as
// training's --ema does), keeps the average of a tensor that does not
// move exactly, and md_swap exchanges two tensors.
func TestEMAKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	w := randSlice(r, 1000, 1)
	avg := slices.Clone(w)
	want := make([]float64, len(w))
	for i, v := range w {
		want[i] = float64(v)
	}
	still := randSlice(r, 100, 1)
	stillAvg := slices.Clone(still)
	for n := range 50 {
		for i := range w {
			w[i] += float32(r.NormFloat64() * 0.1)
		}
		k := 1 - math.Min(0.99, float64(1+n)/float64(10+n))
		EMA(avg, w, float32(k))
		EMA(stillAvg, still, float32(k))
		for i, v := range w {
			want[i] += k * (float64(v) - want[i])
		}
	}
	for i, v := range avg {
		if d := math.Abs(float64(v) - want[i]); d > 1e-5*math.Max(1, math.Abs(want[i])) {
			t.Fatalf("value %d: %v, the formula %v", i, v, want[i])
		}
	}
	if !slices.Equal(stillAvg, still) {
		t.Error("the average of a tensor that never moved moved")
	}
	a, b := slices.Clone(w), slices.Clone(avg)
	Swap(a, b)
	if !slices.Equal(a, avg) || !slices.Equal(b, w) {
		t.Error("md_swap did not exchange the tensors")
	}
}
