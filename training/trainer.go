package training

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/models"
	"github.com/maskdash/maskdash/models/ops"
	"github.com/maskdash/maskdash/runs"
)

// ErrNonFinite reports a loss that became NaN or infinite.
var ErrNonFinite = errors.New("the loss is not finite")

// Trainer owns a model, its optimizer and its run folder, and trains in
// Run's goroutine. Everything else talks to it through Send and the Hub.
type Trainer struct {
	cfg    Config
	hub    *Hub // before bind: for messages while the data is drawn
	cmds   chan Command
	sink   Sink
	id     string // the run's id and folder (set by bind)
	dir    string
	header RunHeader
	// fresh names the tensors of a child run that did not come from its
	// parent (a head for other classes): --freeze-epochs trains only
	// these. Kept in checkpoints for a resume.
	fresh []string
	// prepared keeps prepared images between runs (prepared.go), saved
	// once, after this process's first epoch.
	prepared      dataset.PreparedStore
	preparedSaved bool
	// evalCache holds the eval images x prepared, for the next x, while
	// the eval set has evalLen of them; evalKept: they are in the store
	// (prepared.go).
	evalCache *dataset.Cache
	evalLen   int
	evalKept  bool
	// startNotices are said (and logged) once the run starts: what it
	// took from its parent.
	startNotices []string

	data       *dataset.Data
	train, val *dataset.Set
	trainL     *dataset.Loader
	valL       *dataset.Loader
	sampler    dataset.Sampler
	aug        dataset.Augment
	// The training split and the validation images, which the last
	// epochs train on with --val-train (valtrain.go); nil without it.
	trainVal        *dataset.Set
	trainValL       *dataset.Loader
	trainValSampler dataset.Sampler
	// valTrained: the weights have trained on the validation images; from
	// then on every epoch trains on them and no validation is held out.
	valTrained bool

	net    *models.Net
	opt    *Optimizer
	loss   *Loss
	sched  Schedule
	checks *StartChecks // a check's data folders opened before (nil: open them)
	// plateau is the plateau schedule's state (nil with another
	// schedule): t.sched.Reductions follows it.
	plateau *Plateau
	// ema is the moving average of the weights that validation,
	// checkpoints and predictions use (--ema; ema.go); nil without it.
	ema *weightAverage
	// clipsBefore are --clip-grad's counts of the open epoch's steps
	// taken before now: from a resumed checkpoint, or for one written.
	clipsBefore models.ClipCounts
	baseLR      float64
	mixer       *batchMixer // CutMix and Mixup
	// priors are --loss la's class shares of priorsEpoch's batches
	// (samplePriors).
	priors      [][]float64
	priorsEpoch int
	// classWeights are --class-weights' per head, from the training
	// split; every loss the run parses takes them (parseLoss).
	classWeights [][]float64

	epoch, step, batchInEpoch int
	bestF1                    float64
	bestEpoch                 int            // the epoch of bestF1
	alerted                   map[Alert]bool // rules that fired in this run
	state                     State
	status                    runs.Status // how the run ended (after Run)
	fork                      *Command
	lastCkpt                  string       // the latest checkpoint written
	ckptDue                   *ckptRequest // a checkpoint a full disk held back
	writeErr                  error        // the run folder could not be written: stall before the next step
	gpu                       gpuMemPoller // on cuda: the GPU's memory, for step events
	sys                       *sysSampler  // CPU, memory and loader figures, for step events
	layers                    layerProbe   // the parameters' norms, for some step events
	device                    string       // cpu or cuda: Config.Device with auto resolved
	// lastF1 is the validation macro F1 of epoch lastF1Epoch, the last
	// validated on held-out images (0: none in this process).
	lastF1      float64
	lastF1Epoch int
	// unreadable counts the images the loaders skipped in this process
	// (each once: their cache remembers); the first imageWarnings are
	// warned one by one, the rest summed at each epoch's end (told is the
	// count the last sum said).
	unreadable atomic.Int64
	told       int64
}

// imageWarnings is how many unreadable images a run names one by one.
const imageWarnings = 20

