//go:build cuda && !gpuemu

package gpu

/*
#include "dev.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Buffer is n float32 (or int32) values in device memory.
type Buffer struct {
	p C.CUdeviceptr
	N int
}

// At is the buffer from value off on (a view: not to be freed).
func (b Buffer) At(off int) Buffer { return Buffer{p: b.p + C.CUdeviceptr(4*off), N: b.N - off} }

// Nil reports whether the buffer was never allocated.
func (b Buffer) Nil() bool { return b.p == 0 }

// Alloc reserves n float32 values on the device (not cleared).
func (d *Device) Alloc(n int) (Buffer, error) {
	var p C.CUdeviceptr
	if err := d.check(C.mdg_alloc(d.d, C.size_t(4*n), &p)); err != nil {
		return Buffer{}, fmt.Errorf("%d MiB of GPU memory: %w", 4*n>>20, err)
	}
	return Buffer{p: p, N: n}, nil
}

// Free returns b's memory.
func (d *Device) Free(b Buffer) error {
	if b.p == 0 {
		return nil
	}
	return d.check(C.mdg_free(d.d, b.p))
}

// Upload copies host values into b (queued; src may be reused on return).
func Upload[T float32 | int32](d *Device, b Buffer, src []T) error {
	if len(src) > b.N {
		return fmt.Errorf("upload of %d values into a GPU buffer of %d", len(src), b.N)
	}
	if len(src) == 0 {
		return nil
	}
	return d.check(C.mdg_upload(d.d, b.p, unsafe.Pointer(&src[0]), C.size_t(4*len(src))))
}

// Download waits for the stream and copies b's first len(dst) values.
func Download[T float32 | int32](d *Device, dst []T, b Buffer) error {
	if len(dst) > b.N {
		return fmt.Errorf("download of %d values from a GPU buffer of %d", len(dst), b.N)
	}
	if len(dst) == 0 {
		return nil
	}
	return d.check(C.mdg_download(d.d, unsafe.Pointer(&dst[0]), b.p, C.size_t(4*len(dst))))
}

// Pinned is page-locked host memory: an upload from it runs beside the
// step (UploadPinned).
type Pinned struct {
	p unsafe.Pointer
	N int
}

// AllocPinned reserves n float32 of pinned host memory.
func (d *Device) AllocPinned(n int) (Pinned, error) {
	var p unsafe.Pointer
	if err := d.check(C.mdg_host_alloc(d.d, C.size_t(4*n), &p)); err != nil {
		return Pinned{}, err
	}
	return Pinned{p: p, N: n}, nil
}

// FreePinned returns pinned memory.
func (d *Device) FreePinned(p Pinned) {
	if p.p != nil {
		C.mdg_host_free(p.p)
	}
}

// Floats is the pinned memory as a slice (valid until FreePinned).
func (p Pinned) Floats() []float32 { return unsafe.Slice((*float32)(p.p), p.N) }

// Int32s is the pinned memory as int32 values (labels), N of them.
func (p Pinned) Int32s() []int32 { return unsafe.Slice((*int32)(p.p), p.N) }

// UploadPinned queues dst[:n] = src[:n] on the copy stream; what is queued
// on the step's stream after it waits for it. src must not change until
// the step's stream has passed that point (the next Download, say). dst
// is input buffer slot (of Marks): the copy waits for the step's stream
// to pass the slot's last ReleaseInput, so that a step queued before the
// one two back has run does not write under its reads.
func (d *Device) UploadPinned(dst Buffer, src Pinned, n, slot int) error {
	if n > dst.N || n > src.N {
		return fmt.Errorf("upload of %d values: GPU buffer %d, pinned %d", n, dst.N, src.N)
	}
	if slot < 0 || slot >= Marks {
		return fmt.Errorf("input slot %d: the device has %d", slot, Marks)
	}
	return d.check(C.mdg_upload_pinned(d.d, dst.p, src.p, C.size_t(4*n), C.int(slot)))
}

// ReleaseInput queues the point past which the steps queued so far no
// longer read input buffer slot (UploadPinned waits for it).
func (d *Device) ReleaseInput(slot int) error {
	if slot < 0 || slot >= Marks {
		return fmt.Errorf("input slot %d: the device has %d", slot, Marks)
	}
	return d.check(C.mdg_release_input(d.d, C.int(slot)))
}

// DownloadPinned queues dst[:n] = b[:n] into page-locked memory on the
// step's stream, beside what is queued after it: the host reads dst
// after a Mark queued later has passed (WaitMark).
func (d *Device) DownloadPinned(dst Pinned, b Buffer, n int) error {
	if n > b.N || n > dst.N {
		return fmt.Errorf("download of %d values: GPU buffer %d, pinned %d", n, b.N, dst.N)
	}
	return d.check(C.mdg_download_async(d.d, dst.p, b.p, C.size_t(4*n)))
}

// Mark queues a point on the step's stream for WaitMark, in one of
// Marks slots (a later Mark in the slot replaces it).
func (d *Device) Mark(slot int) error {
	if slot < 0 || slot >= Marks {
		return fmt.Errorf("mark slot %d: the device has %d", slot, Marks)
	}
	return d.check(C.mdg_mark(d.d, C.int(slot)))
}

// WaitMark returns once the step's stream has passed the slot's last
// Mark, while what was queued after it may still run.
func (d *Device) WaitMark(slot int) error {
	if slot < 0 || slot >= Marks {
		return fmt.Errorf("mark slot %d: the device has %d", slot, Marks)
	}
	return d.check(C.mdg_wait_mark(d.d, C.int(slot)))
}

// Marks is how many marks can be waited for apart: one a step in flight.
const Marks = C.MDG_MARKS

// Copy queues dst[:n] = src[:n].
func (d *Device) Copy(dst, src Buffer, n int) error {
	return d.check(C.mdg_copy(d.d, dst.p, src.p, C.size_t(4*n)))
}

// CopyColumns copies rows×width floats from src (rows sspan apart,
// starting at column soff) into dst (rows dspan apart, column doff).
func (d *Device) CopyColumns(dst Buffer, dspan, doff int, src Buffer, sspan, soff, width, rows int) error {
	return d.check(C.mdg_copy2d(d.d, dst.p+C.CUdeviceptr(4*doff), C.size_t(4*dspan), src.p+C.CUdeviceptr(4*soff),
		C.size_t(4*sspan), C.size_t(4*width), C.size_t(rows)))
}

// Zero queues b = 0.
func (d *Device) Zero(b Buffer) error { return d.check(C.mdg_zero(d.d, b.p, C.size_t(4*b.N))) }
