package training

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"time"
)

// Notifier delivers alerts outside the terminal, as the user configured:
// a command (run with sh -c; the alert in MASKDASH_ALERT, its rule in
// MASKDASH_ALERT_RULE and the run in MASKDASH_RUN) and an HTTP POST of
// {"run","alert","msg","time"} as JSON. The zero value delivers nothing.
type Notifier struct {
	Cmd     string
	URL     string
	Timeout time.Duration // for each delivery; default 10s
}

// Enabled reports whether there is anywhere to deliver to.
func (n Notifier) Enabled() bool { return n.Cmd != "" || n.URL != "" }

// Watch delivers every alert of sub until it ends; a delivery that fails
// is reported to warn (it never stops training: Watch runs beside it).
func (n Notifier) Watch(sub *Sub, warn func(error)) {
	if n.Timeout <= 0 {
		n.Timeout = 10 * time.Second
	}
	for {
		evs, _, ok := sub.Next(context.Background())
		if !ok {
			return
		}
		for _, e := range evs {
			if e.Kind != KindAlert {
				continue
			}
			if err := n.deliver(e); err != nil {
				warn(err)
			}
		}
	}
}

func (n Notifier) deliver(e Event) error {
	ctx, cancel := context.WithTimeout(context.Background(), n.Timeout)
	defer cancel()
	var errs []error
	if n.Cmd != "" {
		cmd := exec.CommandContext(ctx, "sh", "-c", n.Cmd)
		cmd.Env = append(os.Environ(), "MASKDASH_ALERT="+e.Msg, "MASKDASH_ALERT_RULE="+string(e.Alert), "MASKDASH_RUN="+e.Run)
		if out, err := cmd.CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("notify command %q: %v %s", n.Cmd, err, bytes.TrimSpace(out)))
		}
	}
	if n.URL != "" {
		body, err := json.Marshal(map[string]any{"run": e.Run, "alert": e.Alert, "msg": e.Msg, "time": e.Time})
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("notify URL %q: %w", n.URL, err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			errs = append(errs, fmt.Errorf("notify URL: %w", err))
		} else {
			if err := resp.Body.Close(); err != nil {
				errs = append(errs, fmt.Errorf("notify URL: %w", err))
			}
			if resp.StatusCode >= 300 {
				errs = append(errs, fmt.Errorf("notify URL %s answered %s", n.URL, resp.Status))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("alert not delivered: %w", errors.Join(errs...))
	}
	return nil
}