// newTrainer builds the trainer of a launch: it opens (or synthesises) the
// data, splits it, builds the model and optimizer and loads the launch's
// checkpoint. The run folder is opened after (launch.open), so a run that
// cannot start leaves nothing behind.
func newTrainer(ctx context.Context, l launch, hub *Hub) (*Trainer, error) {
	cfg := l.cfg
	t := &Trainer{cfg: cfg, hub: hub, cmds: make(chan Command, 64), state: StateStarting, sys: newSysSampler(),
		layers: layerProbe{every: cfg.LayersEvery}, checks: l.checks}
	device := cfg.Device
	if l.check {
		if device == "cuda" && !models.GPUBuilt {
			// The trials run this binary: every one would fail so.
			_, err := models.ParseDevice(device)
			return nil, err
		}
		device = "cpu" // a check asks no GPU: it runs where a sweep is started, maybe a login node
		// Nor the store of prepared images: it decodes nothing, and
		// reading the store stats every image (0.73 of a check's 1.26 s
		// on 18,900 images) and marks the pack as used.
		t.cfg.Prepared = PreparedOff
	}
	dev, engine, err := models.DeviceFor(device, cfg.Engine)
	if err != nil {
		return nil, err
	}
	t.device = dev.String()
	if t.loss, err = t.parseLoss(cfg.Loss); err != nil {
		return nil, err
	}
	if t.mixer, err = newBatchMixer(cfg); err != nil {
		return nil, err
	}
	if t.opt, err = NewOptimizer(OptimConfig{Name: cfg.Optim, LR: cfg.LR, WeightDecay: cfg.WeightDecay, ClipNorm: cfg.ClipGrad}); err != nil {
		return nil, err
	}
	switch cfg.Schedule {
	case ScheduleNone, ScheduleStep, ScheduleCosine, SchedulePlateau:
	default:
		return nil, fmt.Errorf("schedule %q is unknown; use one of %s", cfg.Schedule, strings.Join(ScheduleNames, ", "))
	}
	if err := t.openData(ctx); err != nil {
		return nil, err
	}
	prec, err := models.ParsePrecision(cfg.Precision)
	if err != nil {
		return nil, err
	}
	if dev == models.DeviceCPU && prec != models.PrecisionFP32 {
		t.warnf("%s", models.CPUPrecisionNote(prec))
	}
	spec := models.Spec{Name: cfg.Model, Batch: cfg.Batch, EvalBatch: max(cfg.Batch, 64), W: cfg.W, H: cfg.H,
		Classes: len(t.train.Classes), HeadDepth: cfg.HeadDepth, Dropout: cfg.Dropout, Seed: cfg.Seed, Engine: engine,
		Device: dev, Precision: prec}
	if l.check {
		spec.Batch, spec.EvalBatch = 1, 1
	}
	if t.net, err = models.New(spec); err != nil {
		return nil, err
	}
	t.classWeights = classWeights(t.train.Labels(), t.net.Spec.Heads(), cfg.ClassWeights)
	t.loss.ClassWeights = t.classWeights
	if t.classWeights != nil && !t.loss.WeighsClasses() {
		t.warnf("--class-weights %s weighs the ce, focal and smooth terms, and loss %s has none: it trains as without them (the weights hold for a loss switched to while training)", cfg.ClassWeights, t.loss.Spec)
	}
	if t.classWeights != nil && t.sampler.Name() != "shuffle" {
		// Allowed (the user's choice), but said: on both synthetic sets the
		// two together did worse than either alone (README, Losses).
		t.warnf("--class-weights %s and --sampler %s both make up for the rare classes: together they favour them twice over (on the synthetic sets the pair did worse than either alone; README, Losses)", cfg.ClassWeights, t.sampler.Name())
	}
	t.baseLR = cfg.LR
	t.sched = Schedule{Name: cfg.Schedule, StepEpochs: cfg.LRStep, Gamma: cfg.LRGamma, WarmupSteps: cfg.Warmup, TotalSteps: t.scheduledSteps()}
	if cfg.Schedule == SchedulePlateau {
		t.plateau = &Plateau{}
	}
	switch {
	case l.ckpt != "":
		if err := t.sameData(l); err != nil {
			return nil, errors.Join(err, t.net.Close())
		}
		if err := t.restore(l.ckpt, l.meta, l.resume && !l.parent); err != nil {
			return nil, errors.Join(err, t.net.Close())
		}
	case cfg.Pretrained != "":
		x, err := t.startFromPretrained(cfg.Pretrained)
		if err != nil {
			return nil, errors.Join(err, t.net.Close())
		}
		t.fresh = x.fresh
	case cfg.Std == ([3]float32{}) && !l.check:
		t.computeNorm()
	}
	if cfg.EMA > 0 {
		if err := t.startAverage(l); err != nil {
			return nil, errors.Join(err, t.net.Close())
		}
	}
	hd := RunHeader{Model: cfg.Model, Loss: t.loss.Spec, Optim: t.opt.Name(),
		LR: t.baseLR, Batch: cfg.Batch, Img: fmt.Sprintf("%dx%d", cfg.W, cfg.H), Sampler: t.sampler.Name(),
		Data: t.train.Root, Device: t.device, Classes: t.train.Classes, Masked: t.train.Masked,
		Train: t.train.Len(), Val: t.val.Len(), Epochs: cfg.Epochs, Parent: cfg.From, Precision: gpuPrecision(t.net), TrainAgeBins: cfg.TrainAgeBins,
		SkipTrainAges: cfg.SkipTrainAges, PseudoLabels: cfg.PseudoLabels, Pretrained: cfg.Pretrained, CutMix: t.mixer.cutMixShown(), Mixup: t.mixer.mixupShown(), MixPairs: t.mixer.pairsShown(), Task: cfg.Task, Erase: shownIfSet(cfg.Erase), ValTrain: valTrainShown(cfg), Freeze: freezeShown(cfg.FreezeEpochs), FromLR: fromLRShown(cfg.FromLRScale), FreshHead: cfg.FreshHead, FreezeLayers: noneEmpty(cfg.FreezeLayers),
		Schedule: scheduleShown(cfg), ClipGrad: shownIfSet(cfg.ClipGrad), EMA: emaShown(cfg.EMA, cfg.EMAEvery), LATau: unlessDefault(cfg.LATau, DefaultLATau),
		FocalGamma: unlessDefault(cfg.FocalGamma, DefaultFocalGamma), Smoothing: unlessDefault(cfg.Smoothing, DefaultSmoothing),
		ClassWeights: cfg.ClassWeights, Augmentation: augmentationShown(cfg.Augmentation, cfg.NoAugment)}
	if t.train.Masked {
		tn := dataset.TaskClassNames(t.train.Bins)
		hd.TaskClasses = tn[:]
	}
	t.header = hd
	return t, nil
}

