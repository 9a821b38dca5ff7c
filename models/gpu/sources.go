package gpu

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
)

// KernelSources are the files of models/cudakern that the GPU emulator's
// C includes (the kernels and their headers).
var KernelSources = []string{"kernel.h", "kernels.cu", "kernels_bf16.h", "kernels_bf16.cu"}

// KernelSourcesHash is the SHA-256, in hex, of KernelSources in dir, each
// name and content. The emulator compares it with the hash it was built
// with (emu_sources.go, written by go generate): the go command does not
// rebuild this package when only those files change.
func KernelSourcesHash(dir string) (string, error) {
	h := sha256.New()
	for _, f := range KernelSources {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return "", err
		}
		h.Write([]byte(f))
		h.Write([]byte{0})
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
