// Command sshload opens N SSH sessions to a `maskdash serve` and reads
// (and discards) their screens for a while: the load of N viewers without
// N terminal emulators drawing on the same machine.
//
//	go run ./scripts/sshload -addr 127.0.0.1:2222 -key ~/.ssh/id_ed25519 -n 20 -for 60s
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"sync"
	"sync/atomic"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:2222", "server address")
	keyPath := flag.String("key", "", "private key file (required)")
	n := flag.Int("n", 20, "sessions")
	dur := flag.Duration("for", time.Minute, "how long to watch")
	flag.Parse()
	pem, err := os.ReadFile(*keyPath)
	if err != nil {
		log.Fatal(err)
	}
	signer, err := gossh.ParsePrivateKey(pem)
	if err != nil {
		log.Fatal(err)
	}
	var total atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < *n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := gossh.Dial("tcp", *addr, &gossh.ClientConfig{User: "load", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
				HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
			if err != nil {
				log.Printf("session %d: %v", i, err)
				return
			}
			defer c.Close() //nolint:errcheck // a load generator: the session ends either way
			s, err := c.NewSession()
			if err != nil {
				log.Printf("session %d: %v", i, err)
				return
			}
			if err := s.RequestPty("xterm-256color", 30, 100, gossh.TerminalModes{}); err != nil {
				log.Printf("session %d: %v", i, err)
				return
			}
			out, _ := s.StdoutPipe()
			if err := s.Shell(); err != nil {
				log.Printf("session %d: %v", i, err)
				return
			}
			done := time.After(*dur)
			buf := make([]byte, 32<<10)
			go func() { <-done; _ = s.Close() }()
			for {
				k, err := out.Read(buf)
				total.Add(int64(k))
				if err == io.EOF || err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	fmt.Printf("%d sessions read %d KiB in %s\n", *n, total.Load()/1024, *dur)
}