// sameData refuses to resume a run on other data than its checkpoint's
// (a data folder given with resume --data, or one that changed since):
// another count of training images splits them otherwise, and the
// run's validation figures before and after would not be of one set.
func (t *Trainer) sameData(l launch) error {
	id := l.meta.Data
	if !l.resume || l.parent || id.Images == 0 {
		return nil
	}
	if n := t.data.Train.Len(); n != id.Images || id.Format != "" && id.Format != t.train.Format {
		return fmt.Errorf("the data folder %s holds %d training images (%s); run %s trained on %d (%s): a resume goes on with the data it trained on (train --from %s --data DIR starts a child run on other data)",
			t.dataDir(), n, t.train.Format, l.cfg.Resume, id.Images, id.Format, l.cfg.Resume)
	}
	return nil
}

// gpuPrecision is the net's GPU arithmetic, "" on the CPU.
func gpuPrecision(n *models.Net) string {
	if !n.OnGPU() {
		return ""
	}
	return n.Spec.Precision.String()
}

// release frees the run's GPU memory (a no-op on the CPU) once the run
// has ended and its last commands are answered: an ended run answers from
// its record only.
func (t *Trainer) release() {
	if err := t.net.Close(); err != nil {
		t.emit(Event{Kind: KindError, Msg: err.Error()})
	}
}

// bind attaches the trainer to its run folder.
func (t *Trainer) bind(id, dir string, sink Sink) {
	t.id, t.dir, t.sink = id, dir, sink
	t.header.ID = id
}

