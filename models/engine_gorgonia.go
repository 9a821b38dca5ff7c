package models

import (
	"fmt"

	"github.com/maskdash/maskdash/models/ops"
	G "gorgonia.org/gorgonia"
	nnops "gorgonia.org/gorgonia/ops/nn"
	"gorgonia.org/tensor"
)

// Engines: which ops a network's graph is built from.
const (
	// EngineOwn is package ops's ops (CPU, the fast path); the default.
	EngineOwn = "own"
	// EngineGorgonia is Gorgonia's own ops only: ops/nn's convolution,
	// max pool and ReLU, and BatchNorm, global average pooling and dense
	// layers written with Gorgonia's elementwise, reduction and matrix
	// ops. It is the graph a cuda build runs on the GPU (cuDNN for ops/nn,
	// Gorgonia's PTX modules and cuBLAS for the rest); on a CPU build it is
	// Gorgonia's slow CPU path, kept to check the two engines against each
	// other. Only the loss hook and dropout stay package ops's ops.
	EngineGorgonia = "gorgonia"
)

// gorgoniaBNLayer is a Gorgonia-ops BatchNorm layer of one graph: in training its
// batch statistics are nodes, read after each step to update the running
// ones; in evaluation its per-channel scale and shift are input tensors
// filled from the running statistics before each pass.
type gorgoniaBNLayer struct {
	st *ops.BNStats
	// training: the batch mean and (biased) variance, [C], copied out by
	// Read nodes while the step runs (the tape machine reuses a node's
	// memory once nothing reads it, so its Value after the run is stale).
	mean, vari   G.Value
	m            int           // training: values per channel in a batch
	gamma, beta  *Param        // evaluation: the layer's parameters
	scale, shift *tensor.Dense // evaluation: [1,C,1,1] inputs
}

// update folds the last training step's batch statistics into the running
// ones.
func (l *gorgoniaBNLayer) update() {
	mean, vari := ops.Float32s(l.mean), ops.Float32s(l.vari)
	for c := range l.st.Mean {
		l.st.Fold(c, mean[c], float64(vari[c]), l.m)
	}
}

// fill computes the evaluation transform from the running statistics.
func (l *gorgoniaBNLayer) fill() {
	sc, sh := ops.Float32s(l.scale), ops.Float32s(l.shift)
	for c := range sc {
		inv := l.st.InvStd(c)
		sc[c] = l.gamma.Data[c] * inv
		sh[c] = l.beta.Data[c] - l.st.Mean[c]*sc[c]
	}
}

// chanShape reshapes a [C] node to [1,C,1,1] for broadcasting over NCHW.
func chanShape(p *G.Node) (*G.Node, error) { return G.Reshape(p, tensor.Shape{1, p.Shape()[0], 1, 1}) }

var nchw = []byte{0, 2, 3} // the axes a [1,C,1,1] operand is broadcast along

func (b *builder) gorgoniaConv(x, w *G.Node, k int) (*G.Node, error) {
	return nnops.Conv2d(x, w, tensor.Shape{k, k}, []int{k / 2, k / 2}, []int{1, 1}, []int{1, 1})
}

func (b *builder) gorgoniaBias(x, bias *G.Node, relu bool) (*G.Node, error) {
	bc, err := chanShape(bias)
	if err != nil {
		return nil, err
	}
	y, err := G.BroadcastAdd(x, bc, nil, nchw)
	if err != nil || !relu {
		return y, err
	}
	return nnops.Rectify(y)
}

