package training

import (
	"os"
	"path/filepath"
)

// absPath is p made absolute ("" stays ""; p as it is when the working
// folder cannot be read).
func absPath(p string) string {
	if p == "" {
		return ""
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// samePath reports whether a and b name one folder: relative ones are
// read from the working folder, so that a run's recorded absolute data
// folder and a --data given relative to here compare equal.
func samePath(a, b string) bool {
	return filepath.Clean(absPath(a)) == filepath.Clean(absPath(b))
}

// dirExists reports whether p is a folder.
func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
