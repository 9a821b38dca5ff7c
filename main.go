// Command maskdash trains image classifiers and shows the training live in
// a terminal dashboard, locally or over SSH. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/maskdash/maskdash/models"
	"github.com/spf13/cobra"
)

func main() { os.Exit(runMain()) }

// runMain is main with its deferred calls run before the exit.
func runMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals()...)
	defer stop()
	if os.Getenv("MASKDASH_WINOGRAD") == "0" {
		// im2col for every convolution, to compare with Winograd's path.
		models.SetWinograd(false)
	}
	stopProfile, err := startProfile(os.Getenv("MASKDASH_CPUPROFILE"))
	if err == nil {
		err = newRoot(ctx, os.Stdout, os.Stderr).ExecuteContext(ctx)
		err = errors.Join(err, stopProfile())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "maskdash: "+sentence(err))
		return 1
	}
	return 0
}

// stopSignals are the signals on which a command stops as on q: a run
// checkpoints where it is and ends as stopped. A hangup (the terminal or
// SSH connection went away) is one, unless the program was started with
// hangups ignored (nohup), which asking for it would undo.
func stopSignals() []os.Signal {
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if !signal.Ignored(syscall.SIGHUP) {
		sigs = append(sigs, syscall.SIGHUP)
	}
	return sigs
}

// stopOnBrokenPipe is ctx ending also when standard output's reader goes
// away (SIGPIPE, as when a terminal running "maskdash train | tee log"
// closes: tee dies on the hangup first). A run then stops with a
// checkpoint as on a hangup; without this the next progress line killed
// it before its last checkpoint, and its folder said "running" until the
// crash watch marked it crashed. Writes to the broken pipe then fail
// quietly. Only the commands that train ask for it: the others keep
// ending quietly on SIGPIPE, as "maskdash runs | head" expects.
func stopOnBrokenPipe(ctx context.Context) (context.Context, context.CancelFunc) {
	if signal.Ignored(syscall.SIGPIPE) {
		return context.WithCancel(ctx) // writes fail with EPIPE; nothing is killed
	}
	return signal.NotifyContext(ctx, syscall.SIGPIPE)
}

// startProfile writes a CPU profile of the whole command to path (for
// finding what is slow); "" does nothing.
func startProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("MASKDASH_CPUPROFILE: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, errors.Join(fmt.Errorf("MASKDASH_CPUPROFILE: %w", err), f.Close())
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// sentence makes sure an error prints as one sentence.
func sentence(err error) string {
	s := strings.ReplaceAll(err.Error(), "\n", "; ")
	if s != "" && !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// app is what every command shares: the context that Ctrl-C cancels, and
// where output and warnings go.
type app struct {
	ctx         context.Context
	out, errOut io.Writer
}

// newRoot builds the command tree. maskdash alone trains on the built-in
// synthetic set with the dashboard (it takes train's flags).
func newRoot(ctx context.Context, out, errOut io.Writer) *cobra.Command {
	a := &app{ctx: ctx, out: out, errOut: errOut}
	root := a.trainCmd("maskdash", "watch and steer image-classifier training from a terminal")
	root.Long = `maskdash trains image classifiers and shows the training live in a terminal
dashboard, locally or over SSH. Without a command it trains cnn-s on the
built-in synthetic mask set with the dashboard (the same as 'maskdash train').`
	root.Example = `  maskdash                                   the dashboard, training on the built-in synthetic set
  maskdash train --data DIR --model vgg-s    train on your data
  maskdash train --headless --epochs 3       progress lines instead of the dashboard
  maskdash lrfind --model vgg-s              a learning rate to start from, in a minute
  maskdash runs                              list runs
  maskdash eval RUN                          score a run on the data it trained on
  maskdash errors RUN                        the validation images a run gets wrong, worst first
  maskdash sweep --grid 'lr=0.001,0.0003' --folds 5 --wait    a search, K folds, on this machine or --backend slurm`
	root.SilenceErrors, root.SilenceUsage = true, true
	root.CompletionOptions.HiddenDefaultCmd = true
	root.SetOut(out)
	root.SetErr(errOut)
	root.AddCommand(
		a.trainCmd("train", "train (the dashboard, or --headless)"),
		a.resumeCmd(), a.synthCmd(), a.statsCmd(), a.runsCmd(), a.compareCmd(),
		a.evalCmd(), a.predictCmd(), a.ensembleCmd(), a.calibrateCmd(), a.exportCmd(), a.errorsCmd(), a.layersCmd(), a.noteCmd(), a.submissionsCmd(), a.prCmd(), a.embedCmd(), a.camCmd(), a.modelCmd(), a.averageCmd(), a.lrfindCmd(), a.controlCmd(), a.watchCmd(), a.sweepCmd(), a.serveCmd(), a.benchCmd(),
	)
	var setFlagErr func(*cobra.Command)
	setFlagErr = func(c *cobra.Command) {
		c.SetFlagErrorFunc(flagError)
		for _, sub := range c.Commands() {
			setFlagErr(sub)
		}
	}
	setFlagErr(root)
	return root
}

// noArgs refuses positional arguments with one sentence.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		if cmd.HasSubCommands() {
			return fmt.Errorf("unknown command %q; run '%s help' for the list", args[0], cmd.CommandPath())
		}
		return fmt.Errorf("unexpected argument %q; see '%s --help'", args[0], cmd.CommandPath())
	}
	return nil
}
