// Package pyref runs the tests' outside references: short Python scripts
// that use scikit-learn, SciPy or PyTorch (Debian's packages, run with
// /usr/bin/python3), given their input as JSON on stdin and read back as
// JSON from stdout. A machine without the module skips the test, naming
// the package to install. Only tests import it.
package pyref
