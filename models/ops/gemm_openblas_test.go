//go:build openblas

package ops

import (
	"runtime"
	"testing"
)

// The OpenBLAS build keeps one spare P for the scheduler (see init in
// gemm_openblas.go); the ops still run Workers goroutines.
func TestOpenBLASSpareP(t *testing.T) {
	if got := runtime.GOMAXPROCS(0); got != Workers()+1 {
		t.Fatalf("GOMAXPROCS = %d, want Workers()+1 = %d", got, Workers()+1)
	}
}