// restore loads a checkpoint's weights (and optimizer state when the
// optimizer is the same); full also restores the position in training.
// A child run's (not full) may take only the tensors that fit it
// (startFrom).
func (t *Trainer) restore(path string, m CkptMeta, full bool) error {
	var from transfer
	if full {
		if m.Model.Name != t.net.Spec.Name || m.Model.W != t.net.Spec.W || m.Model.H != t.net.Spec.H || m.Model.Classes != t.net.Spec.Classes {
			return fmt.Errorf("%w %s does not match this run: it holds %s %dx%d with %d classes, the run wants %s %dx%d with %d",
				ErrCheckpoint, path, m.Model.Name, m.Model.W, m.Model.H, m.Model.Classes, t.net.Spec.Name, t.net.Spec.W, t.net.Spec.H, t.net.Spec.Classes)
		}
		if err := loadWeights(path, t.net); err != nil {
			return err
		}
		t.fresh = m.Fresh
	} else {
		var err error
		if from, err = t.startFrom(path, m); err != nil {
			return err
		}
		t.fresh = from.fresh
	}
	if m.Optimizer == t.opt.Name() && !from.partial() {
		st, err := m.optState()
		if err != nil {
			return err
		}
		if err := t.opt.Load(st); err != nil {
			return err
		}
		if err := t.opt.Push(t.net); err != nil {
			return err
		}
	}
	t.aug.Mean, t.aug.Std = m.Mean, m.Std
	t.aug.CropW, t.aug.CropH = m.CropW, m.CropH
	if full {
		t.epoch, t.step, t.batchInEpoch, t.bestF1, t.bestEpoch = m.Epoch, m.Step, m.Batch, m.BestF1, m.BestEpoch
		t.valTrained = m.ValTrained
		t.baseLR = m.BaseLR
		if m.Clips != nil {
			t.clipsBefore = *m.Clips
		}
		if t.plateau != nil && m.Plateau != nil {
			*t.plateau = *m.Plateau
			t.sched.Reductions = t.plateau.Reductions
		}
		if l, err := t.parseLoss(m.Loss); err == nil {
			t.loss = l
		}
		if err := t.mixAsIn(m); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	} else {
		t.startFromValTrained(m)
	}
	t.opt.SetLR(t.baseLR)
	t.rebuildLoaders() // with the checkpoint's normalisation
	return nil
}

// RunID is the id of the run being written.
func (t *Trainer) RunID() string { return t.id }

// RunDir is the run's folder.
func (t *Trainer) RunDir() string { return t.dir }

// Status is how the run ended (after Run returns).
func (t *Trainer) Status() runs.Status { return t.status }

// LastCheckpoint is the latest checkpoint written ("" before the first).
func (t *Trainer) LastCheckpoint() string { return t.lastCkpt }

// Header describes the run.
func (t *Trainer) Header() RunHeader { return t.header }

// Forked returns the fork request that ended the run, if any.
func (t *Trainer) Forked() *Command { return t.fork }

// emit reports an event. A run folder that cannot be written (a full
// disk) does not stop training at once: the event is kept, and the trainer
// stalls before its next step until the folder takes writes again.
func (t *Trainer) emit(e Event) {
	if e.Epoch == 0 && e.Step == 0 {
		e.Epoch, e.Step = t.epoch, t.step
	}
	if err := t.sink.Record(e); err != nil && t.writeErr == nil {
		t.writeErr = err
	}
}

func (t *Trainer) setState(s State, msg string) {
	t.state = s
	t.emit(Event{Kind: KindState, State: s, Msg: msg})
}

// Run trains until the planned epochs are done, Stop or Fork arrives, the
// loss diverges or ctx is cancelled (which stops gracefully too). Status
// then says how it ended; the caller closes the run folder, which reports
// the final state.
func (t *Trainer) Run(ctx context.Context) (err error) {
	h := t.header
	if t.device == "cuda" {
		pctx, stop := context.WithCancel(ctx)
		defer stop()
		go t.gpu.run(pctx, 5*time.Second)
	}
	cctx, stopPoll := context.WithCancel(ctx)
	defer stopPoll()
	go t.pollControl(cctx)
	t.emit(Event{Kind: KindRun, Settings: &h, Epochs: t.cfg.Epochs, BaseLR: t.baseLR})
	for _, msg := range t.startNotices {
		t.emit(Event{Kind: KindNotice, Msg: msg})
	}
	t.setState(StateRunning, "")
	t.status = runs.StatusDone
	defer func() {
		// The final state event comes with the run folder's closing
		// (runSink.close), after the manager knows the run has ended.
		if err != nil {
			t.status = runs.StatusFailed
			t.emit(Event{Kind: KindError, Msg: err.Error(), Setting: SettingFatal})
		}
	}()
	for t.epoch < t.cfg.Epochs {
		stop, err := t.runEpoch(ctx)
		if err != nil {
			return err
		}
		if stop {
			t.status = runs.StatusStopped
			return nil
		}
	}
	return nil
}

