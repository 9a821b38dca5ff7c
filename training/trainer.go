package training

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/models"
	"github.com/maskdash/maskdash/runs"
)

// Command kinds the trainer accepts between steps.
const (
	CmdPause      = "pause"
	CmdResume     = "resume"
	CmdToggle     = "toggle"     // pause or resume
	CmdCheckpoint = "checkpoint" // save now
	CmdSetLR      = "set-lr"     // Value is the new base rate
	CmdScaleLR    = "scale-lr"   // Value multiplies the base rate
	CmdSetLoss    = "set-loss"   // Text is a loss spec
	CmdPredict    = "predict"    // predict the eval set with the current weights
	CmdStop       = "stop"       // checkpoint, flush and stop
	CmdFork       = "fork"       // checkpoint, stop, and start a child run (Text: loss, Value: lr)
)

// Command is a request to the trainer, applied between two steps.
type Command struct {
	Kind  string
	Value float64
	Text  string
	Who   string // who asked: an SSH key fingerprint, or "local"
}

// ErrNonFinite reports a loss that became NaN or infinite.
var ErrNonFinite = errors.New("the loss is not finite")

// ErrBusy is returned by Send when the command queue is full.
var ErrBusy = errors.New("the trainer has too many pending commands")

// Trainer owns a model, its optimizer and its run folder, and trains in
// Run's goroutine. Everything else talks to it through Send and the Hub.
type Trainer struct {
	cfg    Config
	hub    *Hub
	cmds   chan Command
	run    *runs.Run
	header RunHeader

	data       *dataset.Data
	train, val *dataset.Set
	trainL     *dataset.Loader
	valL       *dataset.Loader
	sampler    dataset.Sampler
	aug        dataset.Augment

	net    *models.Net
	opt    *Optimizer
	loss   *Loss
	sched  Schedule
	baseLR float64

	epoch, step, batchInEpoch int
	bestF1                    float64
	state                     string
	fork                      *Command
	gpu                       gpuMemPoller // on cuda: the GPU's memory, for step events
}

