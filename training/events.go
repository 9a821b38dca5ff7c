package training

import (
	"time"

	"github.com/maskdash/maskdash/runs"
)

// EventKind says what an Event reports. The strings are what metrics.jsonl
// holds in its "kind" field.
type EventKind string

// Event kinds.
const (
	KindStep       EventKind = "step"       // a training progress sample
	KindEpoch      EventKind = "epoch"      // end-of-epoch train and validation figures
	KindCheckpoint EventKind = "checkpoint" // a checkpoint was saved
	KindPrediction EventKind = "prediction" // a prediction CSV was written
	KindState      EventKind = "state"      // the trainer changed state
	KindControl    EventKind = "control"    // someone changed a setting (lr, loss) or asked for an action
	KindError      EventKind = "error"      // something went wrong
	KindRun        EventKind = "run"        // a run started (its id and settings)
	KindNotice     EventKind = "notice"     // an answer to a command that had nothing to do
	KindAlert      EventKind = "alert"      // an alert rule fired (Event.Alert says which)
	// KindRewound is never in a log: TailLog publishes it when the log it
	// follows was cut back (a resume redoing steps after a crash) and it
	// reads the log again from the start. The events after it replace
	// every event before it.
	KindRewound EventKind = "rewound"
)

// State is a trainer's state.
type State string

// Trainer states.
const (
	StateStarting State = "starting"
	StateRunning  State = "running"
	StatePaused   State = "paused"
	StateStalled  State = "stalled" // paused because the run folder cannot be written
	StateStopping State = "stopping"
	StateDone     State = "done"
	StateStopped  State = "stopped"
	StateFailed   State = "failed"
)

// Ended reports whether the state is final.
func (s State) Ended() bool { return s == StateDone || s == StateStopped || s == StateFailed }

// Setting names what a control event changed or asked for, and marks the
// error event that ended training (SettingFatal).
type Setting string

// Changes says a control event of this setting changed how the run
// trains (the rate, the loss, CutMix, Mixup): run.json keeps those in its
// changes, which compare and the reports show.
func (s Setting) Changes() bool {
	return s == SettingLR || s == SettingLoss || s == SettingCutMix || s == SettingMixup
}

// Settings.
const (
	SettingState      Setting = "state"      // paused or running
	SettingLR         Setting = "lr"         // the base learning rate
	SettingLoss       Setting = "loss"       // the loss
	SettingCutMix     Setting = "cutmix"     // CutMix's chance and box ("0.3 half"), or "off"
	SettingMixup      Setting = "mixup"      // Mixup's chance and α ("0.3 alpha=0.2"), or "off"
	SettingCheckpoint Setting = "checkpoint" // a checkpoint was asked for
	SettingPredict    Setting = "predict"    // a prediction was asked for
	SettingStop       Setting = "stop"       // stop was asked for
	SettingFork       Setting = "fork"       // a child run was asked for
	SettingFatal      Setting = "fatal"      // on an error event: training ended with it (the caller also gets it as an error value)
)

// Event is one thing the trainer reports. Every event is plain data (no
// tensors), safe to keep and share; the same JSON is a line of the run's
// metrics.jsonl, so a viewer can rebuild everything from disk.
type Event struct {
	Kind  EventKind `json:"kind"`
	Time  time.Time `json:"t"`
	Run   string    `json:"run,omitempty"`
	Epoch int       `json:"epoch"`
	Step  int       `json:"step"`
	Loss  float64   `json:"loss,omitempty"`
	// LR is the learning rate the step used (step and epoch events): the
	// base rate after the schedule and warm-up.
	LR float64 `json:"lr,omitempty"`
	// BaseLR is the base learning rate (run and control events): what +,
	// - and L change, before the schedule.
	BaseLR   float64    `json:"base_lr,omitempty"`
	IPS      float64    `json:"ips,omitempty"`               // training images per second
	GPUMem   float64    `json:"gpu_mem_mib,omitempty"`       // GPU memory in use (step events on cuda)
	GPUTotal float64    `json:"gpu_mem_total_mib,omitempty"` // the GPU's memory in all
	Progress float64    `json:"progress,omitempty"`          // share of the epoch done
	Epochs   int        `json:"epochs,omitempty"`            // planned epochs
	TrainAcc float64    `json:"train_acc,omitempty"`
	Val      *Metrics   `json:"val,omitempty"`
	Conf     *Confusion `json:"confusion,omitempty"`
	Best     bool       `json:"best,omitempty"` // epoch events: the best macro F1 so far
	// ValSeen (epoch events): the validation images were trained on
	// (--val-train), so Val is no held-out measure.
	ValSeen bool `json:"val_seen,omitempty"`
	// TrainWeightsF1 (epoch events of a run with --ema): the validation
	// macro F1 of the training weights themselves; Val is their moving
	// average's, the weights the checkpoint keeps.
	TrainWeightsF1 *float64   `json:"train_weights_f1,omitempty"`
	Alert          Alert      `json:"alert,omitempty"` // alert events: the rule that fired
	State          State      `json:"state,omitempty"`
	Path           string     `json:"path,omitempty"`
	Msg            string     `json:"msg,omitempty"`
	Who            string     `json:"who,omitempty"` // who asked (an SSH key fingerprint, or "local")
	Setting        Setting    `json:"setting,omitempty"`
	Value          string     `json:"value,omitempty"`
	Settings       *RunHeader `json:"settings,omitempty"`
	// Layers (some step events: the first of a run, then one every
	// Config.LayersEvery) are each parameter tensor's norms at one step.
	Layers []LayerStat `json:"layers,omitempty"`
	// SysStats (step events) are the machine's figures over the step
	// sample: CPU, memory, the loader's queue, the GPU's utilisation.
	SysStats
	// Preds (epoch events) are the epoch's per-image validation
	// predictions: the run folder keeps them in val/, not in the log.
	Preds *runs.ValPreds `json:"-"`
}

