//go:build gpuemu && !cuda

package gpu

/*
#cgo CFLAGS: -O2 -I${SRCDIR}/../cudakern
#cgo LDFLAGS: -lm
#include <stdlib.h>
#include <string.h>
#define KERNEL static void
#include "kernels.cu"

// Every kernel by name. A kernel takes only 8-byte integers and pointers
// (long, T*) and float or double values; emu_call passes the integer
// ones in order through sixteen long parameters and the floating ones in
// order through eight double ones. The x86-64 System V convention gives
// both classes their own registers and spills the integer ones past six
// to the stack in order, so a kernel with fewer parameters of either
// class reads exactly its own, and a float parameter reads the low half
// of its register, where emu_call put the float's bits.
typedef struct { const char *name; void *f; } emu_kernel;
static emu_kernel emu_kernels[] = {
#define K(n) {#n, (void *)n},
	K(md_relu_fwd)
	K(md_relu_bwd)
	K(md_bias_add)
	K(md_sgd)
	K(md_adam)
	K(md_softmax_ce)
	K(md_bn_stats)
	K(md_bn_apply)
	K(md_maxpool2)
	K(md_maxpool2_bwd)
	K(md_gap)
	K(md_smooth_ce)
	K(md_la_ce)
	K(md_focal)
	K(md_f1_counts)
	K(md_f1_grad)
	K(md_adam_dir)
	K(md_adamp_cos)
	K(md_adamp_project)
	K(md_adam_apply)
	K(md_bn_bwd_sums)
	K(md_bn_bwd_dx)
	K(md_gap_bwd)
	K(md_subsample)
	K(md_subsample_bwd)
	K(md_maxpool3)
	K(md_maxpool3_bwd)
	K(md_bias_grad)
	K(md_mul)
	K(md_dropout_mask)
	K(md_clip_sumsq)
	K(md_clip_decide)
	K(md_clip_scale)
	K(md_ema)
	K(md_swap)
	K(md_radam)
	K(md_bias_act)
	K(md_bnr_sums)
	K(md_bnr_stats)
	K(md_bnr_apply)
	K(md_bnr_bwd_sums)
	K(md_bnr_bwd_dx)
	K(md_bnr_bwd_params)
	K(md_adamp_whole_sums)
	K(md_adamp_decide)
	K(md_adamp_project_rows)
	K(md_adamp_whole_dot)
	K(md_adamp_whole_project)
	K(md_adam_apply_st)
	K(md_pool2k_fwd)
	K(md_pool2k_bwd)
	K(md_to_nhwc_h)
	K(md_to_nchw_f)
	K(md_mul_hf)
	K(md_relu_fwd_h)
	K(md_relu_bwd_h)
	K(md_add_h)
	K(md_bias_act_h)
	K(md_chan_sums_h)
	K(md_d2f)
	K(md_bnh_sums)
	K(md_bnh_apply)
	K(md_bnh_bwd_sums)
	K(md_bnh_bwd_dx)
	K(md_bn_invstd)
	K(md_maxpool2_h)
	K(md_maxpool2_bwd_h)
	K(md_gap_h)
	K(md_gap_bwd_h)
	K(md_subsample_h)
	K(md_subsample_bwd_h)
	K(md_maxpool3_h)
	K(md_maxpool3_bwd_h)
	K(md_pad_nhwc_h)
	K(md_unpad_nchw_f)
	K(md_flip_krsc_h)	{0, 0},
};

static void *emu_find(const char *name) {
	for (emu_kernel *k = emu_kernels; k->name; k++)
		if (!strcmp(k->name, name)) return k->f;
	return 0;
}

typedef void (*emu_fn)(long, long, long, long, long, long, long, long, long, long, long, long, long, long, long, long,
                       double, double, double, double, double, double, double, double);
static void emu_call(void *f, const long *i, const double *d) {
	((emu_fn)f)(i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7], i[8], i[9], i[10], i[11], i[12], i[13], i[14], i[15],
	            d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]);
}
*/
import "C"

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"unsafe"
)

// HasKernel reports whether the project's kernel name is there.
func (d *Device) HasKernel(name string) error {
	_, err := d.kernel(name)
	return err
}