// runEpoch trains the rest of the current epoch and validates it.
func (t *Trainer) runEpoch(ctx context.Context) (stop bool, err error) {
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	t.freeze()
	sampler, loader := t.epochSource(t.epoch)
	if t.trainsOnVal(t.epoch) {
		t.valTrained = true
	}
	order := sampler.Epoch(t.epoch)
	nb := len(order) / t.cfg.Batch // drop_last, as the baseline
	// A checkpoint's batch past this epoch's end: another data set or
	// batch size since. At its end (a stop during validation, or after
	// the last batch), the epoch is validated at once.
	if t.batchInEpoch > nb {
		t.batchInEpoch = 0
	}
	order = order[t.batchInEpoch*t.cfg.Batch : nb*t.cfg.Batch]
	heads := t.net.Spec.Heads()
	k := t.net.Spec.Outputs()
	labels := make([]int, t.cfg.Batch)
	var lossSum, n, correct, seen float64
	last := time.Now()
	imgs := 0
	lastLR := 0.0
	// The run's step and the epoch's batch after the last step counted:
	// with the GPU's pipeline (below) one behind t.step and t.batchInEpoch.
	countedStep, countedBatch := t.step, t.batchInEpoch
	// sample emits a step event: the mean loss of the steps since the
	// last one, the speed over them, the machine's figures now.
	sample := func() {
		el := time.Since(last)
		ips := float64(imgs) / max(el.Seconds(), 1e-9)
		e := Event{Kind: KindStep, Epoch: t.epoch, Step: countedStep, Loss: lossSum / n, LR: lastLR, IPS: ips,
			Progress: float64(countedBatch) / float64(nb), Epochs: t.cfg.Epochs}
		e.GPUMem, e.GPUTotal = t.gpu.read()
		e.SysStats = t.sys.sample()
		e.Layers = t.layers.take()
		if e.GPUTotal > 0 {
			e.GPUUtil = t.gpu.utilisation()
		}
		t.emit(e)
		if a := t.cfg.AlertGPUMiB; a > 0 && e.GPUMem > a {
			t.alert(AlertGPUMemory, fmt.Sprintf("the GPU has %.0f MiB in use, past the %.0f MiB alert", e.GPUMem, a))
		}
		lossSum, n, imgs = 0, 0, 0
		last = time.Now()
	}
	// count adds a trained step's results to the epoch's figures.
	count := func(s *trainedStep) {
		for i := 0; i < s.n; i++ {
			pred := Argmax(ClassLogProbs(s.logits[i*k:(i+1)*k], heads))
			switch {
			case s.mixed != nil:
				correct += s.mixed.share(i, pred, s.labels[i])
			case pred == s.labels[i]:
				correct++
			}
			seen++
		}
		lossSum += s.loss
		n++
		imgs += s.n
		lastLR = s.lr
		countedStep, countedBatch = s.step+1, s.batch+1
		if time.Since(last) >= t.cfg.StepEvery {
			sample()
		}
	}
	// With MASKDASH_GPU_PIPELINE=1 a step on the GPU is queued, with its
	// update, before the step before's results are read (inFlight), so
	// the GPU has the next step's work while the host reads them, and
	// the batch's copy into page-locked memory and the loader's next
	// batch overlap the GPU's work. finish reads the step in flight and
	// counts it; the figures of a step come one step late, before any
	// command, the epoch's end or a step whose loss is the host's.
	pipe := t.net.OnGPU() && models.GPUPipelined()
	var inFlight *trainedStep
	finish := func() error {
		s := inFlight
		if s == nil {
			return nil
		}
		inFlight = nil
		var err error
		if s.loss, s.logits, err = t.net.TrainResult(); err != nil {
			return err
		}
		if err := t.checkFinite(s); err != nil {
			return err
		}
		count(s)
		return nil
	}
	t.sys.sample() // the machine figures start with the epoch, not with the validation before it
	batches := loader.Epoch(ectx, t.epoch, order)
	for {
		asked := time.Now()
		b, ok := <-batches
		if !ok {
			break
		}
		ready, capacity := loader.Queue()
		t.sys.batch(time.Since(asked), float64(ready)/float64(capacity))
		if inFlight != nil && (len(t.cmds) > 0 || ctx.Err() != nil || t.writeErr != nil) {
			// A command, a stop or a stall sees every step's figures.
			if err := finish(); err != nil {
				return false, err
			}
		}
		if stop, err := t.between(ctx); err != nil || stop {
			return true, err
		}
		if b.N == 0 {
			continue
		}
		lr := t.sched.Rate(t.baseLR, t.step, t.epoch)
		x := t.net.InputBatch() // filled in place: TrainStep copies nothing
		s := &trainedStep{n: b.N, labels: b.Labels, lr: lr, step: t.step, batch: t.batchInEpoch}
		s.mixed = t.prepareStep(b, x, labels, lr, t.mixer)
		queued := pipe && t.net.HasDeviceLoss()
		if queued {
			if err := t.net.QueueTrainStep(x); err != nil {
				return false, err
			}
		} else {
			if err := finish(); err != nil { // a step's results before the next's, in order
				return false, err
			}
			var err error
			if s.loss, s.logits, err = t.net.TrainStep(x); err != nil {
				return false, err
			}
			if err := t.checkFinite(s); err != nil {
				return false, err
			}
		}
		dead, err := t.update()
		if err == nil && t.ema != nil {
			err = t.ema.observe(t.net, t.step)
		}
		if err != nil {
			return false, err
		}
		t.step++
		t.batchInEpoch++
		if queued {
			err = finish() // the step before's
			inFlight = s
		} else {
			count(s)
		}
		if err != nil {
			return false, err
		}
		if dead {
			// The batch is trained; the epoch stays open in the
			// checkpoint, as a stop's does.
			if err := finish(); err != nil {
				return false, err
			}
			t.setState(StateStopping, "dead net")
			return true, t.finalCheckpoint()
		}
	}
	if err := finish(); err != nil {
		return false, err
	}
	if n > 0 && ctx.Err() == nil {
		// The epoch's last steps since the last sample: without this a
		// run's history lost up to StepEvery of each epoch, and an epoch
		// shorter than that left none.
		sample()
	}
	if ctx.Err() != nil {
		return true, t.finalCheckpoint()
	}
	t.tellUnreadable()
	if len(order) > 0 && seen == 0 {
		// Every image of the epoch was skipped (warned): the weights
		// did not move, and its figures would be of nothing.
		return false, fmt.Errorf("epoch %d trained on no image: none of its %d training images could be read (warned above): check the data folder %s",
			t.epoch+1, len(order), t.train.Root)
	}
	trainAcc := 0.0
	if seen > 0 {
		trainAcc = correct / seen
	}
	return t.endEpoch(ctx, trainAcc, nb)
}

