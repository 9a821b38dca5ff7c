package models

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/maskdash/maskdash/models/ops"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ErrShape is wrapped when weights or inputs do not fit a network.
var ErrShape = errors.New("models: shape mismatch")

// Param is a learnable tensor (or a BatchNorm running statistic) with its
// gradient after a training step.
type Param struct {
	Name  string
	Shape []int
	Data  []float32 // the values, shared with the graphs
	Grad  []float32 // the last step's gradient (nil for buffers)
	Decay bool      // weight decay applies (tensors of rank > 1)
	// Frozen: an optimizer step leaves the tensor as it is (a child run's
	// tensors from its parent while --freeze-epochs lasts). The training
	// graph then computes no gradient for it (Grad stays zero), nor for
	// any layer only frozen tensors need (see refreeze).
	Frozen bool
	// RateScale is the fraction of the optimizer's learning rate the
	// tensor trains at (a child run's tensors from its parent with
	// --from-lr-scale); 0 means 1, all of it.
	RateScale float64
	Output    bool // a tensor of the layer that gives the logits (a head's last)
	t         *tensor.Dense
}

// Spec describes a network. Zero values take the documented defaults.
type Spec struct {
	Name      string  // a name from Names()
	Batch     int     // training batch size; default 32
	EvalBatch int     // evaluation batch size; default Batch
	W, H      int     // input size; default 64×64
	Classes   int     // outputs of a single-head model; default 18
	HeadDepth int     // hidden layers in each head of a multi-head model; default 1
	HeadWidth int     // width of those layers; default 64
	Dropout   float64 // dropout before each head's output layer; default 0
	Seed      uint64  // weight initialisation and dropout seed
	// Engine is EngineOwn (default: package ops's ops) or
	// EngineGorgonia (Gorgonia's own ops, the slow reference on the CPU).
	Engine string
	// Device is DeviceCPU (default) or DeviceCUDA: the graph's ops run on
	// the GPU, where the weights, gradients and optimizer state stay (a
	// cuda build; see gpu_net_cuda.go).
	Device Device
	// Precision is the GPU's arithmetic (default PrecisionFP32).
	Precision Precision
}

// Heads returns the output sizes of each head: one head of Classes, or the
// mask, gender and age heads (3, 2, 3) of a multi-head model.
func (s Spec) Heads() []int {
	if isMultiHead(s.Name) {
		return []int{3, 2, 3}
	}
	return []int{s.Classes}
}

// Outputs is the width of the logits row: the sum of Heads.
func (s Spec) Outputs() int {
	n := 0
	for _, h := range s.Heads() {
		n += h
	}
	return n
}

func (s *Spec) defaults() {
	if s.Batch <= 0 {
		s.Batch = 32
	}
	if s.EvalBatch <= 0 {
		s.EvalBatch = s.Batch
	}
	if s.W <= 0 || s.H <= 0 {
		s.W, s.H = 64, 64
	}
	if s.Classes <= 0 {
		s.Classes = 18
	}
	if s.HeadDepth < 0 {
		s.HeadDepth = 0
	} else if s.HeadDepth == 0 && isMultiHead(s.Name) {
		s.HeadDepth = 1
	}
	if s.HeadWidth <= 0 {
		s.HeadWidth = 64
	}
}

// Bounds on a Spec (see New).
const (
	MaxSide    = 4096
	MaxBatch   = 1 << 16
	MaxClasses = 100_000
)

// graph is one compiled Gorgonia graph: training (with gradients) or
// evaluation (forward only).
type graph struct {
	g    *G.ExprGraph
	x    *G.Node
	xt   *tensor.Dense
	out  *G.Node
	feat *G.Node // the trunk's output, which the output layers read (Net.Embed)
	// spatial is the trunk's last feature map with rows and columns
	// (N, C, h, w): feat itself (cnn-s) or what its global pooling read
	// (vgg-s, resnet-s); Net.CAM reads it.
	spatial *G.Node
	cost    *G.Node
	grads   G.Nodes
	loss    *ops.LossOp
	vm      G.VM
	batch   int
	arena   *ops.GradArena     // the training graph's gradient buffers
	bns     []*gorgoniaBNLayer // EngineGorgonia's BatchNorm layers
	flops   float64            // a training step's, per image (see Net.StepFLOPs)
	// frozen: the parameters (in Params order) whose gradients the
	// training graph does not compute; nil when it computes every one.
	frozen []bool
}