func (d *Device) kernel(name string) (unsafe.Pointer, error) {
	if f, ok := d.fns[name]; ok {
		return f, nil
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	f := C.emu_find(cname)
	if f == nil {
		return nil, fmt.Errorf("the GPU kernel %s: not in the emulator's table (models/gpu/emu_kernels.go)", name)
	}
	d.fns[name] = f
	return f, nil
}

// The most arguments a kernel may take of each class (emu_call's).
const maxInts, maxFloats = 16, 8

// Launch queues the project's kernel name, to run on the CPU over all its indices
// (kernel.h's FOR_EACH is a plain loop there) with args, each an int,
// float32, float64 or Buffer, in the kernel's order; n (the real
// launcher's grid) is unused.
func (d *Device) Launch(name string, n int, args ...any) error {
	f, err := d.kernel(name)
	if err != nil {
		return err
	}
	if err := d.checkArgs(name, args); err != nil {
		return err
	}
	// checkArgs has held each argument to its parameter's kind; each class
	// must fit emu_call's registers.
	var ni, nf int
	for _, k := range d.sig[name] {
		if k == ParamFloat || k == ParamDouble {
			nf++
		} else {
			ni++
		}
	}
	if ni > maxInts || nf > maxFloats {
		return fmt.Errorf("GPU kernel %s: %d integer and %d floating-point parameters, the emulator passes at most %d and %d",
			name, ni, nf, maxInts, maxFloats)
	}
	var ints [maxInts]C.long
	var floats [maxFloats]C.double
	ni, nf = 0, 0
	for _, a := range args {
		switch v := a.(type) {
		case Buffer:
			ints[ni], ni = C.long(uintptr(v.p)), ni+1
		case int:
			ints[ni], ni = C.long(v), ni+1
		case float32:
			floats[nf], nf = C.double(math.Float64frombits(uint64(math.Float32bits(v)))), nf+1 // the float's bits in the low half
		case float64:
			floats[nf], nf = C.double(v), nf+1
		}
	}
	return d.later(func() error {
		C.emu_call(f, &ints[0], &floats[0])
		return nil
	})
}

// kernelSignatures reads the kernels' parameters from their sources,
// beside this file in the repository (the emulator is a test build).
func kernelSignatures() (map[string][]ParamKind, error) {
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		return nil, fmt.Errorf("the GPU emulator cannot find its source folder")
	}
	dir := filepath.Join(filepath.Dir(self), "..", "cudakern")
	sum, err := KernelSourcesHash(dir)
	if err != nil {
		return nil, fmt.Errorf("the GPU emulator reads the kernels' sources from the repository: %w", err)
	}
	if sum != emuSourcesHash {
		return nil, fmt.Errorf("the GPU emulator was built from other kernels than %s holds: run go generate ./models/gpu (the go command does not rebuild it when only a .cu or .h file changes)", dir)
	}
	out := map[string][]ParamKind{}
	for _, f := range []string{"kernels.cu", "kernels_bf16.cu"} {
		src, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil, fmt.Errorf("the GPU emulator reads the kernels' parameters from the repository: %w", err)
		}
		sig, err := ParseKernels(string(src))
		if err != nil {
			return nil, err
		}
		for k, v := range sig {
			out[k] = v
		}
	}
	return out, nil
}

// checkArgs holds a launch's arguments to the kernel's parameters, in
// order and kind, as a real launch passes them.
func (d *Device) checkArgs(name string, args []any) error {
	want, ok := d.sig[name]
	if !ok {
		return fmt.Errorf("GPU kernel %s: its parameters were not read", name)
	}
	if len(args) != len(want) {
		return fmt.Errorf("GPU kernel %s: %d arguments for %d parameters", name, len(args), len(want))
	}
	for i, a := range args {
		var got ParamKind
		switch a.(type) {
		case Buffer:
			got = ParamPointer
		case int:
			got = ParamLong
		case float32:
			got = ParamFloat
		case float64:
			got = ParamDouble
		default:
			return fmt.Errorf("GPU kernel %s: argument %d is a %T", name, i, a)
		}
		if got != want[i] {
			return fmt.Errorf("GPU kernel %s: argument %d is %s where the kernel takes %s", name, i, got, want[i])
		}
	}
	return nil
}

// widenNHWC is md_to_nchw_f on the host: NHWC bfloat16 b into NCHW
// float32 out (the emulated cuDNN calls read bfloat16 operands through it).
func widenNHWC(b Buffer, n, c, hw int, out []float32) {
	C.md_to_nchw_f(C.long(n), C.long(c), C.long(hw), (*C.bf16)(b.p), (*C.float)(unsafe.Pointer(&out[0])))
}

// roundNHWC is md_to_nhwc_h on the host: NCHW float32 v into NHWC
// bfloat16 b, rounded as the GPU rounds.
func roundNHWC(v []float32, n, c, hw int, b Buffer) {
	C.md_to_nhwc_h(C.long(n), C.long(c), C.long(hw), (*C.float)(unsafe.Pointer(&v[0])), (*C.bf16)(b.p))
}
