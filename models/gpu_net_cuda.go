//go:build cuda || gpuemu

package models

import (
	"errors"
	"fmt"
	"math"
	"os"
	"time"

	G "gorgonia.org/gorgonia"

	"github.com/maskdash/maskdash/models/gpu"
	"github.com/maskdash/maskdash/models/ops"
)

// gpuNet is a Net's GPU side: the device, the weights, running
// statistics, gradients and optimizer state in device memory, and the
// training and evaluation graphs as gpuRuns. The host's Param.Data is
// brought up to date only by weightsToHost (a checkpoint, a CPU
// prediction); Param.Grad is not filled on the GPU (gradsToHost does,
// for the checks).
type gpuNet struct {
	dev     *gpu.Device
	prec    Precision
	half    bool // --precision bf16: activations in bfloat16 (gpu_half_cuda.go)
	weights map[*Param]gpu.Buffer
	wh      map[*Param]gpu.Buffer // bf16: each kernel's bfloat16 KRSC copy, made every step
	padC    map[*Param]int        // bf16: a kernel whose copy has zero channels up to this count (halfPadded)
	byData  map[*float32]*Param
	train   *gpuRun
	eval    *gpuRun
	slots   map[*Param][]gpu.Buffer // optimizer state per parameter
	upd     gpu.Buffer              // AdamP's update (float64 values: twice the floats)
	cos     gpu.Buffer              // AdamP's per-row cosines (float64)
	st      gpu.Buffer              // AdamP's decision and sums (six float64)
	clip    gpu.Buffer              // gradient clipping's sum, coefficient and counts (six float64, gpu_clip_cuda.go)
	avg     map[*Param]gpu.Buffer   // the weights' moving average (--ema; gpu_average_cuda.go), nil without one
	ones    gpu.Buffer              // ones, for sums through cuBLAS
	// profile (MASKDASH_GPU_PROFILE=1, for measurements) waits after
	// every op and times it (slow).
	profile bool
}

// convTF32 reports whether convolutions may use TF32.
func (p Precision) convTF32() bool { return p == PrecisionFP32 || p == PrecisionTF32 }

// gemmTF32 reports whether matrix products may use TF32.
func (p Precision) gemmTF32() bool { return p == PrecisionTF32 }

// openGPU starts the device and copies the net's weights up.
func openGPU(n *Net) (*gpuNet, error) {
	if p := GPUProblem(); p != "" {
		return nil, fmt.Errorf("device cuda: %s", p)
	}
	dev, err := gpu.Open(0, gpu.KernelsPath())
	if err != nil {
		return nil, err
	}
	g := &gpuNet{dev: dev, prec: n.Spec.Precision, half: n.Spec.Precision == PrecisionBF16,
		weights: map[*Param]gpu.Buffer{}, wh: map[*Param]gpu.Buffer{}, padC: map[*Param]int{}, byData: map[*float32]*Param{},
		slots: map[*Param][]gpu.Buffer{}, profile: os.Getenv("MASKDASH_GPU_PROFILE") == "1"}
	if err := dev.Lock(); err != nil {
		dev.Close()
		return nil, err
	}
	defer dev.Unlock()
	fail := func(err error) (*gpuNet, error) { return nil, errors.Join(err, g.close()) }
	if err := dev.SetGemmTF32(n.Spec.Precision.gemmTF32()); err != nil {
		return fail(err)
	}
	pads := map[*float32]int{} // kernels' padded channel counts, by their data
	if g.half && gpuHalfPad {
		sorted, err := G.Sort(n.train.g)
		if err != nil {
			return fail(err)
		}
		for k, cp := range halfPadded(sorted, n.train.x) {
			pads[&ops.Float32s(k.Value())[0]] = cp
		}
	}
	for _, p := range append(append([]*Param(nil), n.params...), n.buffers...) {
		b, err := dev.Alloc(len(p.Data))
		if err != nil {
			return fail(err)
		}
		g.weights[p] = b
		g.byData[&p.Data[0]] = p
		if g.half && len(p.Shape) == 4 {
			size := len(p.Data)
			if cp, ok := pads[&p.Data[0]]; ok {
				g.padC[p] = cp
				size = size / p.Shape[1] * cp
			}
			if g.wh[p], err = dev.Alloc((size + 1) / 2); err != nil {
				return fail(err)
			}
		}
	}
	if err := g.toDevice(n); err != nil {
		return fail(err)
	}
	if g.train, err = newGPURunPlanned(g, n.train, gpuMemoryPlan); err != nil {
		return fail(fmt.Errorf("the training graph on the GPU: %w", err))
	}
	// The convolutions' algorithm search wrote the weights' gradients and
	// the activations only; the weights are as uploaded.
	return g, dev.Sync()
}