// New prepares a run: it opens (or synthesises) the data, splits it, builds
// the model and optimizer, and creates or reopens the run folder.
func New(ctx context.Context, cfg Config, hub *Hub) (*Trainer, error) {
	cfg.Defaults()
	t := &Trainer{cfg: cfg, hub: hub, cmds: make(chan Command, 64), state: StateStarting}
	store := runs.NewStore(cfg.Runs)
	var resumeMeta *CkptMeta
	var resumePath string
	if cfg.Resume != "" {
		info, err := store.Info(cfg.Resume)
		if err != nil {
			return nil, err
		}
		if info.Status == runs.StatusRunning {
			return nil, fmt.Errorf("run %s: %w", info.ID, runs.ErrLocked)
		}
		keep := cfg
		t.cfg = ConfigFromMap(info.Config)
		t.cfg.Runs, t.cfg.Resume, t.cfg.StepEvery, t.cfg.Workers = keep.Runs, info.ID, keep.StepEvery, keep.Workers
		if keep.Epochs > 0 && keep.Epochs != 5 {
			t.cfg.Epochs = keep.Epochs
		}
		t.cfg.Defaults()
		cfg = t.cfg
		// A run killed before its first checkpoint starts over (same id).
		if p, err := CheckpointPath(store.Path(info.ID), "latest"); err == nil {
			m, err := ReadCkptMeta(p)
			if err != nil {
				return nil, err
			}
			resumeMeta, resumePath = &m, p
		}
	}
	// After a resume, cfg is the run's own: its device and engine.
	engine, err := models.EngineFor(cfg.Device)
	if err != nil {
		return nil, err
	}
	if cfg.Engine != "" {
		engine = cfg.Engine
	}
	if t.loss, err = ParseLoss(cfg.Loss); err != nil {
		return nil, err
	}
	if t.opt, err = NewOptimizer(OptimConfig{Name: cfg.Optim, LR: cfg.LR, WeightDecay: cfg.WeightDecay}); err != nil {
		return nil, err
	}
	switch cfg.Schedule {
	case "none", "step", "cosine":
	default:
		return nil, fmt.Errorf("schedule %q is unknown; use one of %s", cfg.Schedule, strings.Join(ScheduleNames, ", "))
	}
	if err := t.openData(ctx); err != nil {
		return nil, err
	}
	spec := models.Spec{Name: cfg.Model, Batch: cfg.Batch, EvalBatch: max(cfg.Batch, 64), W: cfg.W, H: cfg.H,
		Classes: len(t.train.Classes), HeadDepth: cfg.HeadDepth, Dropout: cfg.Dropout, Seed: cfg.Seed, Engine: engine}
	if t.net, err = models.New(spec); err != nil {
		return nil, err
	}
	t.baseLR = cfg.LR
	steps := cfg.Epochs * (len(t.sampler.Epoch(0)) / cfg.Batch)
	t.sched = Schedule{Name: cfg.Schedule, WarmupSteps: cfg.Warmup, TotalSteps: steps}
	switch {
	case resumeMeta != nil:
		if err := t.restore(resumePath, *resumeMeta, true); err != nil {
			return nil, err
		}
		if t.run, err = store.OpenForWrite(cfg.Resume); err != nil {
			return nil, err
		}
		// Forget what was logged after the checkpoint: it is about to be
		// done again, and the log must not hold a step or an epoch twice.
		if err := t.run.RewindTo(resumeMeta.Step); err != nil {
			t.run.Close(runs.StatusFailed, err)
			return nil, err
		}
	case cfg.Resume != "":
		if err := t.startNew(store, &cfg); err != nil {
			return nil, err
		}
		if t.run, err = store.OpenForWrite(cfg.Resume); err != nil {
			return nil, err
		}
		if err := t.run.RewindTo(0); err != nil {
			t.run.Close(runs.StatusFailed, err)
			return nil, err
		}
	default:
		if err := t.startNew(store, &cfg); err != nil {
			return nil, err
		}
		info := runs.Info{Name: cfg.Name, Parent: cfg.From, Model: cfg.Model, Loss: cfg.Loss, Optim: t.opt.Name(),
			LR: cfg.LR, Epochs: cfg.Epochs, Config: cfg.AsMap()}
		if t.run, err = store.Create(info); err != nil {
			return nil, err
		}
	}
	t.cfg = cfg
	t.header = RunHeader{ID: t.run.ID(), Parent: t.run.Info.Parent, Model: cfg.Model, Loss: t.loss.Spec, Optim: t.opt.Name(),
		LR: t.baseLR, Batch: cfg.Batch, Img: fmt.Sprintf("%dx%d", cfg.W, cfg.H), Sampler: t.sampler.Name(),
		Data: t.train.Root, Device: cfg.Device, Classes: t.train.Classes, Masked: t.train.Masked,
		Train: t.train.Len(), Val: t.val.Len(), Epochs: cfg.Epochs}
	return t, nil
}

// startNew prepares a run that starts from scratch: from the parent's
// checkpoint (train --from) or with fresh weights and the training split's
// normalisation.
func (t *Trainer) startNew(store *runs.Store, cfg *Config) error {
	if cfg.From == "" {
		if cfg.Std == ([3]float32{}) {
			t.computeNorm()
		}
		return nil
	}
	info, err := store.Info(cfg.From)
	if err != nil {
		return err
	}
	p, err := CheckpointPath(store.Path(info.ID), cfg.FromCkpt)
	if err != nil {
		return fmt.Errorf("start from %s: %w", info.ID, err)
	}
	m, err := ReadCkptMeta(p)
	if err != nil {
		return err
	}
	cfg.From = info.ID
	return t.restore(p, m, false)
}

// restore loads a checkpoint's weights (and optimizer state when the
// optimizer is the same); full also restores the position in training.
func (t *Trainer) restore(path string, m CkptMeta, full bool) error {
	if m.Model.Name != t.net.Spec.Name || m.Model.W != t.net.Spec.W || m.Model.H != t.net.Spec.H || m.Model.Classes != t.net.Spec.Classes {
		return fmt.Errorf("%w %s does not match this run: it holds %s %dx%d with %d classes, the run wants %s %dx%d with %d",
			ErrCheckpoint, path, m.Model.Name, m.Model.W, m.Model.H, m.Model.Classes, t.net.Spec.Name, t.net.Spec.W, t.net.Spec.H, t.net.Spec.Classes)
	}
	if err := loadWeights(path, t.net); err != nil {
		return err
	}
	if m.Optimizer == t.opt.Name() {
		if err := t.opt.Load(m.optState()); err != nil {
			return err
		}
	}
	t.aug.Mean, t.aug.Std = m.Mean, m.Std
	t.aug.CropW, t.aug.CropH = m.CropW, m.CropH
	if full {
		t.epoch, t.step, t.batchInEpoch, t.bestF1 = m.Epoch, m.Step, m.Batch, m.BestF1
		t.baseLR = m.BaseLR
		if l, err := ParseLoss(m.Loss); err == nil {
			t.loss = l
		}
	}
	t.opt.SetLR(t.baseLR)
	t.rebuildLoaders() // with the checkpoint's normalisation
	return nil
}