// Net is a network: its parameters and a training and an evaluation graph
// that share them.
type Net struct {
	Spec    Spec
	params  []*Param
	buffers []*Param
	byName  map[string]*Param
	stats   map[string]*ops.BNStats
	rng     *rand.Rand
	arch    func(b *builder, x *G.Node) (*G.Node, error)
	train   *graph
	eval    *graph
	lossFn  ops.LossFunc
	devLoss *DeviceLoss // the loss on the GPU (SetDeviceLoss), or nil
	gpu     *gpuNet     // the net's GPU side when Spec.Device is DeviceCUDA
	// released: Close gave the GPU back; the net evaluates on the CPU
	// and does not train
	released bool
}

// New builds the network named in spec with freshly initialised weights.
func New(spec Spec) (*Net, error) {
	spec.defaults()
	if err := checkEngine(spec.Engine); err != nil {
		return nil, err
	}
	arch, ok := registry[baseName(spec.Name)]
	if !ok {
		return nil, fmt.Errorf("model %q is unknown; valid models: %s", spec.Name, NamesList())
	}
	if spec.W%8 != 0 || spec.H%8 != 0 || spec.W < 16 || spec.H < 16 {
		up := func(v int) int { return max(16, (v+7)/8*8) }
		return nil, fmt.Errorf("image size %dx%d: models need sides that are multiples of 8, at least 16 (the nearest above: --img %dx%d; images are resized to it)", spec.W, spec.H, up(spec.W), up(spec.H))
	}
	// Sizes come from flags and from checkpoint files a user may be handed:
	// bound them before anything is allocated.
	if spec.W > MaxSide || spec.H > MaxSide || spec.Batch > MaxBatch || spec.EvalBatch > MaxBatch || spec.Classes > MaxClasses || spec.HeadDepth > 16 || spec.HeadWidth > 4096 {
		return nil, fmt.Errorf("model %s %dx%d, batch %d, %d classes, head %d×%d: past what a model here may be (sides ≤ %d, batch ≤ %d, classes ≤ %d)",
			spec.Name, spec.W, spec.H, spec.Batch, spec.Classes, spec.HeadDepth, spec.HeadWidth, MaxSide, MaxBatch, MaxClasses)
	}
	if isMultiHead(spec.Name) && spec.Classes != 18 {
		return nil, fmt.Errorf("model %s predicts mask, gender and age: it needs the 18 mask classes, not %d", spec.Name, spec.Classes)
	}
	n := &Net{Spec: spec, byName: map[string]*Param{}, stats: map[string]*ops.BNStats{},
		rng: rand.New(rand.NewPCG(spec.Seed, 0x5eed)), arch: arch}
	n.lossFn = func([]float32, int, int, []float32) float64 { return 0 }
	// Build the training graph now: it creates every parameter.
	var err error
	if n.train, err = n.build(spec.Batch, true, nil, nil); err != nil {
		return nil, err
	}
	if spec.Device == DeviceCUDA {
		if spec.Engine == EngineGorgonia {
			return nil, fmt.Errorf("the gorgonia engine is a CPU reference: it does not run on the GPU")
		}
		if n.gpu, err = openGPU(n); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// Params returns the learnable parameters in a fixed order.
func (n *Net) Params() []*Param { return n.params }

// Buffers returns the BatchNorm running statistics.
func (n *Net) Buffers() []*Param { return n.buffers }

// stateParams are Params then Buffers: every tensor a checkpoint keeps.
func (n *Net) stateParams() []*Param {
	return append(append([]*Param(nil), n.params...), n.buffers...)
}

// SetBNMomentum sets every BatchNorm layer's momentum for its running
// statistics (PyTorch's 0.1). 1/(b+1) at a pass's b-th batch (from 0)
// makes them the plain mean of the pass's batch statistics, as
// torch.optim.swa_utils.update_bn does with momentum None.
func (n *Net) SetBNMomentum(m float32) {
	for _, st := range n.stats {
		st.Momentum = m
	}
}

// Lookup finds a parameter or buffer by name.
func (n *Net) Lookup(name string) (*Param, bool) {
	p, ok := n.byName[name]
	return p, ok
}

// SetLoss sets the loss used by the next TrainStep.
func (n *Net) SetLoss(f ops.LossFunc) { n.lossFn = f }

// newTensor creates a parameter tensor (or returns the existing one, so
// that the evaluation graph shares the training graph's weights).
func (n *Net) newParam(name string, shape []int, decay, buffer bool, init func([]float32)) *Param {
	if p, ok := n.byName[name]; ok {
		return p
	}
	t := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...))
	p := &Param{Name: name, Shape: shape, Data: t.Data().([]float32), Decay: decay, t: t}
	init(p.Data)
	n.byName[name] = p
	if buffer {
		n.buffers = append(n.buffers, p)
	} else {
		p.Grad = make([]float32, len(p.Data))
		n.params = append(n.params, p)
	}
	return p
}

