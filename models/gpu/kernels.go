//go:build cuda && !gpuemu

package gpu

/*
#include <stdlib.h>
#include "dev.h"
*/
import "C"

import (
	"fmt"
	"math"
	"unsafe"
)

// HasKernel reports, as an error naming it, a kernel the loaded PTX
// lacks.
func (d *Device) HasKernel(name string) error {
	_, err := d.kernel(name)
	return err
}

func (d *Device) kernel(name string) (C.CUfunction, error) {
	if f, ok := d.fns[name]; ok {
		return f, nil
	}
	var f C.CUfunction
	cname := C.CString(name)
	rc := C.mdg_func(d.d, cname, &f)
	C.free(unsafe.Pointer(cname))
	if err := d.check(rc); err != nil {
		return nil, err
	}
	d.fns[name] = f
	return f, nil
}

// Launch queues the project's kernel name over n indices with args, each
// an int (a C long), float32, float64 or Buffer (a device pointer), in
// the kernel's order.
func (d *Device) Launch(name string, n int, args ...any) error {
	f, err := d.kernel(name)
	if err != nil {
		return err
	}
	if len(args) > C.MD_MAX_ARGS {
		return fmt.Errorf("GPU kernel %s: %d arguments, at most %d", name, len(args), C.MD_MAX_ARGS)
	}
	vals := unsafe.Slice((*uint64)(unsafe.Pointer(d.d.vals)), C.MD_MAX_ARGS)
	for i, a := range args {
		switch v := a.(type) {
		case int:
			vals[i] = uint64(int64(v))
		case float32:
			vals[i] = uint64(math.Float32bits(v))
		case float64:
			vals[i] = math.Float64bits(v)
		case Buffer:
			vals[i] = uint64(v.p)
		default:
			return fmt.Errorf("GPU kernel %s: argument %d is a %T", name, i, a)
		}
	}
	if err := d.check(C.mdg_launch(d.d, f, C.long(n))); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