// close frees the net's device memory and the device; the first failure
// to free is returned (the rest is still freed).
func (g *gpuNet) close() error {
	if g.dev == nil {
		return nil
	}
	err := g.dev.Lock()
	if err == nil {
		var errs []error
		free := func(b gpu.Buffer) { errs = append(errs, g.dev.Free(b)) }
		for _, r := range []*gpuRun{g.train, g.eval} {
			if r != nil {
				errs = append(errs, r.free())
			}
		}
		for _, b := range g.weights {
			free(b)
		}
		for _, b := range g.wh {
			free(b)
		}
		for _, b := range g.avg {
			free(b)
		}
		for _, s := range g.slots {
			for _, b := range s {
				free(b)
			}
		}
		free(g.upd)
		free(g.ones)
		free(g.cos)
		free(g.st)
		free(g.clip)
		g.dev.Unlock()
		err = errors.Join(errs...)
	}
	g.dev.Close()
	g.dev = nil
	if err != nil {
		return fmt.Errorf("freeing the GPU: %w", err)
	}
	return nil
}

// toDevice uploads every weight and running statistic.
func (g *gpuNet) toDevice(n *Net) error {
	for _, p := range append(append([]*Param(nil), n.params...), n.buffers...) {
		if err := gpu.Upload(g.dev, g.weights[p], p.Data); err != nil {
			return err
		}
	}
	return nil
}

// toHost downloads every weight and running statistic into Param.Data.
func (g *gpuNet) toHost(n *Net) error {
	for _, p := range append(append([]*Param(nil), n.params...), n.buffers...) {
		if err := gpu.Download(g.dev, p.Data, g.weights[p]); err != nil {
			return err
		}
	}
	return nil
}

// gradsToHost downloads the last step's gradients into Param.Grad (a
// frozen parameter's, which the graph does not compute, stay zero).
func (g *gpuNet) gradsToHost(n *Net) error {
	for i, p := range n.params {
		if n.train.grads[i] == nil {
			clear(p.Grad)
			continue
		}
		if err := gpu.Download(g.dev, p.Grad, g.train.buf[n.train.grads[i]]); err != nil {
			return err
		}
	}
	return nil
}

// retrain lays out the net's new training graph (Net.refreeze) in place of
// the old one's run: the old run's memory is freed first, so the device
// never holds both. The weights, running statistics and optimizer state
// are the net's and stay, and so does the batch's page-locked staging
// memory: a trainer fills what InputBatch gave it for every step of an
// epoch, and the freeze changes at an epoch's start.
func (g *gpuNet) retrain(n *Net) error {
	if err := g.dev.Lock(); err != nil {
		return err
	}
	defer g.dev.Unlock()
	old := g.train
	if len(old.fetches) > 0 {
		return fmt.Errorf("the training graph for the frozen tensors: %d queued steps' results were not read (TrainResult)", len(old.fetches))
	}
	stage := old.stage
	old.stage = [gpu.Marks]gpu.Pinned{} // kept for the new run
	g.train = nil                       // freed, whatever comes: close must not free it again
	err := old.free()
	if err == nil {
		g.train, err = newGPURunPlanned(g, n.train, gpuMemoryPlan)
	}
	if err != nil {
		for _, p := range stage {
			g.dev.FreePinned(p)
		}
		return fmt.Errorf("the training graph for the frozen tensors on the GPU: %w", err)
	}
	for _, p := range g.train.stage {
		g.dev.FreePinned(p)
	}
	g.train.stage = stage
	g.train.gen = old.gen // the stages' turn (stageNext), so InputBatch stays
	return g.dev.Sync()
}

