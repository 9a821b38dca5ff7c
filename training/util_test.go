package training

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
)

// scikitLearn runs a Python script that uses scikit-learn as the tests'
// reference: in goes to its stdin as JSON, and its stdout, JSON, is
// decoded into out. A machine without scikit-learn skips the test.
func scikitLearn(t *testing.T, script string, in, out any) {
	t.Helper()
	pythonReference(t, "sklearn", "python3-sklearn", script, in, out)
}

// pyTorch is scikitLearn for scripts that use PyTorch.
func pyTorch(t *testing.T, script string, in, out any) {
	t.Helper()
	pythonReference(t, "torch", "python3-torch", script, in, out)
}

// pythonReference runs script, which imports module (Debian's package
// pkg), with in as JSON on its stdin, and decodes its stdout into out.
func pythonReference(t *testing.T, module, pkg, script string, in, out any) {
	t.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import "+module).Run(); err != nil {
		t.Skipf("%s is not installed (apt-get install %s)", module, pkg)
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", script)
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
