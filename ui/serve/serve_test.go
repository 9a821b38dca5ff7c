package serve

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maskdash/maskdash/training"
	gossh "golang.org/x/crypto/ssh"
)

// fakeControls is a hub plus a record of commands.
type fakeControls struct {
	hub *training.Hub
	mu  sync.Mutex
	got []training.Command
}

func (f *fakeControls) Send(c training.Command) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, c)
	return nil
}
func (f *fakeControls) Hub() *training.Hub { return f.hub }
func (f *fakeControls) commands() []training.Command {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]training.Command(nil), f.got...)
}

func newKey(t testing.TB) (gossh.Signer, string) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s, string(gossh.MarshalAuthorizedKey(s.PublicKey()))
}

type rig struct {
	srv               *Server
	addr              string
	ctl               *fakeControls
	op, viewer, other gossh.Signer
}

func startServer(t testing.TB) *rig {
	r, _ := startServerWith(t, func(*Config) {})
	return r
}

// session is an SSH client session with a dumb terminal (no colour, no
// background-colour query that would eat the first key).
type session struct {
	client *gossh.Client
	sess   *gossh.Session
	in     io.WriteCloser
	mu     sync.Mutex
	out    bytes.Buffer
}

func (s *session) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}

func (s *session) screen() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

func dial(r *rig, key gossh.Signer, read bool) (*session, error) {
	c, err := gossh.Dial("tcp", r.addr, &gossh.ClientConfig{User: "tester", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second})
	if err != nil {
		return nil, err
	}
	sess, err := c.NewSession()
	if err != nil {
		c.Close()
		return nil, err
	}
	s := &session{client: c, sess: sess}
	if err := sess.RequestPty("dumb", 30, 100, gossh.TerminalModes{}); err != nil {
		return nil, err
	}
	s.in, _ = sess.StdinPipe()
	if read {
		sess.Stdout, sess.Stderr = s, s
	} else {
		// A frozen terminal: its output is never read, so the SSH
		// window fills and the server's writes to it block.
		if _, err := sess.StdoutPipe(); err != nil {
			return nil, err
		}
	}
	if err := sess.Shell(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *session) close() {
	s.sess.Close()
	s.client.Close()
}

func waitFor(t testing.TB, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if f() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestOperatorSteersViewerWatches(t *testing.T) {
	r := startServer(t)
	op, err := dial(r, r.op, true)
	if err != nil {
		t.Fatal(err)
	}
	defer op.close()
	vw, err := dial(r, r.viewer, true)
	if err != nil {
		t.Fatal(err)
	}
	defer vw.close()
	waitFor(t, "the operator's dashboard", func() bool { return strings.Contains(op.screen(), "run-under-test") })
	waitFor(t, "the viewer's dashboard", func() bool { return strings.Contains(vw.screen(), "viewer (read-only)") })
	vw.in.Write([]byte(" c+"))
	op.in.Write([]byte("+"))
	waitFor(t, "the operator's command", func() bool { return len(r.ctl.commands()) >= 1 })
	time.Sleep(200 * time.Millisecond)
	got := r.ctl.commands()
	fp := gossh.FingerprintSHA256(r.op.PublicKey())
	if len(got) != 1 || got[0].Kind != training.CmdScaleLR || got[0].Value != 2 || got[0].Who != fp {
		t.Errorf("commands %+v, want one lr ×2 from %s", got, fp)
	}
	waitFor(t, "the viewer's refusal", func() bool { return strings.Contains(vw.screen(), "read-only") })
	// Live events reach both screens.
	r.ctl.hub.Publish(training.Event{Kind: training.KindCheckpoint, Msg: "checkpoint saved", Path: "x/y.safetensors"})
	waitFor(t, "the event on both screens", func() bool {
		return strings.Contains(op.screen(), "y.safetensors") && strings.Contains(vw.screen(), "y.safetensors")
	})
	// A viewer may look at the layers view: the parameters' norms reach
	// it with the step events.
	r.ctl.hub.Publish(training.Event{Kind: training.KindStep, Step: 7, Loss: 1, Layers: []training.LayerStat{
		{Name: "conv1.weight", Size: 432, Rank: 4, Weight: 4, Grad: 0.5, Update: 0.004}}})
	vw.in.Write([]byte("5"))
	waitFor(t, "the layers view over SSH", func() bool {
		v := vw.screen()
		return strings.Contains(v, "layers · step 7") && strings.Contains(v, "conv1.weight")
	})
}

func TestUnknownKeyRefused(t *testing.T) {
	r := startServer(t)
	if s, err := dial(r, r.other, true); err == nil {
		s.close()
		t.Fatal("a key that is not in authorized_keys got in")
	}
}

func TestGarbageInputDoesNotCrash(t *testing.T) {
	r := startServer(t)
	s, err := dial(r, r.op, true)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "dashboard", func() bool { return strings.Contains(s.screen(), "run-under-test") })
	junk := make([]byte, 1<<20)
	rand.Read(junk)
	for i := range junk {
		if junk[i] == 'q' || junk[i] == 3 || junk[i] == 'n' { // keep the session alive and out of prompts
			junk[i] = 'z'
		}
	}
	s.in.Write(junk)
	s.in.Write([]byte("\x1b[999;999R\x1b]11;garbage\x07\x1b[<1;2;3M"))
	s.close()
	// The server still serves.
	s2, err := dial(r, r.viewer, true)
	if err != nil {
		t.Fatalf("server died after garbage: %v", err)
	}
	defer s2.close()
	waitFor(t, "dashboard after garbage", func() bool { return strings.Contains(s2.screen(), "run-under-test") })
}

// TestManyViewersFrozenClientAndCleanup: 20 viewers at once and one that
// never reads; publishing never blocks, the others keep updating, and
// closed sessions free their goroutines.
func TestManyViewersFrozenClientAndCleanup(t *testing.T) {
	r := startServer(t)
	time.Sleep(100 * time.Millisecond)
	base := runtime.NumGoroutine()
	frozen, err := dial(r, r.viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	var viewers []*session
	for i := 0; i < 20; i++ {
		s, err := dial(r, r.viewer, true)
		if err != nil {
			t.Fatal(err)
		}
		viewers = append(viewers, s)
	}
	waitFor(t, "20 live sessions", func() bool { return r.srv.Active() == 21 })
	start := time.Now()
	for i := 0; i < 5000; i++ {
		r.ctl.hub.Publish(training.Event{Kind: training.KindStep, Step: i, Loss: 1, Epochs: 3})
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("publishing 5000 events took %v with a frozen client", d)
	}
	r.ctl.hub.Publish(training.Event{Kind: training.KindCheckpoint, Msg: "checkpoint saved", Path: "last-marker.safetensors"})
	for i, s := range viewers {
		waitFor(t, fmt.Sprintf("viewer %d to update", i), func() bool { return strings.Contains(s.screen(), "last-marker") })
	}
	for _, s := range viewers {
		s.close()
	}
	frozen.close()
	waitFor(t, "sessions to end", func() bool { return r.srv.Active() == 0 && r.ctl.hub.Subscribers() == 0 })
	waitFor(t, "goroutines to be freed", func() bool { return runtime.NumGoroutine() <= base+5 })
}

// startServerWith starts a server (tune sets its limits) with an operator,
// a viewer and a third key that is in neither file; it returns the folder
// of the keys files.
func startServerWith(t testing.TB, tune func(*Config)) (*rig, string) {
	dir := t.TempDir()
	op, opLine := newKey(t)
	viewer, viewerLine := newKey(t)
	other, _ := newKey(t)
	os.WriteFile(filepath.Join(dir, "auth"), []byte(opLine+viewerLine), 0o600)
	os.WriteFile(filepath.Join(dir, "ops"), []byte("# operators\n"+opLine), 0o600)
	ctl := &fakeControls{hub: training.NewHub()}
	ctl.hub.Publish(training.Event{Kind: training.KindRun, Settings: &training.RunHeader{ID: "run-under-test", Model: "cnn-s"}, Epochs: 3})
	ctl.hub.Publish(training.Event{Kind: training.KindState, State: training.StateRunning})
	cfg := Config{Listen: "127.0.0.1:0", AuthorizedKeys: filepath.Join(dir, "auth"), Operators: filepath.Join(dir, "ops"),
		HostKey: filepath.Join(dir, "host"), Log: io.Discard}
	tune(&cfg)
	srv, err := New(cfg, ctl)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &rig{srv: srv, addr: ln.Addr().String(), ctl: ctl, op: op, viewer: viewer, other: other}, dir
}

// TestHostKeyReadableByOthersIsRefused: a host key file others may read is
// refused with a sentence that says how to mend it.
func TestHostKeyReadableByOthersIsRefused(t *testing.T) {
	dir := t.TempDir()
	_, line := newKey(t)
	os.WriteFile(filepath.Join(dir, "auth"), []byte(line), 0o600)
	host := filepath.Join(dir, "host")
	os.WriteFile(host, []byte("not checked before the mode"), 0o644)
	_, err := New(Config{AuthorizedKeys: filepath.Join(dir, "auth"), HostKey: host, Log: io.Discard}, &fakeControls{hub: training.NewHub()})
	if err == nil || !strings.Contains(err.Error(), "chmod 600 "+host) {
		t.Fatalf("want a refusal naming chmod 600, got %v", err)
	}
}

// TestSessionCapAndNoPTY: past MaxSessions a client is told and closed; a
// client that never asks for a terminal is refused; neither counts as a
// session afterwards, and the sessions in place keep updating.
func TestSessionCapAndNoPTY(t *testing.T) {
	r, _ := startServerWith(t, func(c *Config) { c.MaxSessions = 2 })
	a, err := dial(r, r.viewer, true)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	b, err := dial(r, r.viewer, true)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	waitFor(t, "two sessions", func() bool { return r.srv.Active() == 2 })
	c, err := dial(r, r.viewer, true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	waitFor(t, "the third to be told", func() bool { return strings.Contains(c.screen(), "too many sessions (2)") })
	if err := c.sess.Wait(); err == nil {
		t.Error("the session past the cap did not end with an error status")
	}
	// No PTY: the session ends, it never runs a dashboard.
	cl, err := gossh.Dial("tcp", r.addr, &gossh.ClientConfig{User: "np", Auth: []gossh.AuthMethod{gossh.PublicKeys(r.viewer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	a.close()
	waitFor(t, "a slot to free", func() bool { return r.srv.Active() == 1 })
	s, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out := &session{} // a locked buffer: stdout and stderr are copied by two goroutines
	s.Stdout, s.Stderr = out, out
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a session without a terminal was not closed")
	}
	r.ctl.hub.Publish(training.Event{Kind: training.KindCheckpoint, Msg: "checkpoint saved", Path: "after-abuse.safetensors"})
	waitFor(t, "the remaining viewer to update", func() bool { return strings.Contains(b.screen(), "after-abuse") })
}

// TestHugeWindowAndResizeStorm: a window of 100,000 × 100,000 cells and a
// thousand resizes a second neither blow up the server's memory nor stop
// another viewer's updates; the abuser's frames stay screen-sized.
func TestHugeWindowAndResizeStorm(t *testing.T) {
	r, _ := startServerWith(t, func(*Config) {})
	calm, err := dial(r, r.viewer, true)
	if err != nil {
		t.Fatal(err)
	}
	defer calm.close()
	big, err := dial(r, r.viewer, true)
	if err != nil {
		t.Fatal(err)
	}
	defer big.close()
	// charmbracelet/ssh writes the window size on a window-change request
	// without a lock while a starting session reads it (session.Pty): a
	// race in the library that -race reports. Resize only once the
	// session has started (then sizes go through a channel).
	waitFor(t, "the big window's dashboard", func() bool { return strings.Contains(big.screen(), "run-under-test") })
	if err := big.sess.WindowChange(100_000, 100_000); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the big window redrawn", func() bool { return strings.Count(big.screen(), "run-under-test") > 1 })
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	stop := time.After(2 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	resizes, step := 0, 0
loop:
	for {
		select {
		case <-stop:
			break loop
		case <-tick.C:
			resizes++
			if err := big.sess.WindowChange(20+resizes%300, 80+resizes%2000); err != nil {
				t.Fatal(err)
			}
			if resizes%20 == 0 {
				step++
				r.ctl.hub.Publish(training.Event{Kind: training.KindStep, Step: step, Loss: 1, Epochs: 3})
			}
		}
	}
	r.ctl.hub.Publish(training.Event{Kind: training.KindCheckpoint, Msg: "checkpoint saved", Path: "storm-over.safetensors"})
	waitFor(t, "the calm viewer to update", func() bool { return strings.Contains(calm.screen(), "storm-over") })
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 256<<20 {
		t.Errorf("the heap grew by %d MiB during the storm", grown>>20)
	}
	for _, line := range strings.Split(big.screen(), "\n") {
		if len(line) > 64<<10 {
			t.Fatalf("a line of %d bytes reached the client", len(line))
		}
	}
	t.Logf("%d resizes in 2 s", resizes)
}

// TestCommandRateAndKeysReread: an operator's burst of commands is cut to
// the rate; a key added to authorized_keys gets in without a restart, and
// an operator removed from the operators file can no longer steer.
func TestCommandRateAndKeysReread(t *testing.T) {
	r, dir := startServerWith(t, func(c *Config) { c.CommandRate = 2 })
	op, err := dial(r, r.op, true)
	if err != nil {
		t.Fatal(err)
	}
	defer op.close()
	waitFor(t, "the operator's dashboard", func() bool { return strings.Contains(op.screen(), "run-under-test") })
	op.in.Write([]byte(strings.Repeat("c", 50)))
	waitFor(t, "the refusal", func() bool { return strings.Contains(op.screen(), "slow down") })
	if n := len(r.ctl.commands()); n > 6 {
		t.Errorf("%d of 50 commands got through at 2 a second (burst 4)", n)
	}
	// Add the other key; it gets in.
	if _, err := dial(r, r.other, true); err == nil {
		t.Fatal("an unknown key got in")
	}
	line := string(gossh.MarshalAuthorizedKey(r.other.PublicKey()))
	f, _ := os.OpenFile(filepath.Join(dir, "auth"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(line)
	f.Close()
	s, err := dial(r, r.other, true)
	if err != nil {
		t.Fatalf("a key added to authorized_keys is refused until restart: %v", err)
	}
	s.close()
	// Remove the operator: steering is refused from the next command.
	time.Sleep(1500 * time.Millisecond) // let the rate refill
	os.WriteFile(filepath.Join(dir, "ops"), []byte("# nobody\n"), 0o600)
	before := len(r.ctl.commands())
	op.in.Write([]byte("+"))
	waitFor(t, "the demoted operator's refusal", func() bool { return strings.Contains(op.screen(), "may only watch") })
	if len(r.ctl.commands()) != before {
		t.Error("a removed operator still steered")
	}
}

// TestIdleConnectionIsClosed: a client that authenticates and then says
// nothing is closed after the idle timeout.
func TestIdleConnectionIsClosed(t *testing.T) {
	r, _ := startServerWith(t, func(c *Config) { c.IdleTimeout = 300 * time.Millisecond })
	cl, err := gossh.Dial("tcp", r.addr, &gossh.ClientConfig{User: "idle", Auth: []gossh.AuthMethod{gossh.PublicKeys(r.viewer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cl.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cl.Close()
		t.Fatal("an idle connection was kept open")
	}
}
