package training

import (
	"testing"

	"github.com/maskdash/maskdash/internal/pyref"
)

// scikitLearn runs a Python script that uses scikit-learn as the tests'
// reference: in goes to its stdin as JSON, and its stdout, JSON, is
// decoded into out. A machine without scikit-learn skips the test.
func scikitLearn(t *testing.T, script string, in, out any) {
	t.Helper()
	pyref.Run(t, "sklearn", "python3-sklearn", script, in, out)
}

// pyTorch is scikitLearn for scripts that use PyTorch.
func pyTorch(t *testing.T, script string, in, out any) {
	t.Helper()
	pyref.Run(t, "torch", "python3-torch", script, in, out)
}
