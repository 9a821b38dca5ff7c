//go:build gpuemu && !cuda

package gpu

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Gemm is a matrix product C = alpha·op(A)·op(B) + beta·C on row-major
// matrices, C m×n, op(A) m×k, op(B) k×n: what the emulator's
// convolutions and cuBLAS calls compute with.
type Gemm func(tA, tB bool, m, n, k int, alpha float32, a, b []float32, beta float32, c []float32)

// emulatorGemm is gonum's SGEMM until SetEmulatorGemm replaces it.
var emulatorGemm Gemm = gonumGemm

// SetEmulatorGemm has the emulator compute with f. Package ops gives it
// its own SGEMM when it starts (ops/emu_gemm.go), as it cannot be
// imported here: ops's GPU forms import this package.
func SetEmulatorGemm(f Gemm) { emulatorGemm = f }

func gonumGemm(tA, tB bool, m, n, k int, alpha float32, a, b []float32, beta float32, c []float32) {
	ta, tb, lda, ldb := blas.NoTrans, blas.NoTrans, k, n
	if tA {
		ta, lda = blas.Trans, m
	}
	if tB {
		tb, ldb = blas.Trans, k
	}
	gonum.Implementation{}.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, n)
}
