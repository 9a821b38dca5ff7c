//go:build cuda && !gpuemu

package gpu

/*
#cgo LDFLAGS: -lcuda -lcudnn -lcublas
#include <stdlib.h>
#include "dev.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"unsafe"
)

// Device is one GPU: its context, stream, cuDNN and cuBLAS handles and the
// project's kernels. A Device is used by one goroutine at a time, which
// calls Lock before its calls and Unlock after.
type Device struct {
	d   *C.mdg_dev
	fns map[string]C.CUfunction
}

// KernelsPath is where a cuda build finds the PTX of models/cudakern's
// kernels.cu that scripts/build-cuda.sh compiled: MASKDASH_KERNELS, else
// beside the binary.
func KernelsPath() string {
	if p := os.Getenv("MASKDASH_KERNELS"); p != "" {
		return p
	}
	exe, err := os.Executable()
	if err != nil {
		return "maskdash-cuda.kernels.ptx"
	}
	return exe + ".kernels.ptx"
}

// Open starts device ordinal (0: the first GPU) with the project's
// kernels read from the PTX file at ptxPath.
func Open(ordinal int, ptxPath string) (*Device, error) {
	ptx, err := os.ReadFile(ptxPath)
	if err != nil {
		return nil, fmt.Errorf("the GPU kernels: %w (scripts/build-cuda.sh writes them beside the binary)", err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d := &Device{d: (*C.mdg_dev)(C.calloc(1, C.size_t(unsafe.Sizeof(C.mdg_dev{})))), fns: map[string]C.CUfunction{}}
	cptx := C.CString(string(ptx))
	defer C.free(unsafe.Pointer(cptx))
	if C.mdg_open(d.d, C.int(ordinal), cptx) != 0 {
		err := d.fail()
		C.mdg_close(d.d)
		C.free(unsafe.Pointer(d.d))
		return nil, fmt.Errorf("GPU %d: %w", ordinal, err)
	}
	return d, nil
}

// Close frees the device's handles; buffers must be freed first.
func (d *Device) Close() {
	if d == nil || d.d == nil {
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	C.mdg_close(d.d)
	C.free(unsafe.Pointer(d.d))
	d.d = nil
}

// Lock pins the calling goroutine to its thread and makes the device's
// context current there; Unlock undoes the pin.
func (d *Device) Lock() error {
	runtime.LockOSThread()
	if C.mdg_bind(d.d) != 0 {
		runtime.UnlockOSThread()
		return d.fail()
	}
	return nil
}

// Unlock ends what Lock began.
func (d *Device) Unlock() { runtime.UnlockOSThread() }

// Sync waits for everything queued on the device's stream.
func (d *Device) Sync() error { return d.check(C.mdg_sync(d.d)) }

// Memory reports the device's free and total memory in bytes.
func (d *Device) Memory() (free, total int64, err error) {
	var f, t C.size_t
	if err := d.check(C.mdg_mem(d.d, &f, &t)); err != nil {
		return 0, 0, err
	}
	return int64(f), int64(t), nil
}

// WorkspaceBytes is the convolutions' shared workspace.
func (d *Device) WorkspaceBytes() int64 { return int64(d.d.wsSize) }

func (d *Device) fail() error { return errors.New(C.GoString(&d.d.err[0])) }

func (d *Device) check(rc C.int) error {
	if rc != 0 {
		return d.fail()
	}
	return nil
}