// StepFLOPs is the floating-point work of one training step per image, as
// `maskdash bench` counts it: each convolution and dense layer's
// multiply-adds (two operations each) as a direct product, forward, for
// the kernel gradient, and for the input gradient except at the network's
// input. Winograd does fewer multiplications for the same result; this
// counts the result's, as PyTorch's profilers and papers do.
func (n *Net) StepFLOPs() float64 { return n.train.flops }

// build compiles a training (train) or evaluation graph for batches of
// batch images. A training graph takes the gradients of the parameters
// frozen does not mark (every one when frozen is nil). xt is the input
// tensor to keep (a rebuilt training graph keeps the one InputBatch
// handed out), or nil for a new one.
func (n *Net) build(batch int, train bool, frozen []bool, xt *tensor.Dense) (*graph, error) {
	g := G.NewGraph()
	gr := &graph{g: g, batch: batch}
	if xt != nil {
		gr.xt = xt
	} else {
		gr.xt = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(batch, 3, n.Spec.H, n.Spec.W))
	}
	gr.x = G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, 3, n.Spec.H, n.Spec.W), G.WithName("x"), G.WithValue(gr.xt))
	b := &builder{net: n, g: g, train: train, gorgonia: n.Spec.Engine == EngineGorgonia}
	if train {
		gr.arena = &ops.GradArena{}
		b.arena = gr.arena
	}
	out, err := n.arch(b, gr.x)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", n.Spec.Name, err)
	}
	gr.feat, gr.spatial = out, b.spatial
	if gr.spatial == nil && len(out.Shape()) == 4 {
		gr.spatial = out
	}
	if out, err = b.heads(out); err != nil {
		return nil, fmt.Errorf("build %s heads: %w", n.Spec.Name, err)
	}
	gr.out = out
	gr.bns = b.bns
	gr.flops = b.flops
	if train {
		gr.loss = ops.NewLoss(&n.lossFn)
		if gr.cost, err = G.ApplyOp(gr.loss, out); err != nil {
			return nil, fmt.Errorf("build loss: %w", err)
		}
		if gr.grads, err = trainedGrads(gr.cost, b.nodes, frozen); err != nil {
			return nil, fmt.Errorf("build gradients: %w", err)
		}
		gr.frozen = frozen
		if !b.gorgonia {
			if err := ownSums(gr); err != nil {
				return nil, fmt.Errorf("build gradients: %w", err)
			}
			if n.Spec.Device == DeviceCPU {
				ops.PlanMemory(gr.g, gr.arena)
			}
		}
	}
	if n.Spec.Device == DeviceCPU {
		// A net on the GPU runs its graph itself (gpu_exec_cuda.go).
		gr.vm = G.NewTapeMachine(gr.g)
	}
	return gr, nil
}

