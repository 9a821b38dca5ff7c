package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/log"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/charmbracelet/wish/activeterm"
	bm "github.com/charmbracelet/wish/bubbletea"
	rm "github.com/charmbracelet/wish/recover"
	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/ui"
	"github.com/maskdash/maskdash/ui/thumb"
	"github.com/muesli/termenv"
	gossh "golang.org/x/crypto/ssh"
)

// Role is what a client may do.
type Role int

// Roles, from least to most.
const (
	RoleNone     Role = iota // refused at authentication
	RoleViewer               // watches; control keys disabled
	RoleOperator             // may pause, checkpoint, predict, change lr and loss, start runs
)

// String names the role.
func (r Role) String() string {
	return [...]string{"none", "viewer", "operator"}[r]
}

// Config configures the server. Zero values take the documented defaults.
type Config struct {
	Listen         string                // address; default localhost:2222 (localhost only unless asked)
	AuthorizedKeys string                // who may connect (read again when it changes); default ~/.ssh/authorized_keys
	Operators      string                // who may steer (authorized_keys format, read again when it changes); "" means nobody
	HostKey        string                // made once, then kept; refused if others may read it; default <config dir>/maskdash/ssh_host_ed25519
	RunsDir        string                // for the runs view
	Prepared       dataset.PreparedStore // where the runs view's vote keeps prepared images (zero: nowhere)
	Log            io.Writer             // connection log; default stderr
	// MaxSessions caps the sessions at once; default 32. One more is told
	// so and closed.
	MaxSessions int
	// IdleTimeout closes a connection with no traffic either way for this
	// long (a client that never opens a terminal, say); default 1h.
	IdleTimeout time.Duration
	// CommandRate is how many control commands a second one session may
	// send, with bursts of twice that; default 5. More are refused.
	CommandRate float64
	// UI is every session's dashboard config (theme, first view, keys).
	UI ui.Config
}

// Controls is what an operator's session steers: the trainer manager.
type Controls interface {
	Send(training.Command) error
	Hub() *training.Hub
}

// Server is the SSH server.
type Server struct {
	cfg       Config
	ctl       Controls
	viewers   *keyFile
	operators *keyFile
	srv       *ssh.Server
	active    atomic.Int64
}

// New builds a server; it does not listen yet.
func New(cfg Config, ctl Controls) (*Server, error) {
	if cfg.Listen == "" {
		cfg.Listen = "localhost:2222"
	}
	home, _ := os.UserHomeDir()
	if cfg.AuthorizedKeys == "" {
		cfg.AuthorizedKeys = filepath.Join(home, ".ssh", "authorized_keys")
	}
	if cfg.HostKey == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			dir = home
		}
		cfg.HostKey = filepath.Join(dir, "maskdash", "ssh_host_ed25519")
	}
	if cfg.Log == nil {
		cfg.Log = os.Stderr
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = 32
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = time.Hour
	}
	if cfg.CommandRate <= 0 {
		cfg.CommandRate = 5
	}
	logger := log.NewWithOptions(cfg.Log, log.Options{ReportTimestamp: true, Prefix: "ssh"})
	s := &Server{cfg: cfg, ctl: ctl}
	var err error
	if s.viewers, err = newKeyFile(cfg.AuthorizedKeys, logger.Warn); err != nil {
		return nil, err
	}
	if s.operators, err = newKeyFile(cfg.Operators, logger.Warn); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.HostKey), 0o700); err != nil {
		return nil, fmt.Errorf("host key folder: %w", err)
	}
	if st, err := os.Stat(cfg.HostKey); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("host key %s may be read by others (mode %04o): run chmod 600 %s", cfg.HostKey, st.Mode().Perm(), cfg.HostKey)
	}
	s.srv, err = wish.NewServer(
		wish.WithAddress(cfg.Listen),
		wish.WithHostKeyPath(cfg.HostKey),
		wish.WithPublicKeyAuth(func(_ ssh.Context, key ssh.PublicKey) bool {
			ok := s.RoleOf(key) != RoleNone
			if !ok {
				logger.Info("refused key", "fingerprint", gossh.FingerprintSHA256(key))
			}
			return ok
		}),
		wish.WithIdleTimeout(cfg.IdleTimeout),
		wish.WithMiddleware(
			rm.MiddlewareWithLogger(logger,
				bm.MiddlewareWithColorProfile(s.handler, termenv.ANSI256),
				activeterm.Middleware(),
			),
			s.track(logger),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("ssh server: %w", err)
	}
	return s, nil
}

// RoleOf returns a key's role: operators first, then authorized keys.
func (s *Server) RoleOf(key ssh.PublicKey) Role {
	if key == nil {
		return RoleNone
	}
	fp := gossh.FingerprintSHA256(key)
	switch {
	case s.operators.has(fp):
		return RoleOperator
	case s.viewers.has(fp):
		return RoleViewer
	}
	return RoleNone
}