// gorgoniaBN is BatchNorm from Gorgonia's elementwise and reduction ops, not
// ops/nn's BatchNorm: that one's CUDA version wants per-position scale and
// bias, hides the running statistics in scratch nodes and has no CPU
// version, and the CPU build's resets its statistics on SetTraining.
func (b *builder) gorgoniaBN(x *G.Node, st *ops.BNStats, gamma, beta *Param, relu bool) (*G.Node, error) {
	c := x.Shape()[1]
	l := &gorgoniaBNLayer{st: st, gamma: gamma, beta: beta}
	var y *G.Node
	if b.train {
		n := x.Shape()[0] * x.Shape()[2] * x.Shape()[3]
		mean, err := meanAxes(x, 3, 2, 0)
		if err != nil {
			return nil, err
		}
		mc, err := chanShape(mean)
		if err != nil {
			return nil, err
		}
		xc, err := G.BroadcastSub(x, mc, nil, nchw)
		if err != nil {
			return nil, err
		}
		sq, err := G.Square(xc)
		if err != nil {
			return nil, err
		}
		vari, err := meanAxes(sq, 3, 2, 0)
		if err != nil {
			return nil, err
		}
		eps := G.NewConstant(float32(st.Eps))
		ve, err := G.Add(vari, eps)
		if err != nil {
			return nil, err
		}
		sd, err := G.Sqrt(ve)
		if err != nil {
			return nil, err
		}
		a, err := G.HadamardDiv(b.node(gamma), sd) // γ/σ per channel
		if err != nil {
			return nil, err
		}
		ac, err := chanShape(a)
		if err != nil {
			return nil, err
		}
		if y, err = G.BroadcastHadamardProd(xc, ac, nil, nchw); err != nil {
			return nil, err
		}
		bc, err := chanShape(b.node(beta))
		if err != nil {
			return nil, err
		}
		if y, err = G.BroadcastAdd(y, bc, nil, nchw); err != nil {
			return nil, err
		}
		l.m = n
		G.Read(mean, &l.mean)
		G.Read(vari, &l.vari)
	} else {
		l.scale = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(1, c, 1, 1))
		l.shift = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(1, c, 1, 1))
		// Named: Gorgonia merges identical unnamed input nodes.
		sc := G.NewTensor(b.g, tensor.Float32, 4, G.WithShape(1, c, 1, 1), G.WithValue(l.scale), G.WithName(gamma.Name+".eval_scale"))
		sh := G.NewTensor(b.g, tensor.Float32, 4, G.WithShape(1, c, 1, 1), G.WithValue(l.shift), G.WithName(beta.Name+".eval_shift"))
		var err error
		if y, err = G.BroadcastHadamardProd(x, sc, nil, nchw); err != nil {
			return nil, err
		}
		if y, err = G.BroadcastAdd(y, sh, nil, nchw); err != nil {
			return nil, err
		}
	}
	b.bns = append(b.bns, l)
	if !relu {
		return y, nil
	}
	return nnops.Rectify(y)
}

func (b *builder) gorgoniaPool(x *G.Node) (*G.Node, error) {
	return nnops.MaxPool2D(x, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2})
}

// gorgoniaGAP is a mean over H and W: Gorgonia's GlobalAveragePool2D has no
// CUDA version, while Mean's sum and division run on the GPU.
func (b *builder) gorgoniaGAP(x *G.Node) (*G.Node, error) { return meanAxes(x, 3, 2) }

// meanAxes is the mean of x over the given axes (listed from the last),
// one axis at a time: Gorgonia's Sum and Mean over several axes at once
// use tensor v0.9.24's Dense.Sum(along...), which gives wrong sums once
// the reduced axes are longer than two (for a [2,3,4,4] tensor, Sum(2, 3)
// gives 43 45 47 48 43 45 where the sums are 43 47 51 48 45 49; one axis
// at a time is right). TestGorgoniaEngineMatchesOwn covers 32×32 and
// 64×64 inputs for this reason.
func meanAxes(x *G.Node, axes ...int) (*G.Node, error) {
	var err error
	for _, a := range axes {
		if x, err = G.Mean(x, a); err != nil {
			return nil, err
		}
	}
	return x, nil
}

func (b *builder) gorgoniaDense(x, w, bias *G.Node) (*G.Node, error) {
	if x.Dims() != 2 {
		k := 1
		for _, d := range x.Shape()[1:] {
			k *= d
		}
		var err error
		if x, err = G.Reshape(x, tensor.Shape{x.Shape()[0], k}); err != nil {
			return nil, err
		}
	}
	y, err := G.Mul(x, w)
	if err != nil {
		return nil, err
	}
	return G.BroadcastAdd(y, bias, nil, []byte{0})
}

// checkEngine returns an error for an engine name this package lacks.
func checkEngine(e string) error {
	switch e {
	case "", EngineOwn, EngineGorgonia:
		return nil
	}
	return fmt.Errorf("engine %q is unknown; use %s or %s", e, EngineOwn, EngineGorgonia)
}
