package pyref

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
)

// Python is the interpreter Debian's python3-* packages install into.
const Python = "/usr/bin/python3"

// Run runs script, which imports module (Debian's package pkg), with in
// as JSON on its stdin, and decodes its stdout into out.
func Run(t testing.TB, module, pkg, script string, in, out any) {
	t.Helper()
	if err := exec.Command(Python, "-c", "import "+module).Run(); err != nil {
		t.Skipf("%s is not installed (apt-get install %s)", module, pkg)
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(Python, "-c", script)
	cmd.Stdin = bytes.NewReader(b)
	cmd.Stderr = os.Stderr
	res, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(res, out); err != nil {
		t.Fatal(err, string(res))
	}
}