// RunID is the id of the run being written.
func (t *Trainer) RunID() string { return t.run.ID() }

// RunDir is the run's folder.
func (t *Trainer) RunDir() string { return t.run.Dir }

// Header describes the run.
func (t *Trainer) Header() RunHeader { return t.header }

// Forked returns the fork request that ended the run, if any.
func (t *Trainer) Forked() *Command { return t.fork }

// Send queues a command without blocking.
func (t *Trainer) Send(c Command) error {
	select {
	case t.cmds <- c:
		return nil
	default:
		return ErrBusy
	}
}

func (t *Trainer) publish(e Event) {
	e.Run = t.run.ID()
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	t.hub.Publish(e)
	if e.Kind != KindStep {
		t.run.Append(e)
	}
}

func (t *Trainer) setState(s, msg string) {
	t.state = s
	t.publish(Event{Kind: KindState, State: s, Epoch: t.epoch, Step: t.step, Msg: msg})
}

// Run trains until the planned epochs are done, Stop or Fork arrives, the
// loss diverges or ctx is cancelled (which stops gracefully too).
func (t *Trainer) Run(ctx context.Context) (err error) {
	h := t.header
	if t.cfg.Device == "cuda" {
		pctx, stop := context.WithCancel(ctx)
		defer stop()
		go t.gpu.run(pctx, 5*time.Second)
	}
	t.publish(Event{Kind: KindRun, Settings: &h, Epoch: t.epoch, Step: t.step, Epochs: t.cfg.Epochs, LR: t.baseLR})
	t.setState(StateRunning, "")
	status := runs.StatusDone
	defer func() {
		if err != nil {
			status = runs.StatusFailed
			t.publish(Event{Kind: KindError, Msg: err.Error(), Epoch: t.epoch, Step: t.step, Setting: FatalSetting})
		}
		t.run.Info.EpochsDone, t.run.Info.Steps = t.epoch, t.step
		final := map[string]string{runs.StatusDone: StateDone, runs.StatusStopped: StateStopped, runs.StatusFailed: StateFailed}[status]
		t.setState(final, "")
		t.run.Close(status, err)
	}()
	for t.epoch < t.cfg.Epochs {
		stop, err := t.runEpoch(ctx)
		if err != nil {
			return err
		}
		if stop {
			status = runs.StatusStopped
			return nil
		}
	}
	return nil
}