// track logs sessions and counts the live ones.
func (s *Server) track(logger *log.Logger) wish.Middleware {
	return func(next ssh.Handler) ssh.Handler {
		return func(sess ssh.Session) {
			if n := s.active.Add(1); n > int64(s.cfg.MaxSessions) {
				s.active.Add(-1)
				logger.Warn("refused: too many sessions", "user", sess.User(), "max", s.cfg.MaxSessions)
				wish.Fatalf(sess, "maskdash: too many sessions (%d); try again later\n", s.cfg.MaxSessions)
				return
			}
			defer s.active.Add(-1)
			start := time.Now()
			fp := ""
			if k := sess.PublicKey(); k != nil {
				fp = gossh.FingerprintSHA256(k)
			}
			logger.Info("connect", "user", sess.User(), "fingerprint", fp, "role", s.RoleOf(sess.PublicKey()))
			next(sess)
			logger.Info("disconnect", "user", sess.User(), "fingerprint", fp, "after", time.Since(start).Round(time.Second))
		}
	}
}

// frameGap is each session's least time between redraws: 150 ms for up to
// four sessions, then longer in proportion, so that all sessions together
// redraw about 25 times a second at most and training keeps the CPU.
func (s *Server) frameGap() time.Duration {
	n := max(s.Active(), 1)
	return 150 * time.Millisecond * time.Duration(max(1, (n+3)/4))
}

// Active is the number of live sessions.
func (s *Server) Active() int { return int(s.active.Load()) }

// operator is an operator session's controller: it checks the role again
// on every command (the UI's disabled keys are one guard, this is the
// other; a key removed from the operators file loses its role at once),
// limits the rate of commands and stamps the key's fingerprint.
type operator struct {
	s     *Server
	key   ssh.PublicKey
	limit *bucket
}

// ErrTooFast refuses commands past a session's rate.
var ErrTooFast = errors.New("too many commands; slow down")

// Send implements ui.Controller.
func (o operator) Send(c training.Command) error {
	if o.s.RoleOf(o.key) != RoleOperator {
		return errors.New("this key may only watch")
	}
	if !o.limit.take(time.Now()) {
		return ErrTooFast
	}
	c.Who = gossh.FingerprintSHA256(o.key)
	return o.s.ctl.Send(c)
}

// bucket is a token bucket: rate tokens a second, up to burst.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate float64) *bucket {
	return &bucket{rate: rate, burst: 2 * rate, tokens: 2 * rate}
}

func (b *bucket) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// handler builds one program per session: its own model, subscription,
// renderer and window size.
func (s *Server) handler(sess ssh.Session) (tea.Model, []tea.ProgramOption) {
	sub, snap := s.ctl.Hub().Subscribe(256)
	go func() {
		<-sess.Context().Done()
		sub.Cancel()
	}()
	opts := ui.Options{Sub: sub, Snapshot: snap, Renderer: bm.MakeRenderer(sess), RunsDir: s.cfg.RunsDir, Prepared: s.cfg.Prepared, FrameGap: s.frameGap, Config: s.cfg.UI,
		Context: sess.Context(),                                      // an operator's vote (E) stops when the session ends
		Ring:    func(msg string) { _ = ui.RingTerminal(sess, msg) }} // a closed session has no one to tell
	if s.RoleOf(sess.PublicKey()) == RoleOperator {
		opts.Ctrl = operator{s: s, key: sess.PublicKey(), limit: newBucket(s.cfg.CommandRate)}
		opts.Who = gossh.FingerprintSHA256(sess.PublicKey())
	} else {
		opts.Who = "viewer"
	}
	env := map[string]string{}
	for _, kv := range sess.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	pty, _, hasPty := sess.Pty()
	if hasPty {
		env["TERM"] = pty.Term
	}
	opts.Images = thumb.Detect(func(k string) string { return env[k] })
	m := ui.New(opts)
	if hasPty {
		m, _ = m.Resize(pty.Window.Width, pty.Window.Height)
	}
	// 8 frames a second: Bubble Tea's renderer wakes at this rate in every
	// session, and with 20 sessions 15 fps cost training about 8%.
	return m, []tea.ProgramOption{tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithContext(sess.Context()), tea.WithFPS(8)}
}

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	err := s.srv.Serve(ln)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// ListenAndServe listens on the configured address.
func (s *Server) ListenAndServe() error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Listen, err)
	}
	return s.Serve(ln)
}

// Shutdown stops accepting and closes the sessions.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.srv.Shutdown(ctx)
}

// Close closes the server at once.
func (s *Server) Close() error { return s.srv.Close() }
