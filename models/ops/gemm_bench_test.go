package ops

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkGemmShapes times the matrix products of one vgg-s image at
// 64×64 (f: forward, x: input gradient, w: kernel gradient, b: blocks of
// columns, wg: Winograd's products; ld: B's rows colStride apart, as the
// convolutions lay out im2col) in GFLOP/s, for comparing BLAS builds: go
// test -tags openblas.
func BenchmarkGemmShapes(b *testing.B) {
	type sh struct {
		name    string
		tA, tB  bool
		m, n, k int
	}
	for _, s := range []sh{
		{"f1", false, false, 32, 4096, 27}, {"f2", false, false, 32, 4096, 288}, {"f3", false, false, 64, 1024, 288}, {"f4", false, false, 64, 1024, 576}, {"f5", false, false, 128, 256, 576},
		{"x2", false, false, 32, 4096, 288}, {"x3", false, false, 32, 1024, 576}, {"x4", false, false, 64, 1024, 576}, {"x5", false, false, 64, 256, 1152},
		{"f2ld", false, false, 32, 4096, 288}, {"w2ld", false, true, 32, 288, 4096}, {"w4ld", false, true, 64, 576, 1024},
		{"w1", false, true, 32, 27, 4096}, {"w2", false, true, 32, 288, 4096}, {"w3", false, true, 64, 288, 1024}, {"w4", false, true, 64, 576, 1024}, {"w5", false, true, 128, 576, 256},
		{"b2_256", false, false, 32, 256, 288}, {"b2_512", false, false, 32, 512, 288}, {"b2_128", false, false, 32, 128, 288}, {"b4_256", false, false, 64, 256, 576}, {"b4_128", false, false, 64, 128, 576},
		{"bw2_256", false, true, 32, 288, 256}, {"bw4_256", false, true, 64, 576, 256},
		{"wt2", false, true, 288, 32, 4096}, {"wt3", false, true, 576, 32, 1024}, {"wt4", false, true, 576, 64, 1024}, {"wt5", false, true, 1152, 64, 256},
		{"wx3", false, true, 32, 576, 1024}, {"wx5", false, true, 64, 1152, 256},
		// Winograd F(2×2,3×3)'s per-position products for conv2 and conv4,
		// one image and four: inner dimension = input channels.
		{"wg2", false, false, 32, 1024, 32}, {"wg2x4", false, false, 32, 4096, 32}, {"wg4", false, false, 64, 256, 64}, {"wg4x4", false, false, 64, 1024, 64},
	} {
		a := make([]float32, s.m*s.k)
		ldb := s.n
		if s.tB {
			ldb = s.k
		}
		if strings.HasSuffix(s.name, "ld") {
			ldb = colStride(ldb)
		}
		rows := s.k
		if s.tB {
			rows = s.n
		}
		bb := make([]float32, rows*ldb)
		c := make([]float32, s.m*s.n)
		for i := range a {
			a[i] = float32(i%7) * 0.1
		}
		for i := range bb {
			bb[i] = float32(i%5) * 0.1
		}
		b.Run(fmt.Sprintf("%s_%dx%dx%d", s.name, s.m, s.n, s.k), func(b *testing.B) {
			for b.Loop() {
				sgemmLdb(s.tA, s.tB, s.m, s.n, s.k, 1, a, bb, ldb, 0, c)
			}
			b.ReportMetric(float64(2*s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
