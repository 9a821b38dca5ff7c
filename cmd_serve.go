package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/ui/serve"
)

func cmdServe(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var cfg training.Config
	finish := trainFlags(fs, &cfg)
	listen := fs.String("listen", "localhost:2222", "address to listen on (use :2222 for every interface)")
	keys := fs.String("authorized-keys", "", "public keys that may connect (default ~/.ssh/authorized_keys)")
	ops := fs.String("operators", "", "public keys that may also steer training (default: nobody)")
	hostKey := fs.String("host-key", "", "host key file, made once (default <config dir>/maskdash/ssh_host_ed25519)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := finish(); err != nil {
		return err
	}
	hub := training.NewHub()
	mgr := training.NewManager(cfg, hub)
	srv, err := serve.New(serve.Config{Listen: *listen, AuthorizedKeys: *keys, Operators: *ops, HostKey: *hostKey, RunsDir: mgr.RunsDir()}, mgr)
	if err != nil {
		return err
	}
	serr := make(chan error, 1)
	go func() { serr <- srv.ListenAndServe() }()
	fmt.Fprintf(out, "serving the dashboard on ssh://%s (try: ssh -p PORT HOST); Ctrl-C stops\n", *listen)
	sub, _ := hub.Subscribe(1 << 20)
	go printProgress(ctx, sub, out)
	terr := make(chan error, 1)
	go func() { terr <- mgr.Run(ctx) }()
	var trainErr error
	select {
	case trainErr = <-terr:
		if trainErr != nil {
			fmt.Fprintf(out, "training stopped: %v\n", trainErr)
		}
		fmt.Fprintln(out, "training finished; still serving its dashboard until Ctrl-C")
		select {
		case <-ctx.Done():
		case err := <-serr:
			return err
		}
	case err := <-serr:
		return err
	case <-ctx.Done():
		trainErr = <-terr
	}
	sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	return trainErr
}