// TrainStep runs forward and backward on exactly Spec.Batch images
// (x holds Batch·3·H·W floats, NCHW) with the current loss, fills every
// parameter's Grad and returns the loss and the logits (Batch × Outputs,
// valid until the next call).
func (n *Net) TrainStep(x []float32) (float64, []float32, error) {
	if n.released {
		return 0, nil, ErrReleased
	}
	gr := n.train
	d := gr.xt.Data().([]float32)
	if len(x) != len(d) {
		return 0, nil, fmt.Errorf("%w: batch has %d values, the graph takes %d", ErrShape, len(x), len(d))
	}
	if err := n.refreeze(); err != nil {
		return 0, nil, err
	}
	if n.gpu != nil {
		return n.gpu.trainStep(n, x)
	}
	gr = n.train
	if &x[0] != &d[0] { // filled in place (InputBatch): nothing to copy
		copy(d, x)
	}
	gr.arena.Reset()
	defer gr.vm.Reset()
	if err := gr.vm.RunAll(); err != nil {
		return 0, nil, fmt.Errorf("training step: %w", err)
	}
	for _, l := range gr.bns {
		l.update()
	}
	for i, p := range n.params {
		if gr.grads[i] != nil {
			copy(p.Grad, ops.Float32s(gr.grads[i].Value()))
		}
	}
	return gr.loss.Last, ops.Float32s(gr.out.Value()), nil
}

// Forward runs the evaluation graph (BatchNorm on running statistics, no
// dropout) on up to EvalBatch images and returns their logits
// (m × Outputs, a fresh slice).
func (n *Net) Forward(x []float32, m int) ([]float32, error) {
	gr, err := n.evalGraph(x, m)
	if err != nil {
		return nil, err
	}
	if n.gpu != nil {
		return n.gpu.forward(n, x, m)
	}
	var logits []float32
	err = n.runEval(gr, x, func() {
		k := n.Spec.Outputs()
		logits = append([]float32(nil), ops.Float32s(gr.out.Value())[:m*k]...)
	})
	return logits, err
}

// evalGraph is the evaluation graph, built at its first use, once x is
// known to hold m images it takes.
func (n *Net) evalGraph(x []float32, m int) (*graph, error) {
	if n.eval == nil {
		var err error
		if n.eval, err = n.build(n.Spec.EvalBatch, false, nil, nil); err != nil {
			return nil, err
		}
	}
	gr := n.eval
	per := 3 * n.Spec.H * n.Spec.W
	if m > gr.batch || len(x) != m*per {
		return nil, fmt.Errorf("%w: %d images (%d values) for an evaluation batch of %d", ErrShape, m, len(x), gr.batch)
	}
	return gr, nil
}

// runEval runs the evaluation graph gr on the CPU on images x (the rest
// of the batch zeros) and calls read while its nodes hold their values.
func (n *Net) runEval(gr *graph, x []float32, read func()) error {
	d := gr.xt.Data().([]float32)
	copy(d, x)
	clear(d[len(x):])
	defer gr.vm.Reset()
	for _, l := range gr.bns {
		l.fill()
	}
	if err := gr.vm.RunAll(); err != nil {
		return fmt.Errorf("forward: %w", err)
	}
	read()
	return nil
}

// NumParams is the number of learnable values.
func (n *Net) NumParams() int {
	t := 0
	for _, p := range n.params {
		t += len(p.Data)
	}
	return t
}

// heNormal fills with N(0, 2/fanIn), Kaiming's initialisation for ReLU nets.
func heNormal(r *rand.Rand, fanIn int) func([]float32) {
	s := math.Sqrt(2 / float64(fanIn))
	return func(d []float32) {
		for i := range d {
			d[i] = float32(r.NormFloat64() * s)
		}
	}
}

// uniformFan fills with U(−1/√fanIn, 1/√fanIn), PyTorch's default for
// dense layers and biases.
func uniformFan(r *rand.Rand, fanIn int) func([]float32) {
	s := 1 / math.Sqrt(float64(fanIn))
	return func(d []float32) {
		for i := range d {
			d[i] = float32((r.Float64()*2 - 1) * s)
		}
	}
}

func fill(v float32) func([]float32) {
	return func(d []float32) {
		for i := range d {
			d[i] = v
		}
	}
}
