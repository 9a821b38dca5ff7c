//go:build gpuemu && !cuda

package gpu

/*
#include <stdlib.h>
#include <string.h>
*/
import "C"

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"unsafe"
)

// The GPU emulator (build tag gpuemu, without cuda): package gpu's API on
// the CPU, so that the GPU engine of package models (the graph walk, the
// buffers, the memory plan, the bf16 path, every op's GPU form and the
// kernels' arguments) runs and is tested on a machine without a GPU:
// `go test -tags gpuemu ./models ./training ./models/cudakern`. The
// project's kernels run as their C form (emu_kernels.go); cuDNN's and
// cuBLAS's calls are plain Go with the same contracts (emu_dnn.go). Fresh
// memory is filled with NaN (float32 and bfloat16 alike), so a value read
// before anything wrote it shows; calls queue on one emulated stream and
// run when something waits (emu_queue.go), so that reading a result not
// waited for, or changing pinned memory the device has not read yet,
// shows too. What it cannot show is anything else about CUDA itself:
// contexts, the second stream's overlap, cuDNN's algorithms and the
// layouts it takes, speed.

// Device is the emulated GPU.
type Device struct {
	fns     map[string]unsafe.Pointer
	tf32    bool
	alloc   int64                  // bytes held
	sig     map[string][]ParamKind // each kernel's parameters (emu_kernels.go)
	queue   []func() error         // the emulated stream (emu_queue.go)
	pending error                  // a queued call's failure not yet returned
}

// KernelsPath names no file the emulator reads (the kernels are compiled
// in); it exists, for the tests that look for it.
func KernelsPath() string { return os.DevNull }

// Open starts the emulated device.
func Open(ordinal int, ptxPath string) (*Device, error) {
	if ordinal != 0 {
		return nil, fmt.Errorf("GPU %d: the emulator has one", ordinal)
	}
	if runtime.GOARCH != "amd64" {
		// emu_call's one call shape fits every kernel only by x86-64's
		// calling convention (emu_kernels.go); elsewhere the kernels
		// would read the wrong arguments.
		return nil, fmt.Errorf("the GPU emulator (build tag gpuemu) runs on x86-64 only, not %s", runtime.GOARCH)
	}
	sig, err := kernelSignatures()
	if err != nil {
		return nil, err
	}
	return &Device{fns: map[string]unsafe.Pointer{}, sig: sig}, nil
}

// Close runs what is queued; buffers are freed one by one.
func (d *Device) Close() { d.settle() }

// Lock and Unlock have no context to bind.
func (d *Device) Lock() error { return nil }

// Unlock ends what Lock began.
func (d *Device) Unlock() {}

// Sync runs everything queued.
func (d *Device) Sync() error { return d.flush() }

// Memory reports what the emulator's buffers hold.
func (d *Device) Memory() (free, total int64, err error) {
	return 1 << 40, 1<<40 + d.alloc, d.flush()
}

// WorkspaceBytes is none: the emulated convolutions need no workspace.
func (d *Device) WorkspaceBytes() int64 { return 0 }

// SetGemmTF32 is recorded; the emulator computes in float32 either way.
func (d *Device) SetGemmTF32(on bool) error { d.tf32 = on; return nil }

// Buffer is n float32 (or int32, or 2n bfloat16) values in emulated
// device memory (C memory: the kernels take it as it is).
type Buffer struct {
	p unsafe.Pointer
	N int
}

// At is the buffer from value off on (a view: not to be freed).
func (b Buffer) At(off int) Buffer { return Buffer{p: unsafe.Add(b.p, 4*off), N: b.N - off} }

// Nil reports whether the buffer was never allocated.
func (b Buffer) Nil() bool { return b.p == nil }

func (b Buffer) floats() []float32 {
	if b.p == nil {
		return nil
	}
	return unsafe.Slice((*float32)(b.p), b.N)
}

func (b Buffer) halves() []uint16 {
	if b.p == nil {
		return nil
	}
	return unsafe.Slice((*uint16)(b.p), 2*b.N)
}

// Alloc reserves n float32 values, filled with NaN.
func (d *Device) Alloc(n int) (Buffer, error) {
	p := C.malloc(C.size_t(4 * max(n, 1)))
	if p == nil {
		return Buffer{}, fmt.Errorf("%d MiB of emulated GPU memory: out of memory", 4*n>>20)
	}
	C.memset(p, 0xff, C.size_t(4*max(n, 1))) // NaN as float32, NaN as bfloat16
	d.alloc += int64(4 * n)
	return Buffer{p: p, N: n}, nil
}

// Free returns b's memory once what is queued has run (cuMemFree
// synchronises too).
func (d *Device) Free(b Buffer) error {
	err := d.flush()
	if b.p != nil {
		C.free(b.p)
		d.alloc -= int64(4 * b.N)
	}
	return err
}

