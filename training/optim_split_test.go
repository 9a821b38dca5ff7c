package training

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/maskdash/maskdash/models"
)

// TestAdamSplitIsExact: the optimizer's one-pass update, split between
// the workers (ops.Split), gives every rule's results bit for bit as the
// plain loops over whole tensors below do (the form it had before: for
// Adam one pass for the moments, one for the update, one for the
// weights), over three steps, for tensors too small to split and large
// enough to.
func TestAdamSplitIsExact(t *testing.T) {
	shapes := [][]int{{16}, {40, 700}, {30000}}
	for _, c := range []OptimConfig{
		{Name: "sgd", LR: 0.05, Momentum: 0.9, WeightDecay: 1e-4},
		{Name: "sgd", LR: 0.05, Momentum: 0.9, Nesterov: true},
		{Name: "adam", LR: 1e-3, WeightDecay: 1e-3},
		{Name: "adamw", LR: 1e-3, WeightDecay: 1e-2},
		{Name: "adamp", LR: 1e-3, WeightDecay: 1e-2},
	} {
		o, err := NewOptimizer(c)
		if err != nil {
			t.Fatal(err)
		}
		c = o.cfg // with its defaults
		r := rand.New(rand.NewPCG(5, 6))
		var ps, refs []*models.Param
		var slots [][2][]float32
		for i, s := range shapes {
			size := 1
			for _, d := range s {
				size *= d
			}
			data := make([]float32, size)
			for j := range data {
				data[j] = float32(r.NormFloat64())
			}
			ps = append(ps, param(string(rune('a'+i)), s, data, make([]float32, size)))
			refs = append(refs, param(string(rune('a'+i)), s, append([]float32(nil), data...), make([]float32, size)))
			slots = append(slots, [2][]float32{make([]float32, size), make([]float32, size)})
		}
		for step := 1; step <= 3; step++ {
			for k, p := range ps {
				for j := range p.Grad {
					p.Grad[j] = float32(r.NormFloat64() * 0.01)
				}
				if step == 2 && k == 1 { // orthogonal to each row: AdamP projects
					orthogonalToRows(p.Grad, p.Data, 40, 700)
				}
				copy(refs[k].Grad, p.Grad)
			}
			o.Step(ps)
			for k, p := range refs {
				switch c.Name {
				case "sgd":
					sgdWhole(c, step, p, slots[k][0])
				default:
					adamWhole(c, step, p, slots[k][0], slots[k][1])
				}
			}
			for k, p := range ps {
				for j := range p.Data {
					if math.Float32bits(p.Data[j]) != math.Float32bits(refs[k].Data[j]) {
						t.Fatalf("%+v step %d: tensor %v value %d is %v, the whole-tensor loops give %v", c, step, shapes[k], j, p.Data[j], refs[k].Data[j])
					}
				}
			}
		}
	}
}

// orthogonalToRows removes from each of g's rows its component along w's.
func orthogonalToRows(g, w []float32, rows, cols int) {
	for r := range rows {
		gr, wr := g[r*cols:(r+1)*cols], w[r*cols:(r+1)*cols]
		along := dot(gr, wr) / dot(wr, wr)
		for j := range gr {
			gr[j] -= float32(along * float64(wr[j]))
		}
	}
}

// sgdWhole is SGD's step over the whole of p (buf: its momentum).
func sgdWhole(c OptimConfig, step int, p *models.Param, buf []float32) {
	lr, mu, wd := float32(c.LR), float32(c.Momentum), float32(c.WeightDecay)
	for i, g := range p.Grad {
		if wd != 0 && p.Decay {
			g += wd * p.Data[i]
		}
		if step == 1 {
			buf[i] = g
		} else {
			buf[i] = mu*buf[i] + g
		}
		if c.Nesterov {
			g += mu * buf[i]
		} else {
			g = buf[i]
		}
		p.Data[i] -= lr * g
	}
}

// adamWhole is Adam's, AdamW's or AdamP's step over the whole of p in
// three passes (m, v: its moments).
func adamWhole(c OptimConfig, step int, p *models.Param, m, v []float32) {
	b1, b2 := c.Beta1, c.Beta2
	bc1 := 1 - math.Pow(b1, float64(step))
	bc2 := 1 - math.Pow(b2, float64(step))
	for i, g32 := range p.Grad {
		g := float64(g32)
		if c.Name == "adam" && c.WeightDecay != 0 && p.Decay {
			g += c.WeightDecay * float64(p.Data[i])
		}
		m[i] = float32(b1*float64(m[i]) + (1-b1)*g)
		v[i] = float32(b2*float64(v[i]) + (1-b2)*g*g)
	}
	upd := make([]float64, len(p.Data))
	for i := range upd {
		upd[i] = float64(m[i]) / (math.Sqrt(float64(v[i]))/math.Sqrt(bc2) + c.Eps)
	}
	wdRatio := 1.0
	if c.Name == "adamp" && len(p.Shape) > 1 && adampProject(p, upd, c.Delta, c.Eps) {
		wdRatio = c.WDRatio
	}
	decoupled := (c.Name == "adamw" || c.Name == "adamp") && c.WeightDecay != 0 && p.Decay
	for i := range p.Data {
		w := float64(p.Data[i])
		if decoupled {
			w *= 1 - c.LR*c.WeightDecay*wdRatio
		}
		p.Data[i] = float32(w - c.LR/bc1*upd[i])
	}
}
