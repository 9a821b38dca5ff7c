package pyref

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// ImportScript is Python that imports module from the repository's
// scripts folder (torch_resnet18, which defines PyTorch's side of
// resnet18), for a test's script to start with.
func ImportScript(t testing.TB, module string) string {
	t.Helper()
	return fmt.Sprintf("import sys\nsys.path.insert(0, %s)\nimport %s\n", strconv.Quote(scriptsDir(t)), module)
}

// scriptsDir is the repository's scripts folder, found from the test's
// folder up to go.mod.
func scriptsDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "scripts")
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatalf("no go.mod above the test's folder %s: where is scripts/?", dir)
		}
		dir = up
	}
}
