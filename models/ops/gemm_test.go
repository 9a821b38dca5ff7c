package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// TestSGEMMMatchesGonum checks the build's SGEMM (the assembly kernel on
// x86-64 with AVX2, gonum's elsewhere or with GODEBUG=cpu.avx2=off, OpenBLAS
// with the tag) against gonum's on odd shapes, tails of every panel size,
// both transposes, alpha and beta, leading dimensions past the width and
// slices that start off a 32-byte boundary.
func TestSGEMMMatchesGonum(t *testing.T) {
	t.Logf("BLAS: %s", BLASName)
	checkSGEMM(t, BLAS)
}

// checkSGEMM compares impl with gonum's SGEMM.
func checkSGEMM(t *testing.T, impl interface {
	Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
}) {
	r := rand.New(rand.NewPCG(3, 4))
	ref := gonum.Implementation{}
	shapes := [][3]int{{1, 1, 1}, {3, 5, 7}, {4, 24, 1}, {5, 25, 3}, {7, 23, 300}, {32, 4096, 27}, {33, 47, 513},
		{64, 1024, 64}, {16, 32, 300}, {24, 64, 129}, {8, 480, 257}, {9, 481, 256}, {2, 1000, 2}, {130, 17, 5}, {4, 49, 600}, {5, 97, 129}, {12, 500, 40}}
	for _, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}} {
					name := fmt.Sprintf("%dx%dx%d_%c%c_a%g_b%g", m, n, k, tA, tB, ab[0], ab[1])
					t.Run(name, func(t *testing.T) {
						ra, ca := m, k
						if tA == blas.Trans {
							ra, ca = k, m
						}
						rb, cb := k, n
						if tB == blas.Trans {
							rb, cb = n, k
						}
						lda, ldb, ldc := ca+r.IntN(3), cb+r.IntN(3), n+r.IntN(3)
						off := 1 + r.IntN(7) // off a 32-byte boundary
						a := randSlice(r, off+ra*lda)[off:]
						b := randSlice(r, off+rb*ldb)[off:]
						c := randSlice(r, off+m*ldc)[off:]
						want := append([]float32(nil), c...)
						if ab[1] == 0 {
							for i := range c {
								c[i] = float32(math.NaN()) // beta 0 must not read C
							}
						}
						impl.Sgemm(tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], c, ldc)
						ref.Sgemm(tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], want, ldc)
						for i := range m {
							for j := range ldc {
								g, w := c[i*ldc+j], want[i*ldc+j]
								if j >= n {
									continue // outside the matrix: untouched (checked below)
								}
								if math.Abs(float64(g-w)) > 1e-4*(1+math.Abs(float64(w)))*math.Sqrt(float64(k)) {
									t.Fatalf("C[%d][%d] = %v, gonum %v", i, j, g, w)
								}
							}
						}
						if ab[1] != 0 {
							for i := range m {
								for j := n; j < ldc; j++ {
									if c[i*ldc+j] != want[i*ldc+j] {
										t.Fatalf("C[%d][%d] past the width changed", i, j)
									}
								}
							}
						}
					})
				}
			}
		}
	}
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}
