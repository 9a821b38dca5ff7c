package training

import "errors"

// CommandKind says what a Command asks of the trainer.
type CommandKind string

// Command kinds the trainer accepts between steps.
const (
	CmdPause      CommandKind = "pause"
	CmdResume     CommandKind = "resume"
	CmdToggle     CommandKind = "toggle"     // pause or resume
	CmdCheckpoint CommandKind = "checkpoint" // save now
	CmdSetLR      CommandKind = "set-lr"     // Value is the new base rate
	CmdScaleLR    CommandKind = "scale-lr"   // Value multiplies the base rate
	CmdSetLoss    CommandKind = "set-loss"   // Text is a loss spec
	CmdSetCutMix  CommandKind = "set-cutmix" // Text is a CutMix setting (ParseCutMix: "0.3", "0.5 random", "off")
	CmdSetMixup   CommandKind = "set-mixup"  // Text is a Mixup setting (ParseMixup: "0.3", "0.3 0.4", "off")
	CmdPredict    CommandKind = "predict"    // predict the eval set with the current weights
	CmdStop       CommandKind = "stop"       // checkpoint, flush and stop
	CmdFork       CommandKind = "fork"       // checkpoint, stop, and start a child run (Fork says how it differs)

	// cmdBadControl answers a control file that could not be carried out
	// (Text says why).
	cmdBadControl CommandKind = "bad-control"
)

// Command is a request to the trainer, applied between two steps.
type Command struct {
	Kind  CommandKind
	Value float64
	Text  string
	Fork  Fork   // CmdFork's child run
	Who   string // who asked: an SSH key fingerprint, or "local"
}

// Errors a command can be answered with.
var (
	// ErrNoTrainer is returned by Send when the run could not start (a
	// command sent before it starts waits for it).
	ErrNoTrainer = errors.New("training did not start")
	// ErrBusy is returned by Send when the command queue is full.
	ErrBusy = errors.New("the trainer has too many pending commands")
	// ErrEnded is returned by Send for a command that needs a running
	// trainer (pause, learning rate, loss) once the run has ended.
	ErrEnded = errors.New("the run has finished")
)
