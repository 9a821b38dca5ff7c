//go:build cuda && !gpuemu

package gpu

/*
#include "dev.h"
*/
import "C"

// MaxPool2 queues y = 2×2 max pooling (stride 2) of x.
func (d *Device) MaxPool2(xt *Tensor, x Buffer, yt *Tensor, y Buffer) error {
	return d.check(C.mdg_pool_fwd(d.d, xt.t, x.p, yt.t, y.p))
}

// MaxPool2Backward queues dx: each window's dy goes to its maximum.
func (d *Device) MaxPool2Backward(xt *Tensor, x Buffer, yt *Tensor, y, dy, dx Buffer) error {
	return d.check(C.mdg_pool_bwd(d.d, xt.t, x.p, yt.t, y.p, dy.p, dx.p))
}