// trainStep runs one training step on the GPU.
func (g *gpuNet) trainStep(n *Net, x []float32) (float64, []float32, error) {
	if err := g.dev.Lock(); err != nil {
		return 0, nil, err
	}
	defer g.dev.Unlock()
	r := g.train
	switch {
	case len(r.fetches) > 0:
		return 0, nil, fmt.Errorf("training step: %d queued steps' results were not read (TrainResult)", len(r.fetches))
	case x == nil && !r.held:
		return 0, nil, fmt.Errorf("training step: no batch is held on the GPU (HoldBatch)")
	}
	r.devLoss = n.devLoss
	if err := r.step(x, true); err != nil {
		return 0, nil, err
	}
	return r.loss, r.logits, nil
}

// queueStep queues a training step on batch x (nil: the held batch)
// without waiting for its results (Net.QueueTrainStep).
func (g *gpuNet) queueStep(n *Net, x []float32) error {
	if err := g.dev.Lock(); err != nil {
		return err
	}
	defer g.dev.Unlock()
	r := g.train
	switch {
	case x == nil && !r.held:
		return fmt.Errorf("a queued training step: no batch is held on the GPU (HoldBatch)")
	case n.devLoss == nil:
		return fmt.Errorf("a queued training step needs the loss on the GPU (SetDeviceLoss): the host's loss waits for the logits")
	case len(r.fetches) >= gpu.Marks:
		return fmt.Errorf("a queued training step: %d are queued already, whose results were not read (TrainResult)", len(r.fetches))
	}
	r.devLoss = n.devLoss
	return r.step(x, false)
}

// result waits for the oldest queued step's loss and logits.
func (g *gpuNet) result() (float64, []float32, error) {
	if err := g.dev.Lock(); err != nil {
		return 0, nil, err
	}
	defer g.dev.Unlock()
	r := g.train
	if len(r.fetches) == 0 {
		return 0, nil, fmt.Errorf("no queued training step waits to be read (QueueTrainStep)")
	}
	start, w0 := time.Now(), r.waited
	if err := r.collect(); err != nil {
		return 0, nil, fmt.Errorf("training step: %w", err)
	}
	r.host.total += time.Since(start) - (r.waited - w0)
	return r.loss, r.logits, nil
}

// inputBatch is the training batch's page-locked staging memory.
func (g *gpuNet) inputBatch() []float32 { return g.train.stageNext().Floats() }

// hold keeps batch x on the device for the steps that follow
// (trainStep with a nil x).
func (g *gpuNet) hold(x []float32) error {
	if err := g.dev.Lock(); err != nil {
		return err
	}
	defer g.dev.Unlock()
	if len(g.train.fetches) > 0 {
		return fmt.Errorf("HoldBatch: %d queued steps' results were not read (TrainResult), and they may still read the batch", len(g.train.fetches))
	}
	return g.train.hold(x)
}

// forward runs the evaluation graph on the GPU.
func (g *gpuNet) forward(n *Net, x []float32, m int) ([]float32, error) {
	if err := g.dev.Lock(); err != nil {
		return nil, err
	}
	defer g.dev.Unlock()
	if g.eval == nil {
		var err error
		if g.eval, err = newGPURun(g, n.eval); err != nil {
			return nil, fmt.Errorf("the evaluation graph on the GPU: %w", err)
		}
	}
	r := g.eval
	if err := r.upload(x); err != nil {
		return nil, err
	}
	if err := r.run(); err != nil {
		return nil, fmt.Errorf("forward: %w", err)
	}
	k := n.Spec.Outputs()
	out := make([]float32, m*k)
	return out, gpu.Download(g.dev, out, r.buf[n.eval.out])
}

// resetProfile drops what the profile has timed so far.
func (g *gpuNet) resetProfile() {
	if g.train != nil {
		g.train.prof, g.train.profSteps, g.train.waited, g.train.host = nil, 0, 0, hostTime{}
	}
}

// waitedTime is how long the training steps' host has been blocked on
// the device since the profile was last reset.
func (g *gpuNet) waitedTime() time.Duration {
	if g.train == nil {
		return 0
	}
	return g.train.waited
}

// hostQueued is the host's own time in the training steps and updates
// since the profile was last reset (their wall time less the waits).
func (g *gpuNet) hostQueued() time.Duration {
	if g.train == nil {
		return 0
	}
	return g.train.host.total
}

// hostText is hostQueued by what the host was doing, per step ("" when
// no step was timed, or in the per-op profile, which waits after each op).
func (g *gpuNet) hostText() string {
	if g.train == nil || g.profile {
		return ""
	}
	return g.train.host.text()
}

