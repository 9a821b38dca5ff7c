//go:build cuda || gpuemu

package cudakern

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/maskdash/maskdash/models/cudaprobe"
	"github.com/maskdash/maskdash/models/gpu"
	"github.com/maskdash/maskdash/models/ops"
)

// kernelDevice opens the GPU with the project's kernels, bound to the
// test's thread until it ends; it skips, saying why, without a GPU or
// the PTX.
func kernelDevice(t *testing.T) *gpu.Device {
	t.Helper()
	if p := cudaprobe.Problem(); p != "" {
		t.Skip(p)
	}
	if _, err := os.Stat(gpu.KernelsPath()); err != nil {
		t.Skipf("no PTX: %v (scripts/build-cuda.sh writes it)", err)
	}
	d, err := gpu.Open(0, gpu.KernelsPath())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Lock(); err != nil {
		d.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Unlock()
		d.Close()
	})
	return d
}

// TestKernelsOnTheGPU runs the kernels on the GPU through package gpu
// (the engine's own launcher) and compares them with the same source
// compiled for the CPU (run by scripts/gpu-check.sh; it skips, saying
// why, without a GPU or the PTX).
func TestKernelsOnTheGPU(t *testing.T) {
	d := kernelDevice(t)
	for _, name := range Names {
		if err := d.HasKernel(name); err != nil {
			t.Fatalf("the PTX lacks a named kernel: %v", err)
		}
	}
	up := func(s []float32) gpu.Buffer {
		b, err := d.Alloc(len(s))
		if err == nil {
			err = gpu.Upload(d, b, s)
		}
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	zeros := func(n int) gpu.Buffer { // n floats (n/2 float64) of zeros
		b, err := d.Alloc(n)
		if err == nil {
			err = d.Zero(b)
		}
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	down := func(b gpu.Buffer, n int) []float32 {
		s := make([]float32, n)
		if err := gpu.Download(d, s, b); err != nil {
			t.Fatal(err)
		}
		return s
	}
	launch := func(name string, n int, args ...any) {
		t.Helper()
		if err := d.Launch(name, n, args...); err != nil {
			t.Fatal(err)
		}
	}

	r := rand.New(rand.NewPCG(7, 8))
	n := 100003
	w0, g := randSlice(r, n, 0.5), randSlice(r, n, 0.1)
	m0, v0 := randSlice(r, n, 0.01), make([]float32, n)
	for i := range v0 {
		v0[i] = m0[i] * m0[i]
	}
	dw, dg, dm, dv := up(w0), up(g), up(m0), up(v0)
	lr, b1, b2, eps, bc1, bc2, l2, dec := 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.001, 0.0, 1e-2
	launch("md_adam", n, n, dw, dg, dm, dv, lr, b1, b2, eps, bc1, bc2, l2, dec)
	w, mm, vv := append([]float32(nil), w0...), append([]float32(nil), m0...), append([]float32(nil), v0...)
	AdamStep(w, g, mm, vv, lr, b1, b2, eps, bc1, bc2, l2, dec)
	near(t, "adam on the GPU", down(dw, n), w, 1e-6)

	x := randSlice(r, n, 1)
	dx, dy := up(x), zeros(n)
	launch("md_relu_fwd", n, n, dx, dy)
	y := make([]float32, n)
	ReLU(x, y)
	near(t, "relu on the GPU", down(dy, n), y, 0)

	// Dropout's mask, drawn on the device from a key, as the CPU draws it.
	for _, p := range []float64{0.1, 0.5} {
		key := ops.DropKey(11, 3)
		dm := zeros(n)
		launch("md_dropout_mask", n, n, int(key), int(ops.DropThreshold(p)), float32(1/(1-p)), dm)
		want := make([]float32, n)
		ops.DropMask(want, p, key)
		near(t, "dropout's mask on the GPU", down(dm, n), want, 0)
	}

	// Soft F1 (its two kernels, the counts in float64 on the device).
	rows, k := 64, 18
	logits := randSlice(r, rows*k, 4)
	labels := make([]int32, rows)
	for i := range labels {
		labels[i] = int32(r.IntN(k))
	}
	dlog, dgrad, dloss := up(logits), zeros(rows*k), zeros(1)
	dlab, err := d.Alloc(rows)
	if err == nil {
		err = gpu.Upload(d, dlab, labels)
	}
	if err != nil {
		t.Fatal(err)
	}
	tp, sp, sy := zeros(2*k), zeros(2*k), zeros(2*k)
	launch("md_f1_counts", k, rows, k, dlog, dlab, tp, sp, sy)
	f1eps, f1w := 1e-7, 1.0
	launch("md_f1_grad", rows, rows, k, dlog, dlab, tp, sp, sy, f1eps, f1w, dloss, dgrad)
	wantGrad, wantLoss := make([]float32, rows*k), make([]float32, 1)
	SoftF1(logits, k, labels, f1eps, f1w, wantLoss, wantGrad)
	near(t, "soft-F1 loss on the GPU", down(dloss, 1), wantLoss, 1e-6)
	near(t, "soft-F1 gradient on the GPU", down(dgrad, rows*k), wantGrad, 1e-5)

	// AdamP on a 64×147 weight whose gradient is orthogonal to every row
	// (so the per-row view projects), every decision on the device as
	// the engine runs it, against the host-picked sequence on the CPU.
	pr, pc := 64, 147
	pn := pr * pc
	pw, pg := randSlice(r, pn, 0.5), randSlice(r, pn, 0.1)
	orthogonalRows(pg, pw, pr, pc)
	dpw, dpg, dpm, dpv := up(pw), up(pg), zeros(pn), zeros(pn)
	dupd, dcos, st := zeros(2*pn), zeros(2*pr), zeros(12)
	lr, peps, bc1p, bc2p, wd, delta, ratio := 1e-3, 1e-8, 0.1, 0.001, 1e-2, 0.1, 0.1
	launch("md_adam_dir", pn, pn, dpw, dpg, dpm, dpv, b1, b2, 0.0, bc2p, peps, dupd)
	launch("md_adamp_cos", pr, pr, pc, dpw, dpg, peps, dcos)
	launch("md_adamp_whole_sums", 1024, pn, 1024, dpw, dpg, st)
	launch("md_adamp_decide", 1, pr, pc, pn, delta, peps, dcos, st)
	launch("md_adamp_project_rows", pr, pr, pc, dpw, peps, dupd, st)
	launch("md_adamp_whole_dot", 1024, pn, 1024, dpw, peps, dupd, st)
	launch("md_adamp_whole_project", pn, pn, dpw, peps, dupd, st)
	launch("md_adam_apply_st", pn, pn, dpw, dupd, lr/bc1p, lr*wd, ratio, st)
	// st[0] is a float64: its two float32 halves, little endian.
	if first := down(st, 2); math.Float64frombits(uint64(math.Float32bits(first[1]))<<32|uint64(math.Float32bits(first[0]))) != 1 {
		t.Fatal("AdamP on the GPU did not pick the per-row view for a gradient orthogonal to every row")
	}
	wantW := append([]float32(nil), pw...)
	AdamPStep(wantW, pg, make([]float32, pn), make([]float32, pn), pr, lr, b1, b2, peps, bc1p, bc2p, wd, delta, ratio)
	near(t, "adamp on the GPU", down(dpw, pn), wantW, 1e-6)

	// BatchNorm + ReLU fused, forward and backward, its sums added
	// atomically on the device.
	bn, bc, bhw := 8, 16, 64
	bx, bdy := randSlice(r, bn*bc*bhw, 2), randSlice(r, bn*bc*bhw, 1)
	gamma, beta := randSlice(r, bc, 1), randSlice(r, bc, 1)
	rm, rv := make([]float32, bc), make([]float32, bc)
	for i := range rv {
		rv[i] = 1
	}
	dbx, dbdy, dgam, dbet := up(bx), up(bdy), up(gamma), up(beta)
	drm, drv, dmean, dinv := up(rm), up(rv), zeros(bc), zeros(bc)
	dby, dbdx, ddg, ddb, sums := zeros(len(bx)), zeros(len(bx)), zeros(bc), zeros(bc), zeros(4*bc)
	chunks := 37
	const beps, mo = 1e-5, 0.1
	launch("md_bnr_sums", bc*chunks, bn, bc, bhw, chunks, dbx, sums, sums.At(2*bc))
	launch("md_bnr_stats", bc, bc, bn*bhw, sums, sums.At(2*bc), float32(beps), float32(mo), dmean, dinv, drm, drv)
	launch("md_bnr_apply", len(bx), bn, bc, bhw, dbx, dmean, dinv, dgam, dbet, 1, dby)
	if err := d.Zero(sums); err != nil {
		t.Fatal(err)
	}
	launch("md_bnr_bwd_sums", bc*chunks, bn, bc, bhw, chunks, dbx, dbdy, dmean, dinv, dgam, dbet, 1, sums, sums.At(2*bc))
	launch("md_bnr_bwd_dx", len(bx), bn, bc, bhw, dbx, dbdy, dmean, dinv, dgam, dbet, 1, sums, sums.At(2*bc), dbdx)
	launch("md_bnr_bwd_params", bc, bc, sums, sums.At(2*bc), ddg, ddb)
	mu, inv, wy := make([]float32, bc), make([]float32, bc), make([]float32, len(bx))
	BNReLUTrain(bx, bn, bc, bhw, chunks, gamma, beta, beps, mo, true, rm, rv, mu, inv, wy)
	wdg, wdb, wdx := make([]float32, bc), make([]float32, bc), make([]float32, len(bx))
	BNReLUBackward(bx, bdy, bn, bc, bhw, chunks, mu, inv, gamma, beta, true, wdg, wdb, wdx)
	near(t, "fused BatchNorm y on the GPU", down(dby, len(bx)), wy, 1e-5)
	near(t, "fused BatchNorm running variance on the GPU", down(drv, bc), rv, 1e-5)
	near(t, "fused BatchNorm dx on the GPU", down(dbdx, len(bx)), wdx, 1e-4)
	near(t, "fused BatchNorm dgamma on the GPU", down(ddg, bc), wdg, 1e-4)
	near(t, "fused BatchNorm dbeta on the GPU", down(ddb, bc), wdb, 1e-4)
}