// endEpoch validates the epoch just trained (trainAcc its training
// accuracy, nb its batches), emits its figures, checkpoints it and
// applies the rules that read them. A stop during the validation leaves
// the epoch open in the final checkpoint, every batch trained.
func (t *Trainer) endEpoch(ctx context.Context, trainAcc float64, nb int) (stop bool, err error) {
	t.epoch++
	t.batchInEpoch = 0
	m, conf, preds, err := t.validate(ctx)
	var own *Metrics // with --ema: the training weights' own figures
	if err == nil && t.ema != nil && t.val.Len() > 0 {
		var om Metrics
		om, _, _, err = t.validateNet(ctx)
		own = &om
	}
	t.tellUnreadable()
	if err != nil {
		if ctx.Err() != nil {
			// Stopped (Ctrl-C, SIGTERM, a hangup, q) during the validation:
			// a stop like any other, not a failed run. The epoch is not
			// done until validated: its checkpoint has every batch trained
			// and the epoch open, so a resume validates it first (and its
			// figures are in the log once).
			t.epoch--
			t.batchInEpoch = nb
			return true, t.finalCheckpoint()
		}
		return false, err
	}
	// Validation of images the weights trained on (--val-train) is no
	// measure: it picks no best figures and stops nothing, and the
	// checkpoint is the run's model to use (valtrain.go).
	valSeen := t.valTrained
	best := !valSeen && (m.MacroF1 > t.bestF1 || t.epoch == 1 && t.bestF1 == 0)
	if best {
		t.bestF1, t.bestEpoch = m.MacroF1, t.epoch
	}
	if !valSeen {
		t.lastF1, t.lastF1Epoch = m.MacroF1, t.epoch
	}
	e := Event{Kind: KindEpoch, Epochs: t.cfg.Epochs, TrainAcc: trainAcc, Val: &m, Conf: conf, LR: t.opt.LR(), Best: best, ValSeen: valSeen, Preds: preds}
	if own != nil {
		e.TrainWeightsF1 = &own.MacroF1
	}
	t.emit(e)
	if err := t.tellClips(); err != nil {
		return false, err
	}
	if !valSeen {
		t.observePlateau(m.MacroF1) // before the checkpoint, which keeps its state
	}
	t.saveCheckpoint(&m, best || valSeen)
	t.savePrepared()
	if err := t.sink.Sync(); err != nil && t.writeErr == nil {
		t.writeErr = err
	}
	if !valSeen {
		if stop, err := t.heldOutRules(m.MacroF1); stop || err != nil {
			return stop, err
		}
	}
	// A stall here waits before the next epoch rather than after its
	// first step.
	return t.between(ctx)
}

