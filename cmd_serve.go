package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/ui"
	"github.com/maskdash/maskdash/ui/serve"
	"github.com/spf13/cobra"
)

func (a *app) serveCmd() *cobra.Command {
	var cfg training.Config
	var sc serve.Config
	cmd := &cobra.Command{Use: "serve [train flags]", Short: "train and serve the dashboard over SSH", Args: noArgs}
	finish := trainFlags(cmd.Flags(), &cfg)
	notify := notifyFlags(cmd.Flags())
	f := cmd.Flags()
	f.StringVar(&sc.Listen, "listen", "localhost:2222", "address to listen on (use :2222 for every interface)")
	f.StringVar(&sc.AuthorizedKeys, "authorized-keys", "", "public keys that may connect (default ~/.ssh/authorized_keys)")
	f.StringVar(&sc.Operators, "operators", "", "public keys that may also steer training (default: nobody)")
	f.StringVar(&sc.HostKey, "host-key", "", "host key file, made once (default <config dir>/maskdash/ssh_host_ed25519)")
	cmd.RunE = func(*cobra.Command, []string) error {
		if err := finish(); err != nil {
			return err
		}
		return a.serve(cfg, sc, notify)
	}
	return cmd
}

func (a *app) serve(cfg training.Config, sc serve.Config, notify *training.Notifier) error {
	var err error
	if sc.UI, err = ui.LoadConfig(ui.ConfigPath()); err != nil {
		return err
	}
	hub := training.NewHub()
	preparedFromEnv(&cfg, os.Getenv)
	mgr := training.NewManager(cfg, hub).Linger()
	watchAlerts(hub, notify)
	sc.RunsDir, sc.Prepared = mgr.RunsDir(), mgr.Prepared()
	go training.WatchCrashes(a.ctx, sc.RunsDir, hub, crashCheckEvery)
	srv, err := serve.New(sc, mgr)
	if err != nil {
		return err
	}
	serr := make(chan error, 1)
	go func() { serr <- srv.ListenAndServe() }()
	fmt.Fprintf(a.out, "serving the dashboard on ssh://%s (try: ssh -p PORT HOST); Ctrl-C stops\n", sc.Listen)
	sub, _ := hub.Subscribe(1 << 20)
	go printProgress(sub, a.out, a.errOut)
	// The manager lingers after the run ends (operators may predict or
	// start a child run from it) until Ctrl-C.
	ctx, stop := stopOnBrokenPipe(a.ctx)
	defer stop()
	terr := make(chan error, 1)
	go func() { terr <- mgr.Run(ctx) }()
	var runErr error
	select {
	case runErr = <-terr:
	case err := <-serr:
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		runErr = errors.Join(runErr, fmt.Errorf("ssh server shutdown: %w", err))
	}
	return runErr
}