// RunHeader is what a viewer shows of a run's settings.
type RunHeader struct {
	ID      string  `json:"id"`
	Parent  string  `json:"parent,omitempty"`
	Model   string  `json:"model"`
	Loss    string  `json:"loss"`
	Optim   string  `json:"optim"`
	LR      float64 `json:"lr"`
	Batch   int     `json:"batch"`
	Img     string  `json:"img"`
	Sampler string  `json:"sampler"`
	// TrainAgeBins are the training labels' age thresholds when they are
	// not the evaluation's (Config.TrainAgeBins); "" when they are.
	TrainAgeBins string `json:"train_age_bins,omitempty"`
	// SkipTrainAges are the ages the training left out
	// (Config.SkipTrainAges); "" none.
	SkipTrainAges string `json:"skip_train_ages,omitempty"`
	// PseudoLabels is the file of eval images' classes the training
	// took in (Config.PseudoLabels); "" none.
	PseudoLabels string `json:"pseudo_labels,omitempty"`
	// Pretrained is the state_dict the run started from
	// (Config.Pretrained); "" none.
	Pretrained string `json:"pretrained,omitempty"`
	// CutMix is Config.CutMix's chance and box ("0.3 half"); "" when no
	// batch is mixed.
	CutMix string `json:"cutmix,omitempty"`
	// Mixup is Config.Mixup's chance and α ("0.3 alpha=0.2"); "" when no
	// batch is mixed by it.
	Mixup string `json:"mixup,omitempty"`
	// Task is the one task of the mask layout the run trains on
	// (Config.Task); "" all 18 classes.
	Task string `json:"task,omitempty"`
	// MixPairs is Config.MixPairs when CutMix or Mixup mixes within a
	// class (MixPairsClass); "" otherwise.
	MixPairs string `json:"mix_pairs,omitempty"`
	// Erase is Config.Erase's chance ("0.5"); "" when no image is erased.
	Erase string `json:"erase,omitempty"`
	// ValTrain is Config.ValTrain with the first epoch it applies to
	// ("3 (from epoch 13)"); "" without it.
	ValTrain string `json:"val_train,omitempty"`
	// Freeze is Config.FreezeEpochs, the epochs the tensors from the
	// parent stay fixed ("2"); "" without it.
	Freeze string `json:"freeze,omitempty"`
	// FromLR is Config.FromLRScale ("0.1"); "" when the parent's tensors
	// train at the whole rate.
	FromLR string `json:"from_lr,omitempty"`
	// FreezeLayers is Config.FreezeLayers ("b1,b2"); "" without it.
	FreezeLayers string `json:"freeze_layers,omitempty"`
	// FreshHead is Config.FreshHead.
	FreshHead bool `json:"fresh_head,omitempty"`
	// Schedule is the learning-rate schedule and its settings ("step 20
	// ×0.5", "cosine", "plateau 3 ×0.5", with "warm-up N"); "" for a
	// constant rate (scheduleShown).
	Schedule string `json:"schedule,omitempty"`
	// ClipGrad is Config.ClipGrad ("1"); "" without clipping.
	ClipGrad string `json:"clip_grad,omitempty"`
	// EMA is Config.EMA, with its --ema-every past 1 ("0.999",
	// "0.999 every 4"); "" without a moving average of the weights.
	EMA string `json:"ema,omitempty"`
	// LATau is Config.LATau when it is not the default ("2"); "" else.
	LATau string `json:"la_tau,omitempty"`
	// FocalGamma and Smoothing are Config.FocalGamma and Smoothing when
	// they are not the defaults ("1", "0.2"); "" else.
	FocalGamma string `json:"focal_gamma,omitempty"`
	Smoothing  string `json:"smoothing,omitempty"`
	// ClassWeights is Config.ClassWeights ("inverse"); "" for none.
	ClassWeights string `json:"class_weights,omitempty"`
	// Augmentation is Config.Augmentation ("strong"), "off" for
	// --no-augment; "" for the default.
	Augmentation string `json:"augmentation,omitempty"`
	Data         string `json:"data"`
	Device       string `json:"device"`
	// Precision is the GPU's arithmetic (models.Precision's name) on a
	// cuda run; empty on the CPU.
	Precision string   `json:"precision,omitempty"`
	Classes   []string `json:"classes"`
	// TaskClasses names the classes of the mask, gender and age tasks
	// (the age names follow the run's bins); empty unless Masked.
	TaskClasses [][]string `json:"task_classes,omitempty"`
	Masked      bool       `json:"masked"`
	Train       int        `json:"train"`
	Val         int        `json:"val"`
	Epochs      int        `json:"epochs"`
}
