//go:build amd64 && !openblas

package ops

import (
	"sync"

	"golang.org/x/sys/cpu"
	"gonum.org/v1/gonum/blas"
)

//go:generate go run ../asmgen -out sgemm_amd64.s -stubs sgemm_stub_amd64.go -pkg ops

// On x86-64 with AVX2 and FMA the default build multiplies matrices with
// this package's own SGEMM: operands packed into panels, and a 4×24
// micro-kernel in Go assembly (sgemm_amd64.s, written by ./asmgen), or
// 4×48 with AVX-512. Other CPUs, and GODEBUG=cpu.avx2=off or cpu.fma=off,
// keep gonum's pure-Go SGEMM; GODEBUG=cpu.avx512f=off keeps the AVX2 one.
func init() {
	if p := bestGemmPlan(); p != nil {
		BLAS = packedSGEMM{p}
		BLASName = "maskdash " + p.name + " (Go assembly)"
	}
}

// gemmPlan is one micro-kernel with its panel width and blocking: a kc×nr
// panel of B stays in L1 while every mr-row panel of A streams past it, a
// kc×nc block of B in L2.
type gemmPlan struct {
	name          string
	mr, nr        int // the kernel's tile
	kc, nc        int
	kernel        func(k int, a, b, c *float32, ldc int)
	kernelStore   func(k int, a, b, c *float32, ldc int) // kernel writing over C
	packB, packBT func(dst, src *float32, ldb, k int)
	// packBTPart is packBT for the first 8·groups columns of a panel.
	packBTPart func(dst, src *float32, ldb, k, groups int)
	// packA copies k rows of mr floats (a transposed A's panel), packAT
	// transposes mr rows of A (k a multiple of mr) into a panel.
	packA, packAT func(dst, src *float32, lda, k int)
}

var (
	gemmAVX2   = &gemmPlan{"AVX2+FMA", 4, 24, 256, 20 * 24, sgemmKernel4x24, sgemmKernel4x24Store, packB24AVX, packBT24AVX, packBT24PartAVX, packA4AVX, packAT4AVX}
	gemmAVX512 = &gemmPlan{"AVX-512", 8, 48, 128, 10 * 48, sgemmKernel8x48, sgemmKernel8x48Store, packB48AVX, packBT48AVX, packBT48PartAVX, packB8AVX, packBT8AVX}
)

// gemmPlans lists the plans this CPU can run, best first.
func gemmPlans() []*gemmPlan {
	var out []*gemmPlan
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		out = append(out, gemmAVX512)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		out = append(out, gemmAVX2)
	}
	return out
}

func bestGemmPlan() *gemmPlan {
	if ps := gemmPlans(); len(ps) > 0 {
		return ps[0]
	}
	return nil
}

// packedSGEMM is the assembly SGEMM (see init).
type packedSGEMM struct{ plan *gemmPlan }

// gemmScratch holds one call's packed panels; calls run concurrently (one
// per worker), each with its own.
type gemmScratch struct {
	a, b []float32
	tile [8 * 48]float32 // the largest tile
}

var gemmPool = sync.Pool{New: func() any { return new(gemmScratch) }}

// Sgemm implements the BLAS routine for row-major matrices: C = alpha·op(A)·op(B) + beta·C.
func (g packedSGEMM) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	g.run(tA != blas.NoTrans, m, n, k, alpha, a, lda, beta, c, ldc, func(s *gemmScratch, pc, kc, jc, nc int) ([]float32, int) {
		packB(g.plan, s.b, tB != blas.NoTrans, b, ldb, pc, kc, jc, nc)
		return s.b, kc * g.plan.nr
	})
}

// panelWidth implements panelGemm: B's panels are nr columns wide.
func (g packedSGEMM) panelWidth() int { return g.plan.nr }

// sgemmPanels implements panelGemm: C = op(A)·B (alpha 1, beta 0) with B
// [k, n] already laid out as this plan's panels: panel j (columns nr·j to
// nr·j+nr−1, zero or anything past n) holds k rows of nr floats, at
// bp[j·k·nr:]. The product then packs nothing of B.
func (g packedSGEMM) sgemmPanels(tA bool, m, n, k int, a []float32, lda int, bp []float32, c []float32, ldc int) {
	nr := g.plan.nr
	_ = bp[(n+nr-1)/nr*k*nr-1]
	g.run(tA, m, n, k, 1, a, lda, 0, c, ldc, func(_ *gemmScratch, pc, _, jc, _ int) ([]float32, int) {
		return bp[jc/nr*k*nr+pc*nr:], k * nr
	})
}