func (g *gpuNet) profileText() string {
	if !g.profile || g.train.prof == nil {
		return ""
	}
	return g.train.profile()
}

// bytes is the device memory the net holds (weights, runs, optimizer
// state, the convolutions' workspace).
func (g *gpuNet) bytes() int64 {
	var b int64
	for _, w := range g.weights {
		b += 4 * int64(w.N)
	}
	for _, w := range g.wh {
		b += 4 * int64(w.N)
	}
	for _, s := range g.slots {
		for _, w := range s {
			b += 4 * int64(w.N)
		}
	}
	for _, r := range []*gpuRun{g.train, g.eval} {
		if r != nil {
			b += r.bytes()
		}
	}
	return b + 4*int64(g.upd.N+g.cos.N+g.st.N+g.clip.N+g.ones.N) + g.dev.WorkspaceBytes()
}

// slotsToHost downloads the optimizer's state by parameter name.
func (g *gpuNet) slotsToHost() (map[string][][]float32, error) {
	out := map[string][][]float32{}
	for p, s := range g.slots {
		v := make([][]float32, len(s))
		for i, b := range s {
			v[i] = make([]float32, len(p.Data))
			if err := gpu.Download(g.dev, v[i], b); err != nil {
				return nil, err
			}
		}
		out[p.Name] = v
	}
	return out, nil
}

// slotsToDevice uploads optimizer state by parameter name.
func (g *gpuNet) slotsToDevice(n *Net, s map[string][][]float32) error {
	for name, v := range s {
		p, ok := n.byName[name]
		if !ok || p.Grad == nil {
			return fmt.Errorf("optimizer state for %s, which model %s does not have", name, n.Spec.Name)
		}
		bufs, err := g.slot(p, len(v))
		if err != nil {
			return err
		}
		for i, d := range v {
			if len(d) != len(p.Data) {
				return fmt.Errorf("optimizer state for %s holds %d values, the parameter %d", name, len(d), len(p.Data))
			}
			if err := gpu.Upload(g.dev, bufs[i], d); err != nil {
				return err
			}
		}
	}
	return nil
}

// onesOf is a device vector of at least n ones.
func (g *gpuNet) onesOf(n int) (gpu.Buffer, error) {
	if g.ones.N >= n {
		return g.ones, nil
	}
	if err := g.dev.Free(g.ones); err != nil {
		return gpu.Buffer{}, err
	}
	g.ones = gpu.Buffer{}
	b, err := g.dev.Alloc(n)
	if err != nil {
		return gpu.Buffer{}, err
	}
	h := make([]float32, n)
	for i := range h {
		h[i] = 1
	}
	g.ones = b
	return b, gpu.Upload(g.dev, b, h)
}

// slot is parameter p's k optimizer buffers, cleared when first made.
func (g *gpuNet) slot(p *Param, k int) ([]gpu.Buffer, error) {
	if s, ok := g.slots[p]; ok && len(s) == k {
		return s, nil
	}
	s := make([]gpu.Buffer, k)
	for i := range s {
		b, err := g.dev.Alloc(len(p.Data))
		if err != nil {
			return nil, err
		}
		if err := g.dev.Zero(b); err != nil {
			return nil, err
		}
		s[i] = b
	}
	g.slots[p] = s
	return s, nil
}

