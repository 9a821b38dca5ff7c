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
	dir := t.TempDir()
	op, opLine := newKey(t)
	viewer, viewerLine := newKey(t)
	other, _ := newKey(t)
	os.WriteFile(filepath.Join(dir, "auth"), []byte(opLine+viewerLine), 0o600)
	os.WriteFile(filepath.Join(dir, "ops"), []byte("# operators\n"+opLine), 0o600)
	ctl := &fakeControls{hub: training.NewHub()}
	ctl.hub.Publish(training.Event{Kind: training.KindRun, Settings: &training.RunHeader{ID: "run-under-test", Model: "cnn-s"}, Epochs: 3})
	ctl.hub.Publish(training.Event{Kind: training.KindState, State: training.StateRunning})
	srv, err := New(Config{Listen: "127.0.0.1:0", AuthorizedKeys: filepath.Join(dir, "auth"), Operators: filepath.Join(dir, "ops"),
		HostKey: filepath.Join(dir, "host"), Log: io.Discard}, ctl)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &rig{srv: srv, addr: ln.Addr().String(), ctl: ctl, op: op, viewer: viewer, other: other}
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
		sess.Stdout = s
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