// run is the blocked product; panels returns the kc×nc block of op(B) at
// (pc, jc) as panels of kc rows, the first at its start and each next
// stride floats on.
func (g packedSGEMM) run(tA bool, m, n, k int, alpha float32, a []float32, lda int, beta float32, c []float32, ldc int,
	panels func(s *gemmScratch, pc, kc, jc, nc int) ([]float32, int)) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 || beta != 0 {
		scaleC(m, n, beta, c, ldc)
	}
	if k == 0 || alpha == 0 {
		return
	}
	// With beta 0 the first block of k writes C instead of adding to it.
	over := beta == 0
	s := gemmPool.Get().(*gemmScratch)
	defer gemmPool.Put(s)
	p := g.plan
	mr, nr := p.mr, p.nr
	mp := (m + mr - 1) / mr * mr
	s.a = grow(s.a, mp*p.kc)
	s.b = grow(s.b, p.nc*p.kc)
	for jc := 0; jc < n; jc += p.nc {
		nc := min(p.nc, n-jc)
		for pc := 0; pc < k; pc += p.kc {
			kc := min(p.kc, k-pc)
			bb, stride := panels(s, pc, kc, jc, nc)
			packA(p, s.a, tA, a, lda, pc, kc, m, alpha)
			for jr := 0; jr < nc; jr += nr {
				bp := bb[jr/nr*stride:]
				first := over && pc == 0
				for ir := 0; ir < m; ir += mr {
					ap := s.a[ir*kc:]
					if ir+mr <= m && jr+nr <= nc {
						if first {
							p.kernelStore(kc, &ap[0], &bp[0], &c[ir*ldc+jc+jr], ldc)
						} else {
							p.kernel(kc, &ap[0], &bp[0], &c[ir*ldc+jc+jr], ldc)
						}
						continue
					}
					// An edge tile: into a scratch tile, then the part
					// that is in C.
					p.kernelStore(kc, &ap[0], &bp[0], &s.tile[0], nr)
					for r := 0; r < min(mr, m-ir); r++ {
						tile := s.tile[r*nr : r*nr+min(nr, nc-jr)]
						row := c[(ir+r)*ldc+jc+jr:]
						if first {
							copy(row, tile)
							continue
						}
						for j, v := range tile {
							row[j] += v
						}
					}
				}
			}
		}
	}
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// scaleC sets C = beta·C (beta 0 clears, so NaNs in C do not survive).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// packA writes op(A)[:, pc:pc+kc] scaled by alpha as mr-row panels, each
// k-major (panel p holds rows mr·p to mr·p+mr−1, step by step), the last panel
// padded with zero rows.
func packA(pl *gemmPlan, dst []float32, trans bool, a []float32, lda, pc, kc, m int, alpha float32) {
	mr := pl.mr
	for ir := 0; ir < m; ir += mr {
		p := dst[ir*kc : (ir+mr)*kc]
		rows := min(mr, m-ir)
		if rows < mr {
			clear(p)
		}
		if rows == mr && alpha == 1 {
			// A whole panel in assembly: op(A)ᵀ's rows are A's mr-float
			// row pieces (copied); A's own rows are transposed mr×mr at a
			// time, the last kc%mr steps here.
			if trans {
				_ = a[(pc+kc-1)*lda+ir+mr-1]
				pl.packA(&p[0], &a[pc*lda+ir], lda, kc)
				continue
			}
			kq := kc / mr * mr
			_ = a[(ir+mr-1)*lda+pc+kc-1]
			if kq > 0 {
				pl.packAT(&p[0], &a[ir*lda+pc], lda, kq)
			}
			for r := range mr {
				for q := kq; q < kc; q++ {
					p[q*mr+r] = a[(ir+r)*lda+pc+q]
				}
			}
			continue
		}
		for r := range rows {
			i := ir + r
			if trans { // op(A)[i][q] = a[q*lda+i]
				for q := range kc {
					p[q*mr+r] = alpha * a[(pc+q)*lda+i]
				}
				continue
			}
			src := a[i*lda+pc : i*lda+pc+kc]
			for q, v := range src {
				p[q*mr+r] = alpha * v
			}
		}
	}
}

// packB writes op(B)[pc:pc+kc, jc:jc+nc] as nr-column panels, each
// k-major, the last panel padded with zero columns.
func packB(pl *gemmPlan, dst []float32, trans bool, b []float32, ldb, pc, kc, jc, nc int) {
	nr := pl.nr
	for jr := 0; jr < nc; jr += nr {
		p := dst[jr*kc : (jr+nr)*kc]
		cols := min(nr, nc-jr)
		if cols < nr {
			clear(p)
		}
		switch {
		case trans && cols == nr:
			// op(B)[q][j] = b[j*ldb+q]: 8×8 transposes in assembly, the
			// last kc%8 steps here.
			k8 := kc &^ 7
			src := b[(jc+jr)*ldb+pc:]
			_ = src[(nr-1)*ldb+kc-1]
			if k8 > 0 {
				pl.packBT(&p[0], &src[0], ldb, k8)
			}
			for j := range nr {
				row := src[j*ldb+k8 : j*ldb+kc]
				for q, v := range row {
					p[(k8+q)*nr+j] = v
				}
			}
		case trans && cols >= 8:
			// The first cols/8 groups of columns in assembly, the rest
			// here (Winograd's kernel gradient: n = 32 or 64 channels).
			k8, g := kc&^7, cols/8
			src := b[(jc+jr)*ldb+pc:]
			_ = src[(cols-1)*ldb+kc-1]
			if k8 > 0 {
				pl.packBTPart(&p[0], &src[0], ldb, k8, g)
			}
			for j := range cols {
				from := k8
				if j >= 8*g {
					from = 0
				}
				for q := from; q < kc; q++ {
					p[q*nr+j] = src[j*ldb+q]
				}
			}
		case trans:
			for j := range cols {
				src := b[(jc+jr+j)*ldb+pc : (jc+jr+j)*ldb+pc+kc]
				for q, v := range src {
					p[q*nr+j] = v
				}
			}
		case cols == nr:
			// In assembly: copy() per row spent as much in calling
			// memmove as in copying.
			_ = b[(pc+kc-1)*ldb+jc+jr+nr-1]
			pl.packB(&p[0], &b[pc*ldb+jc+jr], ldb, kc)
		default:
			for q := range kc {
				copy(p[q*nr:q*nr+cols], b[(pc+q)*ldb+jc+jr:(pc+q)*ldb+jc+jr+cols])
			}
		}
	}
}
