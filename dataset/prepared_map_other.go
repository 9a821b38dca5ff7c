//go:build !unix

package dataset

import "os"

// mapPack reads a pack file whole (where there is no mmap).
func mapPack(path string) ([]byte, error) { return os.ReadFile(path) }
