//go:build cuda && !gpuemu

package cudaprobe

/*
#cgo LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <cuda.h>

// gorgonia.org/cu initialises the driver in its package init and exits
// the process when that fails: a cuda build could not even start on a
// machine without a GPU. This definition of cuInit comes first (the
// executable's own symbol), calls the driver's, and when it fails says
// success to that init while remembering the failure, so the binary
// starts and trains on the CPU; nothing calls CUDA afterwards unless a
// GPU answered.
static CUresult maskdash_cuinit_err = CUDA_SUCCESS;

CUresult cuInit(unsigned int flags) {
	static CUresult (*real)(unsigned int) = 0;
	if (!real) {
		real = (CUresult (*)(unsigned int))dlsym(RTLD_NEXT, "cuInit");
	}
	CUresult r = real ? real(flags) : CUDA_ERROR_NO_DEVICE;
	if (r != CUDA_SUCCESS) {
		maskdash_cuinit_err = r;
		return CUDA_SUCCESS;
	}
	return r;
}

static int maskdash_cuinit_result(void) { return (int)maskdash_cuinit_err; }

static int maskdash_device_count(void) {
	int n = 0;
	if (maskdash_cuinit_err != CUDA_SUCCESS) return 0;
	if (cuDeviceGetCount(&n) != CUDA_SUCCESS) return 0;
	return n;
}
*/
import "C"

import "fmt"

// Problem says why no GPU can be used ("" when one answers): the
// driver's answer to cuInit, or no device.
func Problem() string {
	if r := int(C.maskdash_cuinit_result()); r != 0 {
		what := map[int]string{34: "the CUDA driver here is a stub library (no NVIDIA driver installed)", 100: "no CUDA-capable device", 999: "an unknown driver error"}[r]
		if what == "" {
			what = "the driver would not start"
		}
		return fmt.Sprintf("cuInit failed with CUDA error %d: %s", r, what)
	}
	if C.maskdash_device_count() == 0 {
		return "the CUDA driver sees no device"
	}
	return ""
}

// Emulated reports whether the GPU is the emulator: not in a cuda build.
const Emulated = false

// Built reports whether this build can train on a GPU at all (where one
// answers): yes.
const Built = true