// runEpoch trains the rest of the current epoch and validates it.
func (t *Trainer) runEpoch(ctx context.Context) (stop bool, err error) {
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	order := t.sampler.Epoch(t.epoch)
	nb := len(order) / t.cfg.Batch // drop_last, as the baseline
	if t.batchInEpoch >= nb {
		t.batchInEpoch = 0
	}
	order = order[t.batchInEpoch*t.cfg.Batch : nb*t.cfg.Batch]
	heads := t.net.Spec.Heads()
	k := t.net.Spec.Outputs()
	per := 3 * t.cfg.W * t.cfg.H
	x := make([]float32, t.cfg.Batch*per)
	labels := make([]int, t.cfg.Batch)
	var lossSum, n, correct, seen float64
	last := time.Now()
	imgs := 0
	for b := range t.trainL.Epoch(ectx, t.epoch, order) {
		if stop, err := t.handleCommands(ctx); err != nil || stop {
			if err == nil {
				err = t.checkpoint(false)
			}
			return true, err
		}
		if ctx.Err() != nil {
			return true, t.checkpoint(false)
		}
		if b.N == 0 {
			continue
		}
		for i := 0; i < t.cfg.Batch; i++ {
			j := i % b.N
			copy(x[i*per:(i+1)*per], b.X[j*per:(j+1)*per])
			labels[i] = b.Labels[j]
		}
		lr := t.sched.Rate(t.baseLR, t.step, t.epoch)
		t.opt.SetLR(lr)
		t.net.SetLoss(t.loss.Func(labels, heads))
		loss, logits, err := t.net.TrainStep(x)
		if err != nil {
			return false, err
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return false, fmt.Errorf("%w at step %d (epoch %d); stopped, the last good checkpoint is kept", ErrNonFinite, t.step, t.epoch+1)
		}
		t.opt.Step(t.net.Params())
		for i := 0; i < b.N; i++ {
			if argmax(ClassLogProbs(logits[i*k:(i+1)*k], heads)) == b.Labels[i] {
				correct++
			}
			seen++
		}
		lossSum += loss
		n++
		imgs += b.N
		t.step++
		t.batchInEpoch++
		if el := time.Since(last); el >= t.cfg.StepEvery {
			ips := float64(imgs) / el.Seconds()
			e := Event{Kind: KindStep, Time: time.Now(), Run: t.run.ID(), Epoch: t.epoch, Step: t.step, Loss: lossSum / n, LR: lr, IPS: ips,
				Progress: float64(t.batchInEpoch) / float64(nb), Epochs: t.cfg.Epochs}
			e.GPUMem, e.GPUTotal = t.gpu.read()
			t.publish(e)
			t.run.Append(e)
			t.run.AppendHistory(t.step, map[string]float64{"loss": e.Loss, "lr": lr, "ips": ips})
			lossSum, n, imgs = 0, 0, 0
			last = time.Now()
		}
	}
	if ctx.Err() != nil {
		return true, t.checkpoint(false)
	}
	t.epoch++
	t.batchInEpoch = 0
	m, conf, err := t.validate(ctx)
	if err != nil {
		return false, err
	}
	trainAcc := 0.0
	if seen > 0 {
		trainAcc = correct / seen
	}
	t.publish(Event{Kind: KindEpoch, Epoch: t.epoch, Step: t.step, Epochs: t.cfg.Epochs, TrainAcc: trainAcc, Val: &m, Conf: conf, LR: t.opt.LR()})
	best := m.MacroF1 > t.bestF1 || t.epoch == 1 && t.bestF1 == 0
	if best {
		t.bestF1 = m.MacroF1
		t.run.Info.Best = runs.Best{MacroF1: m.MacroF1, Accuracy: m.Accuracy, Epoch: t.epoch}
	}
	t.run.Info.EpochsDone, t.run.Info.Steps = t.epoch, t.step
	if err := t.saveCheckpoint(&m, best); err != nil {
		return false, err
	}
	t.run.SaveInfo()
	return false, t.run.Sync()
}

// handleCommands applies queued commands; while paused it waits for one.
func (t *Trainer) handleCommands(ctx context.Context) (stop bool, err error) {
	for {
		var c Command
		if t.state == StatePaused {
			select {
			case c = <-t.cmds:
			case <-ctx.Done():
				return true, nil
			}
		} else {
			select {
			case c = <-t.cmds:
			default:
				return false, nil
			}
		}
		if stop, err := t.apply(c); stop || err != nil {
			return stop, err
		}
	}
}

func (t *Trainer) control(c Command, setting, value string) {
	t.publish(Event{Kind: KindControl, Epoch: t.epoch, Step: t.step, Setting: setting, Value: value, Who: c.Who, LR: t.baseLR})
}

func (t *Trainer) apply(c Command) (stop bool, err error) {
	switch c.Kind {
	case CmdPause, CmdResume, CmdToggle:
		pause := c.Kind == CmdPause || c.Kind == CmdToggle && t.state != StatePaused
		if pause && t.state != StatePaused {
			t.control(c, "state", "paused")
			t.setState(StatePaused, "")
		} else if !pause && t.state == StatePaused {
			t.control(c, "state", "running")
			t.setState(StateRunning, "")
		}
	case CmdCheckpoint:
		t.control(c, "checkpoint", "")
		return false, t.checkpoint(false)
	case CmdSetLR, CmdScaleLR:
		lr := c.Value
		if c.Kind == CmdScaleLR {
			lr = t.baseLR * c.Value
		}
		if !(lr > 0) || math.IsInf(lr, 0) {
			t.publish(Event{Kind: KindError, Msg: fmt.Sprintf("learning rate %v is not a positive number; kept %g", lr, t.baseLR)})
			return false, nil
		}
		t.baseLR = lr
		t.opt.SetLR(lr)
		t.control(c, "lr", fmt.Sprintf("%g", lr))
	case CmdSetLoss:
		l, err := ParseLoss(c.Text)
		if err != nil {
			t.publish(Event{Kind: KindError, Msg: err.Error()})
			return false, nil
		}
		t.loss = l
		t.control(c, "loss", l.Spec)
	case CmdPredict:
		t.control(c, "predict", "")
		path, err := t.predictNow()
		if err != nil {
			t.publish(Event{Kind: KindError, Msg: "predict: " + err.Error()})
			return false, nil
		}
		t.publish(Event{Kind: KindPrediction, Path: path, Epoch: t.epoch, Step: t.step, Msg: "prediction written to " + path})
	case CmdStop:
		t.control(c, "stop", "")
		t.setState(StateStopping, "")
		return true, nil
	case CmdFork:
		t.control(c, "fork", fmt.Sprintf("loss=%s lr=%g", c.Text, c.Value))
		t.setState(StateStopping, "starting a new run from this one")
		cc := c
		t.fork = &cc
		return true, nil
	}
	return false, nil
}

