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
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import sklearn").Run(); err != nil {
		t.Skip("scikit-learn is not installed (apt-get install python3-sklearn)")
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