// heldOutRules applies the rules that read a held-out epoch's macro F1
// (f1): the no-gain alert, --early-stop and a sweep's gate. stop says one
// stopped the run, with its final checkpoint.
func (t *Trainer) heldOutRules(f1 float64) (stop bool, err error) {
	since := t.epoch - t.bestEpoch
	if n := t.cfg.NoGainEpochs; n > 0 && since >= n {
		t.alert(AlertNoGain, fmt.Sprintf("validation macro F1 has not improved for %d epochs (best %.4f at epoch %d)", since, t.bestF1, t.bestEpoch))
	}
	if n := t.cfg.EarlyStop; n > 0 && since >= n && t.epoch < t.cfg.Epochs {
		t.alert(AlertEarlyStop, fmt.Sprintf("stopped early after epoch %d: macro F1 has not improved for %d epochs (best %.4f at epoch %d, its checkpoint is best)", t.epoch, since, t.bestF1, t.bestEpoch))
		t.setState(StateStopping, "early stop")
		return true, t.finalCheckpoint()
	}
	if g := t.cfg.Gate; g != nil && g.Decide != nil && t.epoch < t.cfg.Epochs {
		if stop, why := g.Decide(t.epoch, f1); stop {
			t.alert(AlertEarlyStop, fmt.Sprintf("stopped after epoch %d: %s (best %.4f at epoch %d, its checkpoint is best)", t.epoch, why, t.bestF1, t.bestEpoch))
			t.setState(StateStopping, why)
			return true, t.finalCheckpoint()
		}
	}
	return false, nil
}

// trainedStep is one training step's batch and results, as the epoch's
// figures count them (at once, or a step late when it was queued).
type trainedStep struct {
	n      int   // images in the batch (the rest repeats them)
	labels []int // the batch's own, n of them
	mixed  *mixedBatch
	lr     float64
	step   int // the run's step count before it
	batch  int // the epoch's batches before it
	loss   float64
	logits []float32
}

// checkFinite stops the run when step s's loss is not a number (its
// alert and error).
func (t *Trainer) checkFinite(s *trainedStep) error {
	if !math.IsNaN(s.loss) && !math.IsInf(s.loss, 0) {
		return nil
	}
	t.alert(AlertNonFinite, fmt.Sprintf("the loss is %v at step %d (epoch %d): the run stops; its last good checkpoint is kept", s.loss, s.step, t.epoch+1))
	return fmt.Errorf("%w at step %d (epoch %d); stopped, the last good checkpoint is kept", ErrNonFinite, s.step, t.epoch+1)
}

// forwardBackward runs prepareStep's step on the net: its forward and
// backward pass, the loss, the logits and how the batch was mixed (nil:
// not); the optimizer's update is the caller's. The range test (which
// trains on plain batches) uses it.
func (t *Trainer) forwardBackward(b dataset.Batch, x []float32, labels []int, lr float64, mix *batchMixer) (float64, []float32, *mixedBatch, error) {
	mixed := t.prepareStep(b, x, labels, lr, mix)
	loss, logits, err := t.net.TrainStep(x)
	return loss, logits, mixed, err
}

// parseLoss reads a loss spec (the run's, a checkpoint's, one switched
// to while training) with the run's --la-tau, --focal-gamma, --smoothing
// and class weights, so that a loss switched to keeps them.
func (t *Trainer) parseLoss(spec string) (*Loss, error) {
	l, err := ParseLoss(spec)
	if err != nil {
		return nil, err
	}
	l.Tau = cmp.Or(t.cfg.LATau, DefaultLATau)
	l.Gamma = cmp.Or(t.cfg.FocalGamma, DefaultFocalGamma)
	l.Smoothing = cmp.Or(t.cfg.Smoothing, DefaultSmoothing)
	l.ClassWeights = t.classWeights
	return l, nil
}

