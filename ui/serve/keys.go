package serve

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// LoadKeys reads an authorized_keys file into fingerprints; a line that
// does not parse is an error naming the file and line.
func LoadKeys(path string) (map[string]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keys file %s: %w", path, err)
	}
	out := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		k, _, _, _, err := gossh.ParseAuthorizedKey(line)
		if err != nil {
			return nil, fmt.Errorf("keys file %s line %d is not a public key: %v", path, n, err)
		}
		out[gossh.FingerprintSHA256(k)] = true
	}
	return out, sc.Err()
}

// keyFile is an authorized_keys file that is read again when it changes
// (size or modification time), so adding or removing a key needs no
// restart. A file that turns unreadable or bad keeps the keys it had, and
// the error is logged once.
type keyFile struct {
	path string
	log  func(msg any, kv ...any)

	mu   sync.Mutex
	mod  time.Time
	size int64
	keys map[string]bool
	bad  error
}

// newKeyFile reads path; "" is a file with no keys.
func newKeyFile(path string, log func(any, ...any)) (*keyFile, error) {
	k := &keyFile{path: path, log: log, keys: map[string]bool{}}
	if path == "" {
		return k, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("keys file %s: %w", path, err)
	}
	if k.keys, err = LoadKeys(path); err != nil {
		return nil, err
	}
	k.mod, k.size = st.ModTime(), st.Size()
	return k, nil
}

// has reports whether the file holds the fingerprint, reading the file
// again first if it changed.
func (k *keyFile) has(fp string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.path == "" {
		return false
	}
	if st, err := os.Stat(k.path); err == nil && (!st.ModTime().Equal(k.mod) || st.Size() != k.size) {
		keys, err := LoadKeys(k.path)
		switch {
		case err != nil:
			if k.bad == nil || k.bad.Error() != err.Error() {
				k.log("keeping the previous keys", "file", k.path, "error", err)
			}
			k.bad = err
		default:
			k.keys, k.mod, k.size, k.bad = keys, st.ModTime(), st.Size(), nil
			k.log("keys file read again", "file", k.path, "keys", len(keys))
		}
	}
	return k.keys[fp]
}
