package ops

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BLAS is the matrix-product routine every op here uses. It is gonum's
// pure-Go SGEMM unless a build (tag openblas) replaces it.
var BLAS interface {
	Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
} = gonum.Implementation{}

// BLASName names the BLAS in use (for `maskdash bench`).
var BLASName = "gonum (pure Go)"

// Sgemm is sgemm for the GPU emulator (models/gpu, tag gpuemu).
func Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, b []float32, beta float32, c []float32) {
	sgemm(tA, tB, m, n, k, alpha, a, b, beta, c)
}

// sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices,
// op(A) being m×k and op(B) k×n.
func sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, b []float32, beta float32, c []float32) {
	ldb := n
	if tB {
		ldb = k
	}
	sgemmLdb(tA, tB, m, n, k, alpha, a, b, ldb, beta, c)
}

// sgemmLdb is sgemm with B's rows ldb floats apart (an im2col buffer, see
// colStride).
func sgemmLdb(tA, tB bool, m, n, k int, alpha float32, a []float32, b []float32, ldb int, beta float32, c []float32) {
	ta, tb := blas.NoTrans, blas.NoTrans
	lda := k
	if tA {
		ta, lda = blas.Trans, m
	}
	if tB {
		tb = blas.Trans
	}
	BLAS.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, n)
}

// panelGemm is a BLAS that can take B already laid out as the panels its
// kernel reads (this package's assembly SGEMM), so that an op writing B
// itself (Winograd's input transform) can spare the product its packing.
type panelGemm interface {
	panelWidth() int
	sgemmPanels(tA bool, m, n, k int, a []float32, lda int, bp []float32, c []float32, ldc int)
}