// prepareStep fills the net's input batch x (and labels) from b (a batch
// short of an image that failed to load is filled up by repeating its
// images: the net's batch size is fixed), lets mix (nil: none) mix it,
// and sets rate lr and the loss for these labels (on a GPU the device's
// too, but for a mixed batch, whose loss is the host's). It returns how
// the batch was mixed (nil: not).
func (t *Trainer) prepareStep(b dataset.Batch, x []float32, labels []int, lr float64, mix *batchMixer) *mixedBatch {
	per := 3 * t.cfg.W * t.cfg.H
	ops.Copy(x, b.X[:b.N*per]) // split between the workers: on a GPU the copy is a good part of a small net's step
	for i := range t.cfg.Batch {
		j := i % b.N
		if i >= b.N {
			copy(x[i*per:(i+1)*per], b.X[j*per:(j+1)*per])
		}
		labels[i] = b.Labels[j]
	}
	heads := t.net.Spec.Heads()
	t.opt.SetLR(lr)
	if t.loss.AdjustsLogits() {
		if t.priors == nil || t.priorsEpoch != t.epoch {
			t.priors, t.priorsEpoch = t.samplePriors(t.epoch), t.epoch
		}
		t.loss.Priors = t.priors // a loss switched to while training has none of its own
	}
	mixed := mix.mix(x, labels, t.step)
	switch {
	case mixed != nil:
		// The host computes a mixed batch's loss: the GPU's loss kernels
		// take one label a row.
		t.net.SetLoss(mix.loss(t.loss.Func(labels, heads), t.loss.Func(mixed.other, heads), mixed.lam))
		t.net.SetDeviceLoss(nil)
	default:
		t.net.SetLoss(t.loss.Func(labels, heads))
		if t.net.OnGPU() && models.GPULossOnDevice() {
			t.net.SetDeviceLoss(t.loss.Device(labels, heads))
		}
	}
	return mixed
}

// update applies the optimizer's step to the net, and when a measure of
// the parameters is due (Config.LayersEvery) measures them around it and
// raises the layers alert if a tensor has been unwell long enough. dead
// says the run is to stop (Config.StopDead, and the net is dead).
//
// The run's last scheduled step is measured too, so that the layers view
// and `maskdash layers` end on the weights as trained: a run shorter
// than LayersEvery (README's first command: 5 epochs in 5 s) had its
// first step's measure only, where Adam's first moves flag the output
// layer "moves fast", and the layers tab kept its "!" after the run.
func (t *Trainer) update() (dead bool, err error) {
	if !t.layers.due() && t.step+1 != t.sched.TotalSteps {
		return false, t.opt.StepNet(t.net)
	}
	if err := t.layers.measure(t.net); err != nil {
		return false, err
	}
	if err := t.opt.StepNet(t.net); err != nil {
		return false, err
	}
	if err := t.layers.moved(t.net); err != nil {
		return false, err
	}
	v := t.layers.judge(t.step + 1)
	if s := v.stat; v.alert {
		t.alert(AlertLayers, fmt.Sprintf("%s: %s at step %d (update/|w| %.2g, |grad| %.3g) for %d measures in a row: %s",
			s.Name, v.health, t.step+1, s.Ratio(), s.Grad, LayerAlertAfter, v.health.Advice()))
	}
	if t.cfg.StopDead && v.dead {
		t.alert(AlertEarlyStop, fmt.Sprintf("stopped at step %d (epoch %d): no gradient has reached any layer's weights for %d measures in a row, a dead net (every ReLU off, most often from a rate far too high; best %.4f at epoch %d, its checkpoint is best)",
			t.step+1, t.epoch+1, LayerAlertAfter, t.bestF1, t.bestEpoch))
		return true, nil
	}
	return false, nil
}

// ckptRequest is a checkpoint to write (again, after a stall).
type ckptRequest struct {
	m    *Metrics
	best bool
}

// validate evaluates the validation split in evaluation mode with the
// weights predictions use (with --ema their moving average). It also
// returns every image's predictions, which the run keeps.
func (t *Trainer) validate(ctx context.Context) (m Metrics, conf *Confusion, preds *runs.ValPreds, err error) {
	err = t.withAverage(func() error {
		m, conf, preds, err = t.validateNet(ctx)
		return err
	})
	return m, conf, preds, err
}

// validateNet is validate with the net's weights as they are (with
// --ema, the training weights: the epoch event's TrainWeightsF1).
func (t *Trainer) validateNet(ctx context.Context) (Metrics, *Confusion, *runs.ValPreds, error) {
	if t.val.Len() == 0 {
		return Metrics{}, NewConfusion(len(t.train.Classes)), nil, nil
	}
	lp, loss, unread, err := evalSet(ctx, t.net, t.valL, t.val, t.loss, false)
	if err != nil {
		return Metrics{}, nil, nil, err
	}
	// An image that could not be read (warned) is no prediction: its
	// uniform row would count as class 0's.
	conf, left := scoreRead(t.val, lp, unread)
	if left > 0 && left == len(lp) {
		return Metrics{}, nil, nil, fmt.Errorf("none of the %d validation images could be read (warned above): check the data folder %s", left, t.val.Root)
	}
	return Summarize(conf, loss, t.val.Masked), conf, valPreds(t.epoch, t.val, lp, unread), nil
}
