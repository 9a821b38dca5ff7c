//go:build cuda

package cudakern

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/maskdash/maskdash/models/cudaprobe"
	"github.com/maskdash/maskdash/models/gpu"
	"gorgonia.org/cu"
)

// TestKernelsOnTheGPU runs the kernels on the GPU and compares them with
// the same source compiled for the CPU (run by scripts/gpu-check.sh; it
// skips, saying why, without a GPU or the PTX).
func TestKernelsOnTheGPU(t *testing.T) {
	if p := cudaprobe.Problem(); p != "" {
		t.Skip(p)
	}
	dev, err := cu.GetDevice(0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := dev.MakeContext(cu.SchedAuto)
	if err != nil {
		t.Fatal(err)
	}
	if err := ctx.Lock(); err != nil {
		t.Fatal(err)
	}
	defer ctx.Unlock() //nolint:errcheck // the test ends either way
	m, err := Load(gpu.KernelsPath())
	if err != nil {
		t.Skip(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	n := 100003
	w0, g := randSlice(r, n, 0.5), randSlice(r, n, 0.1)
	m0, v0 := randSlice(r, n, 0.01), make([]float32, n)
	for i := range v0 {
		v0[i] = m0[i] * m0[i]
	}
	up := func(s []float32) cu.DevicePtr {
		d, err := cu.MemAlloc(int64(4 * len(s)))
		if err != nil {
			t.Fatal(err)
		}
		if err := cu.MemcpyHtoD(d, unsafe.Pointer(&s[0]), int64(4*len(s))); err != nil {
			t.Fatal(err)
		}
		return d
	}
	down := func(d cu.DevicePtr, n int) []float32 {
		s := make([]float32, n)
		if err := cu.MemcpyDtoH(unsafe.Pointer(&s[0]), d, int64(4*n)); err != nil {
			t.Fatal(err)
		}
		return s
	}
	dw, dg, dm, dv := up(w0), up(g), up(m0), up(v0)
	nn := int64(n)
	lr, b1, b2, eps, bc1, bc2, l2, dec := 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.001, 0.0, 1e-2
	if err := m.Launch("md_adam", n, unsafe.Pointer(&nn), unsafe.Pointer(&dw), unsafe.Pointer(&dg), unsafe.Pointer(&dm), unsafe.Pointer(&dv),
		unsafe.Pointer(&lr), unsafe.Pointer(&b1), unsafe.Pointer(&b2), unsafe.Pointer(&eps), unsafe.Pointer(&bc1), unsafe.Pointer(&bc2),
		unsafe.Pointer(&l2), unsafe.Pointer(&dec)); err != nil {
		t.Fatal(err)
	}
	w, mm, vv := append([]float32(nil), w0...), append([]float32(nil), m0...), append([]float32(nil), v0...)
	AdamStep(w, g, mm, vv, lr, b1, b2, eps, bc1, bc2, l2, dec)
	near(t, "adam on the GPU", down(dw, n), w, 1e-6)
	x := randSlice(r, n, 1)
	dx, dy := up(x), up(make([]float32, n))
	if err := m.Launch("md_relu_fwd", n, unsafe.Pointer(&nn), unsafe.Pointer(&dx), unsafe.Pointer(&dy)); err != nil {
		t.Fatal(err)
	}
	y := make([]float32, n)
	ReLU(x, y)
	near(t, "relu on the GPU", down(dy, n), y, 0)

	// Soft F1 (its two kernels, the counts in float64 on the device).
	rows, k := int64(64), int64(18)
	logits := randSlice(r, int(rows*k), 4)
	labels := make([]int32, rows)
	for i := range labels {
		labels[i] = int32(r.IntN(int(k)))
	}
	dlog, dgrad, dloss := up(logits), up(make([]float32, rows*k)), up(make([]float32, 1))
	dlab, err := cu.MemAlloc(4 * rows)
	if err != nil {
		t.Fatal(err)
	}
	if err := cu.MemcpyHtoD(dlab, unsafe.Pointer(&labels[0]), 4*rows); err != nil {
		t.Fatal(err)
	}
	var counts [3]cu.DevicePtr
	for i := range counts {
		if counts[i], err = cu.MemAlloc(8 * k); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Launch("md_f1_counts", int(k), unsafe.Pointer(&rows), unsafe.Pointer(&k), unsafe.Pointer(&dlog), unsafe.Pointer(&dlab),
		unsafe.Pointer(&counts[0]), unsafe.Pointer(&counts[1]), unsafe.Pointer(&counts[2])); err != nil {
		t.Fatal(err)
	}
	f1eps, f1w := 1e-7, 1.0
	if err := m.Launch("md_f1_grad", int(rows), unsafe.Pointer(&rows), unsafe.Pointer(&k), unsafe.Pointer(&dlog), unsafe.Pointer(&dlab),
		unsafe.Pointer(&counts[0]), unsafe.Pointer(&counts[1]), unsafe.Pointer(&counts[2]), unsafe.Pointer(&f1eps), unsafe.Pointer(&f1w),
		unsafe.Pointer(&dloss), unsafe.Pointer(&dgrad)); err != nil {
		t.Fatal(err)
	}
	wantGrad, wantLoss := make([]float32, rows*k), make([]float32, 1)
	SoftF1(logits, int(k), labels, f1eps, f1w, wantLoss, wantGrad)
	near(t, "soft-F1 loss on the GPU", down(dloss, 1), wantLoss, 1e-6)
	near(t, "soft-F1 gradient on the GPU", down(dgrad, int(rows*k)), wantGrad, 1e-5)

	// AdamP on a 64×147 weight whose gradient is orthogonal to every row
	// (so the per-row view projects), the view picked on the host.
	pr, pc := int64(64), int64(147)
	pn := pr * pc
	pw, pg := randSlice(r, int(pn), 0.5), randSlice(r, int(pn), 0.1)
	orthogonalRows(pg, pw, int(pr), int(pc))
	zeros := make([]float32, pn)
	dpw, dpg, dpm, dpv := up(pw), up(pg), up(zeros), up(zeros)
	dupd, err := cu.MemAlloc(8 * pn)
	if err != nil {
		t.Fatal(err)
	}
	dcos, err := cu.MemAlloc(8 * pr)
	if err != nil {
		t.Fatal(err)
	}
	lr, pb1, pb2, peps, bc1p, bc2p, wd, delta, ratio := 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.001, 1e-2, 0.1, 0.1
	zero := 0.0
	if err := m.Launch("md_adam_dir", int(pn), unsafe.Pointer(&pn), unsafe.Pointer(&dpw), unsafe.Pointer(&dpg), unsafe.Pointer(&dpm),
		unsafe.Pointer(&dpv), unsafe.Pointer(&pb1), unsafe.Pointer(&pb2), unsafe.Pointer(&zero), unsafe.Pointer(&bc2p),
		unsafe.Pointer(&peps), unsafe.Pointer(&dupd)); err != nil {
		t.Fatal(err)
	}
	if err := m.Launch("md_adamp_cos", int(pr), unsafe.Pointer(&pr), unsafe.Pointer(&pc), unsafe.Pointer(&dpw), unsafe.Pointer(&dpg),
		unsafe.Pointer(&peps), unsafe.Pointer(&dcos)); err != nil {
		t.Fatal(err)
	}
	cos := make([]float64, pr)
	if err := cu.MemcpyDtoH(unsafe.Pointer(&cos[0]), dcos, 8*pr); err != nil {
		t.Fatal(err)
	}
	if c := slices.Max(cos); c >= delta/math.Sqrt(float64(pc)) {
		t.Fatalf("the orthogonal gradient's rows have |cos| up to %v on the GPU: AdamP would not project", c)
	}
	if err := m.Launch("md_adamp_project", int(pr), unsafe.Pointer(&pr), unsafe.Pointer(&pc), unsafe.Pointer(&dpw),
		unsafe.Pointer(&peps), unsafe.Pointer(&dupd)); err != nil {
		t.Fatal(err)
	}
	keep := 1 - lr*wd*ratio
	step := lr / bc1p
	if err := m.Launch("md_adam_apply", int(pn), unsafe.Pointer(&pn), unsafe.Pointer(&dpw), unsafe.Pointer(&dupd),
		unsafe.Pointer(&step), unsafe.Pointer(&keep)); err != nil {
		t.Fatal(err)
	}
	wantW := append([]float32(nil), pw...)
	AdamPStep(wantW, pg, make([]float32, pn), make([]float32, pn), int(pr), lr, pb1, pb2, peps, bc1p, bc2p, wd, delta, ratio)
	near(t, "adamp on the GPU", down(dpw, int(pn)), wantW, 1e-6)
}