// Upload queues a copy of host values into b; src is read now (a copy
// from pageable memory is staged when asked for) and may be reused.
func Upload[T float32 | int32](d *Device, b Buffer, src []T) error {
	if len(src) > b.N {
		return fmt.Errorf("upload of %d values into a GPU buffer of %d", len(src), b.N)
	}
	staged := append([]T(nil), src...)
	return d.later(func() error {
		copy(unsafe.Slice((*T)(b.p), b.N), staged)
		return nil
	})
}

// Download runs what is queued, then copies b's first len(dst) values.
func Download[T float32 | int32](d *Device, dst []T, b Buffer) error {
	if len(dst) > b.N {
		return fmt.Errorf("download of %d values from a GPU buffer of %d", len(dst), b.N)
	}
	if err := d.flush(); err != nil {
		return err
	}
	copy(dst, unsafe.Slice((*T)(b.p), b.N))
	return nil
}

// Pinned is host memory the batch is staged in.
type Pinned struct {
	p unsafe.Pointer
	N int
}

// AllocPinned reserves n float32 of host memory.
func (d *Device) AllocPinned(n int) (Pinned, error) {
	p := C.malloc(C.size_t(4 * max(n, 1)))
	if p == nil {
		return Pinned{}, fmt.Errorf("%d MiB of host memory: out of memory", 4*n>>20)
	}
	// NaN, as fresh device memory: a value read before anything wrote it
	// shows.
	pin := Pinned{p: p, N: n}
	f := pin.Floats()
	for i := range f {
		f[i] = float32(math.NaN())
	}
	return pin, nil
}

// FreePinned returns it once what is queued has run.
func (d *Device) FreePinned(p Pinned) {
	d.settle()
	if p.p != nil {
		C.free(p.p)
	}
}

// Floats is the pinned memory as a slice (valid until FreePinned).
func (p Pinned) Floats() []float32 { return unsafe.Slice((*float32)(p.p), p.N) }

// Int32s is the pinned memory as int32 values (labels), N of them.
func (p Pinned) Int32s() []int32 { return unsafe.Slice((*int32)(p.p), p.N) }

// DownloadPinned queues dst[:n] = b[:n], which the host reads after
// WaitMark.
func (d *Device) DownloadPinned(dst Pinned, b Buffer, n int) error {
	if n > b.N || n > dst.N {
		return fmt.Errorf("download of %d values: GPU buffer %d, pinned %d", n, b.N, dst.N)
	}
	return d.later(func() error {
		copy(dst.Floats()[:n], b.floats()[:n])
		return nil
	})
}

// Marks is how many marks can be waited for apart (dev.h's MDG_MARKS).
const Marks = 2

// Mark is a point in the queue for WaitMark; the emulator runs the whole
// queue there.
func (d *Device) Mark(slot int) error {
	if slot < 0 || slot >= Marks {
		return fmt.Errorf("mark slot %d: the device has %d", slot, Marks)
	}
	return nil
}

// WaitMark runs everything queued, past the slot's mark too (the emulator
// has no stream to run beside the host): a read of a DownloadPinned's
// memory before it sees NaN, and a later step that writes where an
// earlier one's results wait to be read overwrites them, as a GPU that
// ran ahead would.
func (d *Device) WaitMark(slot int) error {
	if slot < 0 || slot >= Marks {
		return fmt.Errorf("mark slot %d: the device has %d", slot, Marks)
	}
	return d.flush()
}

// uploadPinnedNow copies src[:n] into dst[:n].
func (d *Device) uploadPinnedNow(dst Buffer, src Pinned, n int) error {
	if n > dst.N || n > src.N {
		return fmt.Errorf("upload of %d values: GPU buffer %d, pinned %d", n, dst.N, src.N)
	}
	copy(dst.floats()[:n], src.Floats()[:n])
	return nil
}

// copyNow sets dst[:n] = src[:n].
func (d *Device) copyNow(dst, src Buffer, n int) error {
	if n > dst.N || n > src.N {
		return fmt.Errorf("copy of %d values between GPU buffers of %d and %d", n, dst.N, src.N)
	}
	copy(dst.floats()[:n], src.floats()[:n])
	return nil
}

// copyColumnsNow copies rows×width floats from src (rows sspan apart,
// starting at column soff) into dst (rows dspan apart, column doff).
func (d *Device) copyColumnsNow(dst Buffer, dspan, doff int, src Buffer, sspan, soff, width, rows int) error {
	df, sf := dst.floats(), src.floats()
	for r := range rows {
		copy(df[r*dspan+doff:r*dspan+doff+width], sf[r*sspan+soff:r*sspan+soff+width])
	}
	return nil
}

// zeroNow sets b = 0.
func (d *Device) zeroNow(b Buffer) error {
	clear(b.floats())
	return nil
}
