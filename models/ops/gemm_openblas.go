//go:build openblas

package ops

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
void openblas_set_num_threads(int);
*/
import "C"

import (
	"runtime"
	"unsafe"

	"gonum.org/v1/gonum/blas"
)

// openBLAS routes SGEMM to OpenBLAS (built with -tags openblas; needs
// libopenblas-dev). The ops already run one goroutine per core, so
// OpenBLAS itself runs single-threaded to avoid oversubscription.
type openBLAS struct{}

// init also gives Go's scheduler one spare P (GOMAXPROCS = workers + 1).
// To the scheduler a cgo call is a system call: when every P's goroutine is
// inside OpenBLAS, sysmon takes the Ps back every 20 µs or so and starts a
// spinning thread to look for other work, which on a two-core machine
// preempts a compute thread; it also keeps sysmon itself waking every
// 20 µs. With one P idle, sysmon leaves calls under 10 ms alone. Measured
// on vgg-s, two workers: context switches halved and 7–19% more images/s
// (NOTES.md). Only the workers compute, so the benchmark's thread count
// stays the worker count (Workers).
func init() {
	runtime.GOMAXPROCS(workers + 1)
	C.openblas_set_num_threads(1)
	BLAS = openBLAS{}
	// The kernels OpenBLAS picked for this CPU: a CPU newer than the
	// library (0.3.21 on Debian 12 does not know every AVX-512 Xeon) gets
	// Prescott's SSE3 ones; OPENBLAS_CORETYPE=SkylakeX chooses others.
	BLASName = "OpenBLAS (" + C.GoString(C.openblas_get_corename()) + " kernels)"
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
