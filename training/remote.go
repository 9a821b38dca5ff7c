package training

import (
	"fmt"
	"os"
	"os/user"

	"github.com/maskdash/maskdash/runs"
)

// RemoteRun steers a run that trains in another process, maybe on
// another machine, through its run folder's control/ (runs.SendControl):
// a dashboard's Controller for a run it watches from disk.
type RemoteRun struct {
	Dir string
}

// Send implements the dashboard's Controller.
func (r RemoteRun) Send(c Command) error {
	info, err := runs.ReadInfo(r.Dir)
	if err != nil {
		return err
	}
	if info.Status.Ended() {
		return ErrEnded
	}
	if !remoteKinds[c.Kind] {
		return fmt.Errorf("%s works only in the dashboard of the run's own process", c.Kind)
	}
	who := c.Who
	if who == "" || who == "local" {
		who = LocalUser() // "local" means nothing in another process's log
	}
	return runs.SendControl(r.Dir, runs.ControlRequest{Kind: string(c.Kind), Value: c.Value, Text: c.Text, Who: who})
}

// LocalUser names this user on this machine (user@host), for the logs of
// runs steered from here.
func LocalUser() string {
	name := "someone"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, err := os.Hostname()
	if err != nil {
		host = "somewhere"
	}
	return name + "@" + host
}