func (t *Trainer) meta(m *Metrics) CkptMeta {
	st := t.opt.State()
	return CkptMeta{Model: t.net.Spec, Epoch: t.epoch, Step: t.step, Batch: t.batchInEpoch, Metrics: m,
		Loss: t.loss.Spec, BaseLR: t.baseLR, Optimizer: st.Name, OptStep: st.Step, OptLR: st.LR, Slots: slotsJSON(st),
		Data: DataIdentity{Root: t.train.Root, Format: t.train.Format, Images: t.data.Train.Len(), Seed: t.cfg.Seed,
			Split: t.cfg.Split, ValRatio: t.cfg.ValRatio, AgeBins: t.cfg.AgeBins, Sampler: t.cfg.Sampler},
		Mean: t.aug.Mean, Std: t.aug.Std, CropW: t.aug.CropW, CropH: t.aug.CropH, Classes: t.train.Classes, BestF1: t.bestF1}
}

func (t *Trainer) saveCheckpoint(m *Metrics, best bool) error {
	path, err := SaveCheckpoint(t.run.CheckpointDir(), t.net, t.meta(m), best)
	if err != nil {
		return err
	}
	msg := "checkpoint saved"
	if best {
		msg = "checkpoint saved (best so far)"
	}
	t.publish(Event{Kind: KindCheckpoint, Path: path, Epoch: t.epoch, Step: t.step, Msg: msg})
	return nil
}

// checkpoint saves the current weights (mid-epoch too) as latest.
func (t *Trainer) checkpoint(best bool) error {
	t.run.Info.EpochsDone, t.run.Info.Steps = t.epoch, t.step
	if err := t.saveCheckpoint(nil, best); err != nil {
		return err
	}
	t.run.SaveInfo()
	return t.run.Sync()
}

// validate evaluates the validation split in evaluation mode.
func (t *Trainer) validate(ctx context.Context) (Metrics, *Confusion, error) {
	if t.val.Len() == 0 {
		return Metrics{}, NewConfusion(len(t.train.Classes)), nil
	}
	lp, loss, err := evalSet(ctx, t.net, t.valL, t.val, t.loss, false)
	if err != nil {
		return Metrics{}, nil, err
	}
	conf := NewConfusion(len(t.val.Classes))
	for i, row := range lp {
		conf.Add(t.val.Samples[i].Label, argmax(row))
	}
	return Summarize(conf, loss, t.val.Masked), conf, nil
}

// predictNow writes predictions of the eval set (mask layout) or of the
// validation split (other formats) with the current weights.
func (t *Trainer) predictNow() (string, error) {
	set := t.val
	if t.data.Format == "mask" {
		if ev, err := dataset.ReadEval(t.dataDir(), t.train.Bins); err == nil {
			set = ev
		}
	}
	l := dataset.NewLoader(set, dataset.LoaderConfig{Batch: t.net.Spec.EvalBatch, Aug: t.aug, Workers: t.cfg.Workers}, nil, nil)
	lp, _, err := evalSet(context.Background(), t.net, l, set, nil, false)
	if err != nil {
		return "", err
	}
	path := filepath.Join(t.run.PredictionDir(), fmt.Sprintf("%03d-%07d.csv", t.epoch, t.step))
	return path, WritePredictions(path, set, lp)
}

func (t *Trainer) dataDir() string {
	if t.cfg.Data == "" {
		return DefaultSynthDir(t.cfg.SynthProfiles, t.cfg.SynthSize, 7)
	}
	return t.cfg.Data
}

