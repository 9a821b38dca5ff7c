//go:build openblas

package models

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
void openblas_set_num_threads(int);
*/
import "C"

import (
	"unsafe"

	"gonum.org/v1/gonum/blas"
)

// openBLAS routes SGEMM to OpenBLAS (built with -tags openblas; needs
// libopenblas-dev). The ops already run one goroutine per core, so
// OpenBLAS itself runs single-threaded to avoid oversubscription.
type openBLAS struct{}

func init() {
	C.openblas_set_num_threads(1)
	BLAS = openBLAS{}
	BLASName = "OpenBLAS"
}

func trans(t blas.Transpose) C.enum_CBLAS_TRANSPOSE {
	if t == blas.Trans {
		return C.CblasTrans
	}
	return C.CblasNoTrans
}

// Sgemm implements the BLAS interface for row-major matrices.
func (openBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				c[i*ldc+j] *= beta
			}
		}
		return
	}
	C.cblas_sgemm(C.CblasRowMajor, trans(tA), trans(tB), C.blasint(m), C.blasint(n), C.blasint(k), C.float(alpha),
		(*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda), (*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb), C.float(beta),
		(*C.float)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}
