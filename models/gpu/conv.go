//go:build cuda && !gpuemu

package gpu

/*
#include <stdlib.h>
#include "dev.h"
*/
import "C"

import "unsafe"

// Conv is one convolution's cuDNN description and chosen algorithms:
// stride 1, square kernels, zero padding.
type Conv struct {
	c *C.mdg_conv
	s ConvShape
}

// ConvShape is a convolution of x [N, C, H, W] with K kernels R×R,
// padding Pad. TF32 lets cuDNN use TF32 tensor cores. BF16 makes x, y
// and their gradients bfloat16 in NHWC order and the kernels (and their
// gradient) bfloat16 KRSC, [K, R, R, C]: --precision bf16.
type ConvShape struct {
	N, C, H, W, K, R, Pad int
	TF32, BF16            bool
}

// SearchBytes bounds the workspace the algorithm search may try.
const SearchBytes = 1 << 30

// NewConv describes s and picks each pass's fastest algorithm by timing
// them on the given buffers (x, w, y; dx and dw may be nil Buffers: no
// input or kernel gradient), which it overwrites.
func (d *Device) NewConv(s ConvShape, x, w, y, dx, dw Buffer) (*Conv, error) {
	cv := &Conv{c: (*C.mdg_conv)(C.calloc(1, C.size_t(unsafe.Sizeof(C.mdg_conv{})))), s: s}
	if err := d.check(C.mdg_conv_init(d.d, cv.c, C.int(s.N), C.int(s.C), C.int(s.H), C.int(s.W), C.int(s.K), C.int(s.R),
		C.int(s.Pad), cbool(s.TF32), cbool(s.BF16), x.p, w.p, y.p, dx.p, dw.p, SearchBytes)); err != nil {
		cv.Free()
		return nil, err
	}
	return cv, nil
}

// Free releases the descriptions.
func (cv *Conv) Free() {
	if cv != nil && cv.c != nil {
		C.mdg_conv_free(cv.c)
		C.free(unsafe.Pointer(cv.c))
		cv.c = nil
	}
}

// Shape is what the convolution was described as.
func (cv *Conv) Shape() ConvShape { return cv.s }

// Algorithms are the passes' picks (an input gradient the net does not
// need is the zero ConvAlgorithm, as is a kernel gradient).
func (cv *Conv) Algorithms() ConvAlgorithms {
	c := cv.c
	return ConvAlgorithms{
		Forward:    ConvAlgorithm{Algo: int(c.fwd), Math: int(c.mathFwd), Workspace: int64(c.wsFwd), SearchMs: float64(c.msFwd)},
		InputGrad:  ConvAlgorithm{Algo: int(c.bwd), Math: int(c.mathBwd), Workspace: int64(c.wsBwd), SearchMs: float64(c.msBwd)},
		KernelGrad: ConvAlgorithm{Algo: int(c.bwf), Math: int(c.mathBwf), Workspace: int64(c.wsBwf), SearchMs: float64(c.msBwf)},
		Searched:   true,
	}
}

// ConvForward queues y = conv(x, w).
func (d *Device) ConvForward(cv *Conv, x, w, y Buffer) error {
	return d.check(C.mdg_conv_fwd(d.d, cv.c, x.p, w.p, y.p))
}

// ConvBackwardData queues dx from w and dy.
func (d *Device) ConvBackwardData(cv *Conv, w, dy, dx Buffer) error {
	return d.check(C.mdg_conv_bwd_data(d.d, cv.c, w.p, dy.p, dx.p))
}

// ConvBackwardFilter queues dw from x and dy.
func (d *Device) ConvBackwardFilter(cv *Conv, x, dy, dw Buffer) error {
	return d.check(C.mdg_conv_bwd_filter(d.d, cv.c, x.p, dy.p, dw.p))
}

// AddBias queues y += b per channel (b described as [1, C, 1, 1]).
func (d *Device) AddBias(yt *Tensor, y Buffer, bt *Tensor, b Buffer) error {
	return d.check(C.mdg_add_bias(d.d, yt.t, y.p, bt.t, b.p))
}

// BiasGrad queues db = Σ dy per channel.
func (d *Device) BiasGrad(dyt *Tensor, dy Buffer, dbt *Tensor, db Buffer) error {
	return d.check(C.mdg_bias_grad(d.d, dyt.t, dy.p, dbt.t, db.p))
}
