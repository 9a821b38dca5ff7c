//go:build !amd64

package cpupeak

// bestLoop: no measured loop on this architecture yet.
func bestLoop() (loop func(n int), flopsPerTurn float64, unit string) { return nil, 0, "" }