// update applies one optimizer step to every parameter on the device.
func (g *gpuNet) update(n *Net, u Update) error {
	if err := g.dev.Lock(); err != nil {
		return err
	}
	defer g.dev.Unlock()
	t0 := time.Now()
	defer func() {
		d := time.Since(t0)
		g.train.host.add(hostUpdate, d)
		g.train.host.total += d
	}()
	if u.ClipNorm > 0 {
		if err := g.clipGrads(n, u.ClipNorm); err != nil {
			return err
		}
	}
	for i, p := range n.params {
		if p.Frozen {
			continue
		}
		w, gr := g.weights[p], g.train.buf[n.train.grads[i]]
		if u.ClipNorm > 0 {
			if err := g.dev.Launch("md_clip_scale", len(p.Data), len(p.Data), gr, g.clip); err != nil {
				return err
			}
		}
		u := u
		u.LR, u.Step = p.Rate(u.LR), u.StepOf(p)
		wd := u.WeightDecay
		if !p.Decay {
			wd = 0
		}
		size := len(p.Data)
		switch u.Rule {
		case UpdateSGD:
			s, err := g.slot(p, 1)
			if err != nil {
				return err
			}
			if err := g.dev.Launch("md_sgd", size, size, w, gr, s[0], float32(u.LR), float32(u.Momentum), float32(wd), flag(u.Nesterov)); err != nil {
				return err
			}
		case UpdateAdam, UpdateAdamW:
			s, err := g.slot(p, 2)
			if err != nil {
				return err
			}
			t := float64(u.Step)
			l2, dec := wd, 0.0
			if u.Rule == UpdateAdamW {
				l2, dec = 0, wd
			}
			if err := g.dev.Launch("md_adam", size, size, w, gr, s[0], s[1], u.LR, u.Beta1, u.Beta2, u.Eps,
				1-math.Pow(u.Beta1, t), 1-math.Pow(u.Beta2, t), l2, dec); err != nil {
				return err
			}
		case UpdateAdamP:
			if err := g.adamp(p, w, gr, u, wd); err != nil {
				return err
			}
		case UpdateRAdam:
			s, err := g.slot(p, 2)
			if err != nil {
				return err
			}
			t := float64(u.Step)
			if err := g.dev.Launch("md_radam", size, size, w, gr, s[0], s[1], u.LR, u.Beta1, u.Beta2, u.Eps,
				1-math.Pow(u.Beta1, t), 1-math.Pow(u.Beta2, t), wd, RAdamRect(u.Beta2, u.Step)); err != nil {
				return err
			}
		default:
			return fmt.Errorf("update rule %d is unknown", u.Rule)
		}
	}
	return nil
}

// adamp is AdamP's step on the device with every decision there (no
// synchronisation): moments and direction, the per-row cosines and the
// whole tensor's sums, which view (if any) is nearly orthogonal to the
// gradient, its projection, the move; the same sequence
// cudakern.AdamPStepOnDevice runs on the CPU in its test against package
// training.
func (g *gpuNet) adamp(p *Param, w, gr gpu.Buffer, u Update, wd float64) error {
	d := g.dev
	size := len(p.Data)
	s, err := g.slot(p, 2)
	if err != nil {
		return err
	}
	if g.upd.N < 2*size {
		if err := d.Free(g.upd); err != nil {
			return err
		}
		if g.upd, err = d.Alloc(2 * size); err != nil {
			return err
		}
	}
	if g.st.Nil() {
		if g.st, err = d.Alloc(12); err != nil { // six float64
			return err
		}
	}
	if err := d.Zero(g.st); err != nil {
		return err
	}
	t := float64(u.Step)
	bc1, bc2 := 1-math.Pow(u.Beta1, t), 1-math.Pow(u.Beta2, t)
	if err := d.Launch("md_adam_dir", size, size, w, gr, s[0], s[1], u.Beta1, u.Beta2, 0.0, bc2, u.Eps, g.upd); err != nil {
		return err
	}
	if len(p.Shape) > 1 {
		rows := p.Shape[0]
		nc := size / rows
		if g.cos.N < 2*rows {
			if err := d.Free(g.cos); err != nil {
				return err
			}
			if g.cos, err = d.Alloc(2 * rows); err != nil {
				return err
			}
		}
		chunks := min(size, 1024)
		for _, k := range []struct {
			name string
			n    int
			args []any
		}{
			{"md_adamp_cos", rows, []any{rows, nc, w, gr, u.Eps, g.cos}},
			{"md_adamp_whole_sums", chunks, []any{size, chunks, w, gr, g.st}},
			{"md_adamp_decide", 1, []any{rows, nc, size, u.Delta, u.Eps, g.cos, g.st}},
			{"md_adamp_project_rows", rows, []any{rows, nc, w, u.Eps, g.upd, g.st}},
			{"md_adamp_whole_dot", chunks, []any{size, chunks, w, u.Eps, g.upd, g.st}},
			{"md_adamp_whole_project", size, []any{size, w, u.Eps, g.upd, g.st}},
		} {
			if err := d.Launch(k.name, k.n, k.args...); err != nil {
				return err
			}
		}
	}
	return d.Launch("md_adam_apply_st", size, size, w, g.upd, u.LR/bc1, u.LR*wd, u.WDRatio, g.st)
}

// flag is a kernel's long for a bool.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}
