//go:build cuda && !gpuemu

package gpu

/*
#include "dev.h"
*/
import "C"

// Gemm queues c = alpha·op(a)·op(b) + beta·c for row-major matrices: c is
// m×n, op(a) m×k, op(b) k×n; ta and tb transpose a and b (cuBLAS,
// float32 without TF32, PyTorch's default for matrix products).
func (d *Device) Gemm(ta, tb bool, m, n, k int, alpha float32, a, b Buffer, beta float32, c Buffer) error {
	return d.check(C.mdg_sgemm(d.d, cbool(ta), cbool(tb), C.int(m), C.int(n), C.int(k), C.float(alpha), a.p, b.p,
		C.float(beta), c.p))
}

// RowSums queues y[r] = alpha·Σ_j a[r·cols+j] for a row-major rows×cols
// matrix; ones holds at least cols ones (cuBLAS's matrix-vector product).
func (d *Device) RowSums(rows, cols int, alpha float32, a, ones, y Buffer) error {
	return d.check(C.mdg_row_sums(d.d, C.int(rows), C.int(cols), C.float(alpha), a.p, ones.p, y.p))
}

// ColSums queues y[j] = Σ_r a[r·cols+j]; ones holds at least rows ones.
func (d *Device) ColSums(rows, cols int, a, ones, y Buffer) error {
	return d.check(C.mdg_col_sums(d.d, C.int(rows), C.int(cols), a.p, ones.p, y.p))
}

// SetGemmTF32 lets cuBLAS use TF32 tensor cores in Gemm (off: float32).
func (d *Device) SetGemmTF32(on bool) error { return d.check(C.mdg_gemm_tf32(d.d, cbool(on))) }

// Axpby queues c = alpha·a + beta·b over n values.
func (d *Device) Axpby(n int, alpha float32, a Buffer, beta float32, b, c Buffer) error {
	return d.check(C.mdg_geam(d.d, C.int(n), C.float(alpha), a.p, C.float(beta), b.p, c.p))
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
