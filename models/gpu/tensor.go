//go:build cuda && !gpuemu

package gpu

/*
#include "dev.h"
*/
import "C"

// Tensor describes a shape to cuDNN: NCHW float32, or NHWC bfloat16.
type Tensor struct {
	t          C.cudnnTensorDescriptor_t
	N, C, H, W int
}

// NewTensor describes [n, c, h, w].
func (d *Device) NewTensor(n, c, h, w int) (*Tensor, error) { return d.NewTensorAs(n, c, h, w, false) }

// NewTensorAs describes [n, c, h, w] as float32 NCHW or, with bf16, as
// bfloat16 NHWC (--precision bf16's activations).
func (d *Device) NewTensorAs(n, c, h, w int, bf16 bool) (*Tensor, error) {
	t := &Tensor{N: n, C: c, H: h, W: w}
	if err := d.check(C.mdg_tensor_as(d.d, &t.t, C.int(n), C.int(c), C.int(h), C.int(w), cbool(bf16))); err != nil {
		return nil, err
	}
	return t, nil
}

// Free releases the description.
func (t *Tensor) Free() {
	if t != nil && t.t != nil {
		C.mdg_tensor_free(t.t)
		t.t = nil
	}
}

// Size is the number of values.
func (t *Tensor) Size() int { return t.N * t.C * t.H * t.W }