// openData opens (or makes) the data and builds split, sampler and loaders.
func (t *Trainer) openData(ctx context.Context) error {
	cfg := t.cfg
	dir := t.dataDir()
	if cfg.Data == "" {
		if err := ensureSynth(ctx, dir, cfg.SynthProfiles, cfg.SynthSize, func(msg string) {
			t.hub.Publish(Event{Kind: KindState, State: StateStarting, Msg: msg})
		}); err != nil {
			return err
		}
	}
	bins, err := dataset.ParseAgeBins(cfg.AgeBins)
	if err != nil {
		return err
	}
	if t.data, err = dataset.Open(dir, dataset.Options{Format: cfg.Format, Bins: bins}); err != nil {
		return err
	}
	all := t.data.Train
	sp, err := dataset.SplitNamed(cfg.Split, all, cfg.ValRatio, cfg.Seed)
	if err != nil {
		return err
	}
	if cfg.Limit > 0 && len(sp.Train) > cfg.Limit {
		sp.Train = sp.Train[:cfg.Limit]
		sp.Val = sp.Val[:min(len(sp.Val), max(cfg.Limit/4, 1))]
	}
	t.train, t.val = all.Subset(sp.Train), all.Subset(sp.Val)
	if t.train.Len() < cfg.Batch {
		return fmt.Errorf("data %s: %d training images is fewer than one batch of %d", dir, t.train.Len(), cfg.Batch)
	}
	if t.sampler, err = dataset.NewSampler(cfg.Sampler, t.train.Labels(), cfg.Seed); err != nil {
		return err
	}
	t.aug = dataset.DefaultAugment(cfg.W, cfg.H)
	if cfg.NoAugment {
		t.aug.Flip, t.aug.Jitter, t.aug.Rotate = false, 0, 0
	}
	t.aug.CropW, t.aug.CropH = cfg.CropW, cfg.CropH
	if cfg.Std != ([3]float32{}) {
		t.aug.Mean, t.aug.Std = cfg.Mean, cfg.Std
	}
	cache := dataset.NewCache(0)
	t.trainL = dataset.NewLoader(t.train, dataset.LoaderConfig{Batch: cfg.Batch, Aug: t.aug, Seed: cfg.Seed, Train: !cfg.NoAugment, Workers: cfg.Workers}, cache, t.warn)
	t.valL = dataset.NewLoader(t.val, dataset.LoaderConfig{Batch: max(cfg.Batch, 64), Aug: t.aug, Workers: cfg.Workers}, nil, t.warn)
	return nil
}

// warn reports an image that could not be read (it is skipped).
func (t *Trainer) warn(s dataset.Skip) {
	t.hub.Publish(Event{Kind: KindError, Msg: fmt.Sprintf("skipped %s: %s", s.Path, s.Reason)})
}

// computeNorm sets the normalisation from up to 256 training images: the
// real per-channel mean and standard deviation.
func (t *Trainer) computeNorm() {
	var imgs []dataset.RGB
	step := max(t.train.Len()/256, 1)
	for i := 0; i < t.train.Len() && len(imgs) < 256; i += step {
		if im, ok := t.trainL.Prepared(i); ok {
			imgs = append(imgs, im)
		}
	}
	t.aug.Mean, t.aug.Std = dataset.MeanStd(imgs)
	t.rebuildLoaders()
}

func (t *Trainer) rebuildLoaders() {
	tc, vc := t.trainL.Config(), t.valL.Config()
	tc.Aug, vc.Aug = t.aug, t.aug
	t.trainL = dataset.NewLoader(t.train, tc, t.trainL.Cache(), t.warn)
	t.valL = dataset.NewLoader(t.val, vc, nil, t.warn)
}

// ensureSynth makes the built-in synthetic set once.
func ensureSynth(ctx context.Context, dir string, profiles int, size string, say func(string)) error {
	marker := filepath.Join(dir, ".complete")
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	w, h, err := ParseSize(size)
	if err != nil {
		return err
	}
	say(fmt.Sprintf("drawing the built-in synthetic set (%d people, %dx%d) into %s", profiles, w, h, dir))
	if err := dataset.Synthesize(ctx, dataset.SynthConfig{Out: dir, Profiles: profiles, W: w, H: h, Eval: profiles * 7 / 3, Seed: 7}); err != nil {
		return err
	}
	return os.WriteFile(marker, []byte("ok\n"), 0o644)
}
